use super::model::Event;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Page, PageParams};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// e.g. `client.created`.
    #[param(max_length = 64)]
    pub event_type: Option<String>,
    #[param(max_length = 64)]
    pub entity_id: Option<String>,
}

/// List outbox events, oldest first.
#[utoipa::path(
    tag = "events",
    operation_id = "list_events",
    params(EventQuery, PageParams),
    responses(
        (status = 200, description = "A page of events", body = Page<Event>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<EventQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut c = crate::validate::Check::new();
    c.opt_text("event_type", q.event_type.as_deref(), 0, 64);
    c.opt_text("entity_id", q.entity_id.as_deref(), 0, 64);
    c.finish()?;
    let page = service::list(
        &state.pool,
        &who,
        q.event_type,
        q.entity_id,
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_events);
}
