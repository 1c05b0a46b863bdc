use super::model::{AuditEntry, Change};
use super::store::{self, AuditFilter, AuditRow};
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::notify;
use crate::web::Page;

/// Writes the audit row and the outbox event of one state change. Call inside the change's
/// transaction.
pub fn record(conn: &mut DbConn, actor: &Principal, change: Change<'_>) -> Result<(), ApiError> {
    record_all(conn, actor, std::slice::from_ref(&change))
}

/// `record` for several changes of one request: one audit statement and one outbox statement.
pub fn record_all(
    conn: &mut DbConn,
    actor: &Principal,
    changes: &[Change<'_>],
) -> Result<(), ApiError> {
    // Multi-row inserts of at most 1,000 rows keep within every backend's bind limit.
    for chunk in changes.chunks(1000) {
        record_chunk(conn, actor, chunk)?;
    }
    Ok(())
}

fn record_chunk(
    conn: &mut DbConn,
    actor: &Principal,
    changes: &[Change<'_>],
) -> Result<(), ApiError> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = db::now();
    let rows: Vec<AuditRow> = changes
        .iter()
        .map(|change| AuditRow {
            id: db::new_id(),
            occurred_at: now,
            actor_kind: actor.kind.as_str().to_string(),
            actor_id: actor.id.clone(),
            action: change.action.to_string(),
            entity_type: change.entity_type.to_string(),
            entity_id: change.entity_id.to_string(),
            request_id: actor.request_id.clone(),
            details: change.details.to_string(),
            client_id: change.client_id.map(str::to_string),
            reason: change
                .details
                .get("reason")
                .and_then(|r| r.as_str())
                .map(str::to_string),
        })
        .collect();
    store::insert_all(conn, &rows)?;
    let events: Vec<notify::service::NewEvent<'_>> = changes
        .iter()
        .map(|change| notify::service::NewEvent {
            event_type: change.action,
            entity_type: change.entity_type,
            entity_id: change.entity_id,
            client_id: change.client_id,
            payload: &change.details,
        })
        .collect();
    notify::service::enqueue_all(conn, now, &events)
}

pub const READERS: &[Role] = &[Role::Admin, Role::Director, Role::Accountant];

pub async fn list(
    pool: &Pool,
    actor: &Principal,
    filter: AuditFilter,
) -> Result<Page<AuditEntry>, ApiError> {
    if !actor.has_any(READERS) {
        return Err(ApiError::forbidden(
            "the audit log is open to admin, director and accountant",
        ));
    }
    let limit = filter.limit;
    let rows = db::run(pool, move |c| Ok(store::list(c, &filter)?)).await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        |r| AuditEntry {
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            occurred_at: r.occurred_at.and_utc(),
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            request_id: r.request_id,
        },
    ))
}
