//! Printable documents: the embedded tera templates (parsed once per process, autoescaped) and
//! the HTTP response that carries a rendered page.

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::HttpResponse;
use std::sync::OnceLock;

/// The payment bill ("Счёт на оплату").
pub const BILL: &str = "invoice.html";
/// The reconciliation statement ("Акт сверки взаиморасчётов").
pub const STATEMENT: &str = "statement.html";
/// A payment reminder letter (plain text: subject line, then the body).
pub const REMINDER: &str = "reminder.txt";

fn templates() -> Result<&'static tera::Tera, ApiError> {
    static TEMPLATES: OnceLock<Result<tera::Tera, String>> = OnceLock::new();
    TEMPLATES
        .get_or_init(|| {
            let mut t = tera::Tera::default();
            t.autoescape_on(vec![".html"]);
            t.add_raw_templates([
                (BILL, include_str!("../templates/invoice.html.tera")),
                (STATEMENT, include_str!("../templates/statement.html.tera")),
                (REMINDER, include_str!("../templates/reminder.txt.tera")),
            ])
            .map_err(|e| format!("templates: {e:?}"))?;
            Ok(t)
        })
        .as_ref()
        .map_err(ApiError::internal)
}

/// Renders `template` with `data` (no I/O: the templates are in the binary).
pub fn render(template: &str, data: &impl serde::Serialize) -> Result<String, ApiError> {
    let ctx = tera::Context::from_serialize(data)
        .map_err(|e| ApiError::internal(format!("{template} context: {e:?}")))?;
    templates()?
        .render(template, &ctx)
        .map_err(|e| ApiError::internal(format!("{template} render: {e:?}")))
}

/// A rendered page: UTF-8 HTML, not cached, allowed to load nothing but its inline CSS.
pub fn html_response(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html)
}
