use crate::db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
    pub version: String,
}

/// Liveness: the process answers.
#[utoipa::path(
    tag = "system",
    operation_id = "get_health",
    responses((status = 200, description = "The process is alive", body = Health)),
    security(())
)]
#[get("/health")]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "system",
    operation_id = "get_ready",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/ready")]
pub async fn get_ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    db::run(&state.pool, |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1")
            .execute(c)
            .map_err(|e| ApiError::Unavailable(e.to_string()))
    })
    .await
    .map_err(|e| match e {
        ApiError::Unavailable(m) => ApiError::Unavailable(m),
        other => ApiError::Unavailable(other.to_string()),
    })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    tag = "system",
    operation_id = "get_metrics",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")),
    security(())
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    super::metrics::record_pool(state.pool.state(), state.pool.max_size());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(super::metrics::handle().render())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_health)
        .service(get_ready)
        .service(get_metrics);
}
