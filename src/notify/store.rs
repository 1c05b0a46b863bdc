use crate::db::schema::outbox_events;
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_events)]
pub struct EventRow {
    pub id: String,
    pub occurred_at: chrono::NaiveDateTime,
    pub event_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub client_id: Option<String>,
    pub payload: String,
    pub published_at: Option<chrono::NaiveDateTime>,
}

/// Inserts the rows in one statement.
pub fn insert_all(conn: &mut DbConn, rows: &[EventRow]) -> QueryResult<()> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(outbox_events::table)
        .values(rows)
        .execute(c)
        .map(|_| ()))
}

pub fn list(
    conn: &mut DbConn,
    event_type: Option<String>,
    entity_id: Option<String>,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = outbox_events::table
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(t) = event_type {
        q = q.filter(outbox_events::event_type.eq(t));
    }
    if let Some(id) = entity_id {
        q = q.filter(outbox_events::entity_id.eq(id));
    }
    if let Some(a) = after {
        q = q.filter(outbox_events::id.gt(a));
    }
    q.order(outbox_events::id.asc()).limit(limit + 1).load(conn)
}
