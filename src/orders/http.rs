use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{get, post, web, HttpRequest, HttpResponse};

/// Place an order. In one transaction: price the lines for the client's tier, book the stock,
/// issue the bill, and release the goods at once when balance and credit cover the total
/// (else wait for payment until `reserved_until`). Send an `Idempotency-Key` (required for API
/// keys): a retry with the same key and body returns the same order.
#[utoipa::path(
    tag = "orders",
    operation_id = "create_order",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe; required for API keys. 1 to 255 visible ASCII characters")),
    request_body = CreateOrder,
    responses(
        (status = 201, description = "The order (released or awaiting payment); `Idempotent-Replayed: true` on a replay", body = OrderView),
        (status = 403, description = "Role may not order, or the company is blocked (`client_blocked`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enough stock (`insufficient_stock`, each short line in `errors`), or the key is in use (`idempotency_key_in_use`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<CreateOrder>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency::from_request(&req, &who, "create_order", &body.0)?;
    Ok(service::create(&state, who, body.0, idem).await?.response())
}

/// List orders, oldest first. A client sees its own; staff may filter by company.
#[utoipa::path(
    tag = "orders",
    operation_id = "list_orders",
    params(OrderQuery, PageParams),
    responses((status = 200, description = "A page of orders", body = Page<OrderView>)),
    security(("bearer" = []))
)]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<OrderQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list(&state, who, q.into_inner(), page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get an order.
#[utoipa::path(
    tag = "orders",
    operation_id = "get_order",
    params(("order_id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "No such order (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/orders/{order_id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get(&state, who, path.into_inner()).await?))
}

/// Cancel an order that is awaiting payment or released but not yet handed out: the stock is
/// freed, a release is reversed by a new ledger entry, the bill is voided.
#[utoipa::path(
    tag = "orders",
    operation_id = "cancel_order",
    params(("order_id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 403, description = "Role may not cancel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not cancellable now (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{order_id}/cancel")]
pub async fn cancel_order(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::cancel(&state, who, path.into_inner()).await?))
}

/// Hand out a released pickup order against its code (warehouse staff).
#[utoipa::path(
    tag = "orders",
    operation_id = "pickup_order",
    params(("order_id" = String, Path, description = "Order id")),
    request_body = PickupRequest,
    responses(
        (status = 200, description = "The order, picked up", body = OrderView),
        (status = 403, description = "Not warehouse staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not released for pickup (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{order_id}/pickup")]
pub async fn pickup_order(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<PickupRequest>,
) -> Result<HttpResponse, ApiError> {
    let order = service::advance(
        &state,
        who,
        path.into_inner(),
        Action::PickUp,
        Some(body.0.pickup_code),
    )
    .await?;
    Ok(HttpResponse::Ok().json(order))
}

/// Ship a released delivery order (warehouse staff).
#[utoipa::path(
    tag = "orders",
    operation_id = "ship_order",
    params(("order_id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order, shipped", body = OrderView),
        (status = 403, description = "Not warehouse staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not released for delivery (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{order_id}/ship")]
pub async fn ship_order(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(service::advance(&state, who, path.into_inner(), Action::Ship, None).await?))
}

/// Complete a picked-up or shipped order (warehouse staff).
#[utoipa::path(
    tag = "orders",
    operation_id = "complete_order",
    params(("order_id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order, completed", body = OrderView),
        (status = 403, description = "Not warehouse staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not handed out yet (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{order_id}/complete")]
pub async fn complete_order(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(service::advance(&state, who, path.into_inner(), Action::Complete, None).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order)
        .service(cancel_order)
        .service(pickup_order)
        .service(ship_order)
        .service(complete_order);
}
