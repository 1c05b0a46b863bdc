//! The OpenAPI document: paths come from the real handlers (utoipa-actix-web); this adds the
//! info, tags, the bearer scheme and the error responses every operation can give.

use crate::error::{FieldError, Problem};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "diaspar",
        description = "Headless B2B commerce backend. Authenticate with `POST /api/v1/auth/token` \
            and send `Authorization: Bearer <token>`. Errors are RFC 9457 problem details with a \
            stable `code`. Lists use cursor pagination (`limit`, `after` = previous `next_cursor`). \
            Money is a decimal string with two decimals.",
        license(name = "Proprietary")
    ),
    tags(
        (name = "auth", description = "Tokens for people and ERP systems"),
        (name = "users", description = "Staff users, client users, API keys"),
        (name = "clients", description = "Client companies"),
        (name = "catalog", description = "Products, stock and stock movements"),
        (name = "pricing", description = "Price tiers and quotes"),
        (name = "orders", description = "Orders: placement, booking, release, lifecycle"),
        (name = "ledger", description = "Mutual settlements: account, ledger, adjustments"),
        (name = "invoices", description = "Payment bills"),
        (name = "payments", description = "Money in: payments, bank statement imports, matching"),
        (name = "reports", description = "Receivables reports for staff: aging, turnover, debtors (JSON or CSV)"),
        (name = "receivables", description = "The director's receivables policy and per-client exceptions"),
        (name = "bargaining", description = "The margin policy, price offers and their decisions"),
        (name = "attention", description = "Clients who want a person, and orders flagged for one"),
        (name = "jobs", description = "The in-process scheduler: jobs, their runs, a run by hand"),
        (name = "audit", description = "Who changed what, and a company's activity"),
        (name = "events", description = "Domain event outbox"),
        (name = "system", description = "Health, readiness, metrics"),
    ),
    components(schemas(Problem, FieldError))
)]
pub struct ApiDoc;

/// Applied after the handlers' paths are collected (a derive-time modifier would run before).
pub struct Conventions;

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| problem(description).into());
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| {
                    !s.is_empty()
                        && serde_json::to_value(s)
                            .map(|v| v != serde_json::json!([{}]))
                            .unwrap_or(true)
                });
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                if secured {
                    add(op, "401", "Missing, invalid or expired token (`missing_token`, `invalid_token`, `token_expired`)");
                }
                if has_params || has_body {
                    add(
                        op,
                        "400",
                        "Malformed request: bad JSON or query (`malformed_json`, `invalid_query`)",
                    );
                    add(
                        op,
                        "422",
                        "Invalid fields (`validation_failed`), listed in `errors`",
                    );
                }
                if has_body {
                    add(op, "413", "Body too large (`payload_too_large`)");
                    add(
                        op,
                        "415",
                        "Body is not application/json (`unsupported_media_type`)",
                    );
                }
                add(
                    op,
                    "503",
                    "Database unavailable; retry later (`service_unavailable`)",
                );
            }
        }
    }
}
