use super::model::{NewTier, QuoteRequest, QuoteView, TierUpdate, TierView};
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{Json, Page};
use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

/// List the price tiers by minimum turnover ascending. All tiers come in one page.
#[utoipa::path(
    tag = "pricing",
    operation_id = "list_price_tiers",
    responses(
        (status = 200, description = "All price tiers", body = Page<TierView>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/price-tiers")]
pub async fn list_price_tiers(
    state: web::Data<AppState>,
    _who: Principal,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_tiers(&state.pool).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a price tier (director, admin).
#[utoipa::path(
    tag = "pricing",
    operation_id = "create_price_tier",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe; required for API keys")),
    request_body = NewTier,
    responses(
        (status = 201, description = "The tier was created", body = TierView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a director or admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken (`tier_name_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/price-tiers")]
pub async fn create_price_tier(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<NewTier>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency::from_request(&req, &who, "create_price_tier", &body.0)?;
    let created = service::create_tier(&state, &who, body.0, idem).await?;
    let id = serde_json::from_str::<serde_json::Value>(&created.body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    let mut resp = created.response();
    if let Some(v) =
        id.and_then(|id| header::HeaderValue::from_str(&format!("/api/v1/price-tiers/{id}")).ok())
    {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Get a price tier.
#[utoipa::path(
    tag = "pricing",
    operation_id = "get_price_tier",
    params(("tier_id", description = "Price tier id")),
    responses(
        (status = 200, description = "The tier", body = TierView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tier", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/price-tiers/{tier_id}")]
pub async fn get_price_tier(
    state: web::Data<AppState>,
    _who: Principal,
    tier_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tier = service::get_tier(&state.pool, tier_id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tier))
}

/// Change a price tier (director, admin). Absent fields stay unchanged. Clients keep their
/// tier; their prices follow the new discount at once.
#[utoipa::path(
    tag = "pricing",
    operation_id = "update_price_tier",
    params(("tier_id", description = "Price tier id")),
    request_body = TierUpdate,
    responses(
        (status = 200, description = "The updated tier", body = TierView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a director or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tier", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken (`tier_name_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/price-tiers/{tier_id}")]
pub async fn update_price_tier(
    state: web::Data<AppState>,
    who: Principal,
    tier_id: web::Path<String>,
    body: Json<TierUpdate>,
) -> Result<HttpResponse, ApiError> {
    let tier = service::update_tier(&state.pool, &who, tier_id.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(tier))
}

/// Delete a price tier (director, admin) that no client is assigned to.
#[utoipa::path(
    tag = "pricing",
    operation_id = "delete_price_tier",
    params(("tier_id", description = "Price tier id")),
    responses(
        (status = 204, description = "The tier was deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a director or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tier", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Clients are assigned to the tier (`tier_in_use`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/price-tiers/{tier_id}")]
pub async fn delete_price_tier(
    state: web::Data<AppState>,
    who: Principal,
    tier_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service::delete_tier(&state.pool, &who, tier_id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Price lines for a client with its tier discount, without booking or storing anything.
/// Lines name a product by `product_id` or `sku`; lines of the same product are merged.
/// Client principals price for their own company; staff name the company in `client_id`.
#[utoipa::path(
    tag = "pricing",
    operation_id = "create_quote",
    request_body = QuoteRequest,
    responses(
        (status = 200, description = "The priced lines", body = QuoteView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client (or another company's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid lines, listed in `errors` by path (`lines[3].quantity`) with codes `required`, `ambiguous`, `out_of_range`, `too_many_lines`, `unknown_product`, `product_inactive`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<QuoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote = service::create_quote(&state.pool, &who, body.0).await?;
    Ok(HttpResponse::Ok().json(quote))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_price_tiers)
        .service(create_price_tier)
        .service(get_price_tier)
        .service(update_price_tier)
        .service(delete_price_tier)
        .service(create_quote);
}
