//! Shared HTTP plumbing: the strict JSON body extractor, query/path error handlers, pagination
//! types and the problem+json fallback for unknown routes.

use crate::error::{ApiError, FieldError};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest accepted body, stored as app data.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// JSON body extractor: requires `application/json`, enforces the body limit and reports
/// malformed JSON (400) and wrong or unknown fields (422, with the JSON path of the field).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = RawBody::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if !body.is_json() {
                return Err(ApiError::UnsupportedMediaType(
                    "the request body must be application/json".into(),
                ));
            }
            parse_json(&body.bytes).map(Json)
        })
    }
}

/// A request body read within the configured limit (413 beyond it), with its media type
/// (lower-cased, without parameters).
pub struct RawBody {
    pub media_type: String,
    pub bytes: web::Bytes,
}

impl RawBody {
    pub fn is_json(&self) -> bool {
        let ct = self.media_type.as_str();
        ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
    }
}

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(256 * 1024);
        RawBody::read(req, payload, limit)
    }
}

/// Files sent as the whole request body (bank statements) may be this large.
pub const FILE_LIMIT: usize = 64 * 1024 * 1024;

/// A file sent as the request body, any media type, up to `FILE_LIMIT` (413 beyond it).
pub struct FileBody(pub RawBody);

impl FromRequest for FileBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = RawBody::read(req, payload, FILE_LIMIT);
        Box::pin(async move { body.await.map(FileBody) })
    }
}

impl RawBody {
    fn read(
        req: &HttpRequest,
        payload: &mut Payload,
        limit: usize,
    ) -> LocalBoxFuture<'static, Result<RawBody, ApiError>> {
        let media_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            use futures_util::StreamExt;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request("invalid_body", format!("cannot read the body: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawBody {
                media_type,
                bytes: body.freeze(),
            })
        })
    }
}

/// Deserializes a JSON document, mapping syntax errors to 400 `malformed_json` and data errors
/// (wrong type, unknown or missing field, bad value) to 422 with the field's path.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => Err(ApiError::bad_request(
                    "malformed_json",
                    format!("the body is not valid JSON: {inner}"),
                )),
                Category::Data => {
                    let msg = strip_position(&inner.to_string());
                    let field = if path == "." {
                        "body".to_string()
                    } else {
                        path
                    };
                    Err(ApiError::Validation(vec![FieldError::new(
                        field,
                        "invalid_value",
                        msg,
                    )]))
                }
            }
        }
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Error handler for query strings (`?limit=abc`): 400 `invalid_query`.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("invalid query parameters: {err}")).into()
}

/// Error handler for path segments.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("invalid path parameter: {err}")).into()
}

/// Methods each documented path accepts (from the OpenAPI document), for `405` + `Allow`.
#[derive(Clone, Default)]
pub struct AllowedMethods(pub std::sync::Arc<std::collections::HashMap<String, String>>);

impl AllowedMethods {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> AllowedMethods {
        let map = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (path.clone(), methods.join(", "))
            })
            .collect();
        AllowedMethods(std::sync::Arc::new(map))
    }
}

/// Fallback: `405 method_not_allowed` with `Allow` when the path exists under another method,
/// else `404 not_found`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    match req.resource_map().match_pattern(req.path()) {
        Some(pattern) => {
            let allow = req
                .app_data::<AllowedMethods>()
                .and_then(|a| a.0.get(&pattern).cloned())
                .unwrap_or_else(|| "GET".to_string());
            let mut resp = ApiError::MethodNotAllowed(format!(
                "{} is not allowed here; allowed: {allow}",
                req.method()
            ))
            .error_response();
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            resp
        }
        None => ApiError::NotFound("no such route".into()).error_response(),
    }
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// Cursor pagination: `limit` (1–200, default 50) and `after` (the `next_cursor` of the
/// previous page). Items are ordered by id, which is time-ordered, so pages stay stable while
/// new rows are added.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Cursor from `next_cursor` of the previous page.
    #[param(max_length = 64)]
    pub after: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE as i64),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n as i64),
            Some(_) => Err(ApiError::Validation(vec![FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_PAGE}"),
            )])),
        }
    }

    pub fn after(&self) -> Result<Option<String>, ApiError> {
        match &self.after {
            None => Ok(None),
            Some(a) if a.len() <= 64 => Ok(Some(a.clone())),
            Some(_) => Err(ApiError::field(
                "after",
                "invalid_cursor",
                "the cursor is invalid",
            )),
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only signals that more exist.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        id: impl Fn(&R) -> String,
        map: impl Fn(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&id) } else { None };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}
