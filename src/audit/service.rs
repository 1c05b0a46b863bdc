use super::model::{
    for_client, ActivityEntry, AuditEntry, Change, STAFF_ONLY_ACTIONS, STAFF_ONLY_ENTITIES,
};
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

/// Who reads the whole audit trail.
pub const READERS: &[Role] = &[Role::Admin, Role::Director, Role::Accountant, Role::Manager];

fn entry(r: AuditRow) -> AuditEntry {
    AuditEntry {
        details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        id: r.id,
        occurred_at: r.occurred_at.and_utc(),
        actor_kind: r.actor_kind,
        actor_id: r.actor_id,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id,
        client_id: r.client_id,
        reason: r.reason,
        request_id: r.request_id,
    }
}

pub async fn list(
    pool: &Pool,
    actor: &Principal,
    filter: AuditFilter,
) -> Result<Page<AuditEntry>, ApiError> {
    if !actor.has_any(READERS) {
        return Err(ApiError::forbidden(
            "the audit trail is open to admin, director, accountant and manager",
        ));
    }
    let limit = filter.limit;
    let rows = db::run(pool, move |c| Ok(store::list(c, &filter)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), entry))
}

/// A company's activity: every record that concerns it, for its own users (any role) and
/// staff; another company's id answers 404. Staff-only actions and details are left out for
/// everyone here (staff read them in the audit trail).
pub async fn activity(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    mut filter: AuditFilter,
) -> Result<Page<ActivityEntry>, ApiError> {
    let limit = filter.limit;
    filter.client_id = Some(client_id.clone());
    filter.except_actions = STAFF_ONLY_ACTIONS;
    filter.except_entities = STAFF_ONLY_ENTITIES;
    let (rows, own) = db::run(pool, move |c| {
        crate::clients::service::ensure_visible(c, &actor, &client_id)?;
        let rows = store::list(c, &filter)?;
        let ids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
        // The company's own users and keys; staff users belong to no company.
        let own = store::client_actors(c, &ids)?;
        Ok((rows, own))
    })
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        |r| {
            let is_own = r.actor_id.as_ref().is_some_and(|id| own.contains(id));
            ActivityEntry {
                details: for_client(
                    serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
                ),
                actor_kind: match r.actor_kind.as_str() {
                    "system" => "system".to_string(),
                    _ if is_own => r.actor_kind.clone(),
                    _ => "staff".to_string(),
                },
                actor_id: r.actor_id.filter(|_| is_own),
                id: r.id,
                occurred_at: r.occurred_at.and_utc(),
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                reason: r.reason,
            }
        },
    ))
}
