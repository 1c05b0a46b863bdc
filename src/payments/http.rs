use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{FileBody, Json, Page, PageParams};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// Record a payment (accountant, director, admin; a bank integration logs in as an
/// accountant). In one transaction: stored once per `bank_reference`, matched to the client by
/// the payer's INN, credited to its account, the client's waiting orders that now fit released,
/// and the money allocated to the bills the purpose names, then to the oldest due; the rest is
/// the client's advance. Without a client the payment waits for staff.
#[utoipa::path(
    tag = "payments",
    operation_id = "create_payment",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe. 1 to 255 visible ASCII characters")),
    request_body = CreatePayment,
    responses(
        (status = 201, description = "The payment, matched or waiting; `Idempotent-Replayed: true` on a replay", body = PaymentView),
        (status = 403, description = "Not accounting staff", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The bank reference is known already (`payment_duplicate`), or the key is in use", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payments")]
pub async fn create_payment(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<CreatePayment>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency::from_request(&req, &who, "create_payment", &body.0)?;
    Ok(service::create(&state, who, body.0, idem).await?.response())
}

/// Import a bank statement: the 1CClientBankExchange text file that Russian banks export
/// (windows-1251 or UTF-8), or CSV with the header
/// `date,amount,payer_inn,payer_kpp,payer_name,purpose,reference` (`,` or `;`). All or nothing:
/// a file with a problem imports nothing and names each bad line. Only incoming payments to our
/// INN count (our own outgoing documents are ignored); a payment whose bank reference is known
/// already is a duplicate and changes nothing, so overlapping files can be imported safely.
#[utoipa::path(
    tag = "payments",
    operation_id = "import_payments",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe. 1 to 255 visible ASCII characters")),
    request_body(content(
        (String = "text/plain"),
        (Vec<u8> = "application/octet-stream"),
    ), description = "The statement file as it is (up to 64 MiB)"),
    responses(
        (status = 201, description = "What the import did", body = ImportReport),
        (status = 403, description = "Not accounting staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an acceptable statement (`invalid_statement`): each problem in `errors` as `line N`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payments/imports")]
pub async fn import_payments(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: FileBody,
) -> Result<HttpResponse, ApiError> {
    let file = body.0.bytes;
    let digest = hex::encode(Sha256::digest(&file));
    let idem = idempotency::from_request(&req, &who, "import_payments", &digest)?;
    Ok(service::import(&state, who, file, idem).await?.response())
}

/// List payments, oldest first. Staff see all (filter `status=unmatched` for the queue); a
/// client sees the payments matched to its company.
#[utoipa::path(
    tag = "payments",
    operation_id = "list_payments",
    params(PaymentQuery, PageParams),
    responses((status = 200, description = "A page of payments", body = Page<PaymentView>)),
    security(("bearer" = []))
)]
#[get("/payments")]
pub async fn list_payments(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<PaymentQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list(&state, who, q.into_inner(), page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get a payment with its allocations.
#[utoipa::path(
    tag = "payments",
    operation_id = "get_payment",
    params(("payment_id" = String, Path, description = "Payment id")),
    responses(
        (status = 200, description = "The payment", body = PaymentView),
        (status = 404, description = "No such payment (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/payments/{payment_id}")]
pub async fn get_payment(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get(&state, who, path.into_inner()).await?))
}

/// Match a payment that found no client by hand, with a reason (audited): the money is then
/// credited, releases and allocates as if the client had been found.
#[utoipa::path(
    tag = "payments",
    operation_id = "match_payment",
    params(("payment_id" = String, Path, description = "Payment id")),
    request_body = MatchPayment,
    responses(
        (status = 200, description = "The payment, matched", body = PaymentView),
        (status = 403, description = "Not accounting staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Matched already (`payment_already_matched`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payments/{payment_id}/match")]
pub async fn match_payment(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<MatchPayment>,
) -> Result<HttpResponse, ApiError> {
    let view = service::match_payment(&state, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Pay back (part of) what a payment left unallocated (accountant, director): a `refund`
/// ledger entry, never below a zero balance. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "payments",
    operation_id = "refund_payment",
    params(
        ("payment_id" = String, Path, description = "Payment id"),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe. 1 to 255 visible ASCII characters"),
    ),
    request_body = RefundPayment,
    responses(
        (status = 200, description = "The payment with the refund", body = PaymentView),
        (status = 403, description = "Not an accountant or the director", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Unmatched (`payment_unmatched`), or the balance holds no such advance (`insufficient_advance`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payments/{payment_id}/refund")]
pub async fn refund_payment(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<RefundPayment>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let idem = idempotency::from_request(&req, &who, &format!("refund_payment:{id}"), &body.0)?;
    Ok(service::refund(&state, who, id, body.0, idem)
        .await?
        .response())
}

/// Undo a match to the wrong client (accountant, director), with a reason: a
/// `payment_reversal` ledger entry takes the credit back, the bills it paid are unpaid again,
/// and the payment waits to be matched anew. Orders it released stay released.
#[utoipa::path(
    tag = "payments",
    operation_id = "unmatch_payment",
    params(("payment_id" = String, Path, description = "Payment id")),
    request_body = UnmatchPayment,
    responses(
        (status = 200, description = "The payment, unmatched", body = PaymentView),
        (status = 403, description = "Not an accountant or the director", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not matched (`payment_unmatched`) or partly refunded (`payment_refunded`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payments/{payment_id}/unmatch")]
pub async fn unmatch_payment(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<UnmatchPayment>,
) -> Result<HttpResponse, ApiError> {
    let view = service::unmatch(&state, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_payment)
        .service(import_payments)
        .service(list_payments)
        .service(get_payment)
        .service(match_payment)
        .service(refund_payment)
        .service(unmatch_payment);
}
