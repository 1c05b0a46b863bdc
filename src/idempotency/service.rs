use super::store::{self, KeyRow};
use crate::auth::model::{Principal, PrincipalKind};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
pub const KEEP_DAYS: i64 = 7;

/// One idempotent request: who, which key, and a hash of the request.
#[derive(Debug, Clone)]
pub struct IdemRequest {
    pub principal: String,
    pub key: String,
    pub hash: String,
}

/// Keys being worked on in this process.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<(String, String)>>);

/// Holds a key's in-flight slot; frees it when dropped.
pub struct InFlightGuard {
    registry: Arc<InFlight>,
    slot: (String, String),
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.registry.0.lock() {
            set.remove(&self.slot);
        }
    }
}

/// A stored response to send again.
pub struct Replay {
    pub status: u16,
    pub body: String,
}

/// Reads the header and hashes the (already validated) request. `required` makes the key
/// mandatory for machine clients (API keys).
pub fn from_request<T: serde::Serialize>(
    req: &HttpRequest,
    who: &Principal,
    operation: &str,
    body: &T,
) -> Result<Option<IdemRequest>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        if who.kind == PrincipalKind::ApiKey {
            return Err(ApiError::bad_request(
                "idempotency_key_required",
                "machine clients must send an Idempotency-Key header with this request",
            ));
        }
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
    let mut hash = Sha256::new();
    hash.update(operation.as_bytes());
    hash.update([0]);
    hash.update(serde_json::to_vec(body).map_err(ApiError::internal)?);
    Ok(Some(IdemRequest {
        principal: format!(
            "{}:{}",
            who.kind.as_str(),
            who.id.clone().unwrap_or_default()
        ),
        key: key.to_string(),
        hash: hex::encode(hash.finalize()),
    }))
}

/// Claims the key in this process: `idempotency_key_in_use` while another request with it runs
/// here (hold the guard until the effect has committed; other replicas are stopped by the
/// key's unique index instead).
pub fn claim(registry: &Arc<InFlight>, req: &IdemRequest) -> Result<InFlightGuard, ApiError> {
    let slot = (req.principal.clone(), req.key.clone());
    let mut set = registry
        .0
        .lock()
        .map_err(|_| ApiError::internal("in-flight registry poisoned"))?;
    if !set.insert(slot.clone()) {
        return Err(in_use());
    }
    Ok(InFlightGuard {
        registry: registry.clone(),
        slot,
    })
}

/// Inside the effect's transaction, before the effect: the stored response when this key has
/// one, `idempotency_key_reused` when it was stored for another request.
pub fn lookup(conn: &mut DbConn, req: &IdemRequest) -> Result<Option<Replay>, ApiError> {
    match store::find(conn, &req.principal, &req.key)? {
        None => Ok(None),
        Some(row) if row.request_hash == req.hash => Ok(Some(Replay {
            status: row.response_status as u16,
            body: row.response_body,
        })),
        Some(_) => Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was used with a different request".into(),
        }),
    }
}

/// Inside the effect's transaction: stores the response under the key;
/// `idempotency_key_in_use` when the key has been stored meanwhile (the caller rolls back).
pub fn save(conn: &mut DbConn, req: &IdemRequest, status: u16, body: &str) -> Result<(), ApiError> {
    let row = KeyRow {
        principal: req.principal.clone(),
        idem_key: req.key.clone(),
        request_hash: req.hash.clone(),
        response_status: status as i32,
        response_body: body.to_string(),
        created_at: db::now(),
    };
    if store::insert_new(conn, &row)? {
        Ok(())
    } else {
        Err(in_use())
    }
}

fn in_use() -> ApiError {
    ApiError::conflict(
        "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
}

/// The result of a creating request: status, JSON body, and whether it was replayed.
pub struct Created {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

impl Created {
    pub fn response(self) -> actix_web::HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::CREATED);
        let mut resp = actix_web::HttpResponse::build(status);
        resp.content_type("application/json");
        if self.replayed {
            resp.insert_header((REPLAYED_HEADER, "true"));
        }
        resp.body(self.body)
    }
}

/// Runs a creating operation once per key: runs `effect` in a write transaction and stores its
/// response under the key in that transaction. A key that already has a response is found when
/// storing it (or when the effect fails): the transaction rolls back and the stored response is
/// replayed, or `idempotency_key_reused` answered when it was stored for another request. So a
/// first request pays no extra lookup, and a retry never applies the effect twice.
pub async fn run_once<T, F>(
    pool: &Pool,
    registry: &Arc<InFlight>,
    idem: Option<IdemRequest>,
    status: u16,
    effect: F,
) -> Result<Created, ApiError>
where
    T: serde::Serialize,
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
{
    let _guard = idem.as_ref().map(|req| claim(registry, req)).transpose()?;
    let stored_under = idem.clone();
    let outcome = db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let value = effect(conn)?;
            let body = serde_json::to_string(&value).map_err(ApiError::internal)?;
            if let Some(req) = &idem {
                save(conn, req, status, &body)?;
            }
            Ok(body)
        })
    })
    .await;
    match (outcome, stored_under) {
        (Ok(body), _) => Ok(Created {
            status,
            body,
            replayed: false,
        }),
        (Err(err), Some(req)) => match db::run(pool, move |c| lookup(c, &req)).await? {
            Some(replay) => Ok(Created {
                status: replay.status,
                body: replay.body,
                replayed: true,
            }),
            None => Err(err),
        },
        (Err(err), None) => Err(err),
    }
}

/// Deletes keys older than the retention period at `now` (the housekeeping job).
pub fn purge(conn: &mut DbConn, now: chrono::NaiveDateTime) -> Result<usize, ApiError> {
    Ok(store::purge_before(
        conn,
        now - chrono::Duration::days(KEEP_DAYS),
    )?)
}
