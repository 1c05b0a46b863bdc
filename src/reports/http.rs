use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::PageParams;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// The report as JSON, or as a CSV attachment (with the page's cursor in `X-Next-Cursor`).
fn respond<T: serde::Serialize>(
    format: Option<ReportFormat>,
    report: &T,
    csv: impl FnOnce(&T) -> (String, String),
    next_cursor: Option<&str>,
) -> HttpResponse {
    match format.unwrap_or_default() {
        ReportFormat::Json => HttpResponse::Ok().json(report),
        ReportFormat::Csv => {
            let (filename, body) = csv(report);
            let mut resp = HttpResponse::Ok();
            resp.insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ));
            if let Some(cursor) = next_cursor {
                resp.insert_header(("X-Next-Cursor", cursor.to_string()));
            }
            resp.body(body)
        }
    }
}

/// Receivables aging (staff).
///
/// Open receivables (issued bills not fully paid whose order was released: not awaiting
/// payment, cancelled or expired) by days overdue at `as_of` (`as_of` − due date): `not_due`
/// (≤ 0), `d1_30`, `d31_60`, `d61_90`, `d90_plus` (> 90) and their `total`, in total, per
/// client or per responsible manager. The amounts are those open now; `as_of` moves the day
/// they are aged at. `client` and `manager` rows come in pages (`limit`, `after`) ordered by
/// client id or manager id; `total` is one row. `format=csv` gives the same rows as a CSV file.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_aging_report",
    params(AgingQuery, PageParams),
    responses(
        (status = 200, description = "The report (JSON), or a CSV attachment `aging-<as_of>.csv` with a header line",
            content((AgingReport = "application/json"), (String = "text/csv")),
            headers(
                ("Content-Disposition" = String, description = "CSV only: `attachment; filename=\"aging-2026-12-04.csv\"`"),
                ("X-Next-Cursor" = String, description = "CSV only: the `after` of the next page, when there is one"),
            )),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `as_of`, `limit` or `after` (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/aging")]
pub async fn get_aging_report(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<AgingQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = q.format;
    let report = service::aging(&state.pool, who, q, page.into_inner()).await?;
    Ok(respond(
        format,
        &report,
        |r| (r.csv_filename(), r.to_csv()),
        report.next_cursor.as_deref(),
    ))
}

/// Turnover per client over a period (staff).
///
/// For each client with ledger activity in `[from, to]` (UTC days): goods shipped net of
/// reversals (−Σ `release` and `release_reversal` entries), payments received (Σ `payment`
/// entries net of `payment_reversal`), and the number of orders released and reversed. Pages
/// by client id; `client_id` narrows it to one client. At most three years.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_turnover_report",
    params(TurnoverQuery, PageParams),
    responses(
        (status = 200, description = "The report (JSON), or a CSV attachment `turnover-<from>-<to>.csv` with a header line",
            content((TurnoverReport = "application/json"), (String = "text/csv")),
            headers(
                ("Content-Disposition" = String, description = "CSV only: `attachment; filename=\"turnover-2026-11-01-2026-11-30.csv\"`"),
                ("X-Next-Cursor" = String, description = "CSV only: the `after` of the next page, when there is one"),
            )),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` missing or out of range, `to` before `from`, a period of three years or more, or a bad `limit`/`after`/`client_id` (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/turnover")]
pub async fn get_turnover_report(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<TurnoverQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = q.format;
    let report = service::turnover(&state.pool, who, q, page.into_inner()).await?;
    Ok(respond(
        format,
        &report,
        |r| (r.csv_filename(), r.to_csv()),
        report.next_cursor.as_deref(),
    ))
}

/// Top debtors (staff).
///
/// Clients by overdue amount, largest first: the open amount of receivables due before
/// `as_of`, with the number of those bills, the oldest due date and its days overdue, the
/// client's debt now (−balance when the balance is negative, else 0), credit limit and balance.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_top_debtors",
    params(DebtorsQuery),
    responses(
        (status = 200, description = "The report (JSON), or a CSV attachment `debtors-<as_of>.csv` with a header line",
            content((DebtorsReport = "application/json"), (String = "text/csv")),
            headers(
                ("Content-Disposition" = String, description = "CSV only: `attachment; filename=\"debtors-2026-12-04.csv\"`"),
            )),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `as_of` or `limit` (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/debtors")]
pub async fn get_top_debtors(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<DebtorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = q.format;
    let report = service::debtors(&state.pool, who, q).await?;
    Ok(respond(
        format,
        &report,
        |r| (r.csv_filename(), r.to_csv()),
        None,
    ))
}

/// Seller motivation per responsible manager (staff).
///
/// For `[from, to]`: the paid turnover of each manager's clients (Σ payment allocations to
/// their bills in the period), their open receivables and the part overdue at the end of the
/// period, and the commission: `base_bp × max(0, 1 − overdue_factor × overdue_share)` of the
/// paid turnover, with both numbers from the receivables policy in force at the end of the
/// period (`commission.base_bp`, `commission.overdue_factor_bp`, 10,000 = a factor of 1).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_managers_report",
    params(ManagersQuery),
    responses(
        (status = 200, description = "The report (JSON), or a CSV attachment `managers-<from>-<to>.csv`",
            content((ManagersReport = "application/json"), (String = "text/csv")),
            headers(("Content-Disposition" = String, description = "CSV only"))),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` missing or out of range, `to` before `from`, or a period of three years or more (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/managers")]
pub async fn get_managers_report(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<ManagersQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = q.format;
    let report = service::managers(&state.pool, who, q).await?;
    Ok(respond(
        format,
        &report,
        |r| (r.csv_filename(), r.to_csv()),
        None,
    ))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_aging_report)
        .service(get_turnover_report)
        .service(get_top_debtors)
        .service(get_managers_report);
}
