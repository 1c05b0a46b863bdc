use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Page, PageParams};
use actix_web::{get, web, HttpResponse};

/// List payment bills. A client sees its own; staff may filter by company.
#[utoipa::path(
    tag = "invoices",
    operation_id = "list_invoices",
    params(InvoiceQuery, PageParams),
    responses((status = 200, description = "A page of bills", body = Page<InvoiceView>)),
    security(("bearer" = []))
)]
#[get("/invoices")]
pub async fn list_invoices(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<InvoiceQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    if q.client_id.as_ref().is_some_and(|c| c.len() > 64) {
        return Err(ApiError::field(
            "client_id",
            "too_long",
            "must have at most 64 characters",
        ));
    }
    let page = service::list(&state.pool, who, q, page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get a payment bill.
#[utoipa::path(
    tag = "invoices",
    operation_id = "get_invoice",
    params(("invoice_id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The bill", body = InvoiceView),
        (status = 404, description = "No such bill (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/invoices/{invoice_id}")]
pub async fn get_invoice(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get(&state.pool, who, path.into_inner()).await?))
}

/// Get a payment bill as a printable HTML document.
///
/// "Счёт на оплату": the seller's bank requisites, seller and buyer with INN/KPP, the lines,
/// VAT, the total in words and the due date; a voided bill is marked АННУЛИРОВАН / VOID.
/// Self-contained (inline CSS, no external resources), ready to print or save as PDF.
#[utoipa::path(
    tag = "invoices",
    operation_id = "get_invoice_document",
    params(("invoice_id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The bill as an HTML page (UTF-8)", body = String, content_type = "text/html"),
        (status = 404, description = "No such bill (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/invoices/{invoice_id}/document")]
pub async fn get_invoice_document(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let html = service::document(&state, who, path.into_inner()).await?;
    Ok(crate::documents::html_response(html))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_invoices)
        .service(get_invoice)
        .service(get_invoice_document);
}
