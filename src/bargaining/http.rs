use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};

/// The margin policy in force (staff): floors, the auto-accept rule and the attention
/// thresholds. Version 0 is the defaults, before the director set any.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "get_margin_policy",
    responses(
        (status = 200, description = "The version in force", body = MarginPolicyView),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/policies/margins")]
pub async fn get_margin_policy(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get_policy(&state.pool, who).await?))
}

/// Set the margin policy (director): the whole policy, a new version in force from now. Offers
/// are judged by the version in force when they arrive and are decided; orders on an offer by
/// the one in force when they are placed. Audited with the policy.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "put_margin_policy",
    request_body = MarginPolicy,
    responses(
        (status = 200, description = "The new version", body = MarginPolicyView),
        (status = 403, description = "Not the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another change came first (`concurrent_update`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule out of range or an unknown product (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/policies/margins")]
pub async fn put_margin_policy(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<MarginPolicy>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::put_policy(&state.pool, who, body.0).await?))
}

/// Make a price offer (client admins and buyers): lines with the asked unit prices, competitor
/// evidence, a comment, a wanted-by date. Judged at once: `declined` with `decline_code`
/// `below_margin_floor` and the lines concerned when a price breaks the margin the seller must
/// keep; `accepted` when the director's auto-accept rule allows (order on it with `offer_id`);
/// else `pending` in the queue of the company's manager. Send an `Idempotency-Key` (required
/// for API keys).
#[utoipa::path(
    tag = "bargaining",
    operation_id = "create_offer",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe; required for API keys. 1 to 255 visible ASCII characters")),
    request_body = CreateOffer,
    responses(
        (status = 201, description = "The offer, judged (`declined`, `accepted` or `pending`); `Idempotent-Replayed: true` on a replay", body = OfferView),
        (status = 403, description = "Not a client admin or buyer (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than is in stock (`insufficient_stock`, per line in `errors`), or the key is in use (`idempotency_key_in_use`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines (`validation_failed`): price ≤ 0 or above the list price (`above_list_price`), unknown or inactive products, a product twice", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The company made the policy's `max_offers_per_day` offers in the last 24 hours (`rate_limited`, `Retry-After`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers")]
pub async fn create_offer(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<CreateOffer>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency::from_request(&req, &who, "create_offer", &body.0)?;
    Ok(service::create(&state, who, body.0, idem).await?.response())
}

/// List offers, oldest first. Staff see every company's (the queue: `status=pending`, one
/// manager's with `manager_id`) with margins, floors and each client's bargaining history; a
/// client sees its own, without them.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "list_offers",
    params(OfferQuery, PageParams),
    responses(
        (status = 200, description = "A page of offers", body = Page<OfferView>),
        (status = 404, description = "A client naming another company", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/offers")]
pub async fn list_offers(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<OfferQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut c = crate::validate::Check::new();
    c.opt_text("client_id", q.client_id.as_deref(), 1, 64);
    c.opt_text("manager_id", q.manager_id.as_deref(), 1, 64);
    c.finish()?;
    let page = service::list(&state.pool, who, q, page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get an offer (another company's answers 404).
#[utoipa::path(
    tag = "bargaining",
    operation_id = "get_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The offer", body = OfferView),
        (status = 404, description = "No such offer (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/offers/{offer_id}")]
pub async fn get_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get(&state.pool, who, path.into_inner()).await?))
}

/// Accept. Staff (manager, director) accept a pending offer at the asked prices: refused below a
/// floor (`below_margin_floor`, with the margins) unless the director gives `override_reason`
/// (audited). A client (admin, buyer) accepts a counter-offer before its `valid_until`: `{}`.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "accept_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    request_body = AcceptOffer,
    responses(
        (status = 200, description = "The accepted offer", body = OfferView),
        (status = 403, description = "Role may not, or an override by someone else than the director (`override_requires_director`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Accepted already (`offer_already_accepted`), past its valid_until (`offer_expired`), or not in a state to accept (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Below a margin floor (`below_margin_floor`, per line in `errors`), or staff-only fields from a client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers/{offer_id}/accept")]
pub async fn accept_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<AcceptOffer>,
) -> Result<HttpResponse, ApiError> {
    let v = service::accept(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Counter a pending offer with other prices (manager, director); valid for the policy's
/// `offer_validity_days`. Floors as for acceptance.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "counter_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    request_body = CounterOffer,
    responses(
        (status = 200, description = "The countered offer", body = OfferView),
        (status = 403, description = "Not a manager or director, or an override by someone else than the director (`override_requires_director`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending (`invalid_transition`, `offer_already_accepted`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Below a margin floor (`below_margin_floor`), a price below the asked one or above the list price, an unknown line", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers/{offer_id}/counter")]
pub async fn counter_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<CounterOffer>,
) -> Result<HttpResponse, ApiError> {
    let v = service::counter(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Decline a pending offer with a reason shown to the client (manager, director).
#[utoipa::path(
    tag = "bargaining",
    operation_id = "decline_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    request_body = DeclineOffer,
    responses(
        (status = 200, description = "The declined offer", body = OfferView),
        (status = 403, description = "Not a manager or director", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending (`invalid_transition`, `offer_already_accepted`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers/{offer_id}/decline")]
pub async fn decline_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<DeclineOffer>,
) -> Result<HttpResponse, ApiError> {
    let v = service::decline(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Revoke an accepted offer or a counter (manager, director), with a reason shown to the
/// client: it prices no more orders (those placed keep their prices). Audited.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "revoke_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    request_body = RevokeOffer,
    responses(
        (status = 200, description = "The revoked offer", body = OfferView),
        (status = 403, description = "Not a manager or director", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not accepted or countered (`invalid_transition`), or past its valid_until (`offer_expired`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers/{offer_id}/revoke")]
pub async fn revoke_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<RevokeOffer>,
) -> Result<HttpResponse, ApiError> {
    let v = service::revoke(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Withdraw an offer (the client's admins and buyers): pending, countered or accepted.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "withdraw_offer",
    params(("offer_id" = String, Path, description = "Offer id")),
    request_body = WithdrawOffer,
    responses(
        (status = 200, description = "The withdrawn offer", body = OfferView),
        (status = 403, description = "Not a client admin or buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided, withdrawn or expired already (`invalid_transition`, `offer_expired`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/offers/{offer_id}/withdraw")]
pub async fn withdraw_offer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<WithdrawOffer>,
) -> Result<HttpResponse, ApiError> {
    let v = service::withdraw(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_margin_policy)
        .service(put_margin_policy)
        .service(create_offer)
        .service(list_offers)
        .service(get_offer)
        .service(accept_offer)
        .service(counter_offer)
        .service(decline_offer)
        .service(withdraw_offer)
        .service(revoke_offer);
}
