use super::model::Event;
use super::store::{self, EventRow};
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::web::Page;

/// One event for the outbox.
pub struct NewEvent<'a> {
    pub event_type: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub client_id: Option<&'a str>,
    pub payload: &'a serde_json::Value,
}

/// Appends events to the outbox in one statement (inside the caller's transaction).
pub fn enqueue_all(
    conn: &mut DbConn,
    at: chrono::NaiveDateTime,
    events: &[NewEvent<'_>],
) -> Result<(), ApiError> {
    let rows: Vec<EventRow> = events
        .iter()
        .map(|e| EventRow {
            id: db::new_id(),
            occurred_at: at,
            event_type: e.event_type.to_string(),
            entity_type: e.entity_type.to_string(),
            entity_id: e.entity_id.to_string(),
            client_id: e.client_id.map(str::to_string),
            payload: e.payload.to_string(),
            published_at: None,
        })
        .collect();
    store::insert_all(conn, &rows)?;
    Ok(())
}

pub async fn list(
    pool: &Pool,
    actor: &Principal,
    event_type: Option<String>,
    entity_id: Option<String>,
    after: Option<String>,
    limit: i64,
) -> Result<Page<Event>, ApiError> {
    if !actor.has_any(&[Role::Admin]) {
        return Err(ApiError::forbidden("the event outbox is open to admins"));
    }
    let rows = db::run(pool, move |c| {
        Ok(store::list(c, event_type, entity_id, after, limit)?)
    })
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        |r| Event {
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            id: r.id,
            occurred_at: r.occurred_at.and_utc(),
            event_type: r.event_type,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            client_id: r.client_id,
            published_at: r.published_at.map(|t| t.and_utc()),
        },
    ))
}
