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
/// Inserts the events in one statement (an unnest of column arrays for more than a few rows
/// on PostgreSQL, like `audit::store::insert_all`); they are inserted unpublished.
pub fn insert_all(conn: &mut DbConn, rows: &[EventRow]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamp};
    match conn {
        DbConn::Pg(pg) if rows.len() > crate::db::UNNEST_FROM => {
            let text = |f: fn(&EventRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
            diesel::sql_query(
                "INSERT INTO outbox_events (id, occurred_at, event_type, entity_type, entity_id, \
                   client_id, payload) \
                 SELECT * FROM unnest($1::text[], $2::timestamp[], $3::text[], $4::text[], \
                   $5::text[], $6::text[], $7::text[])",
            )
            .bind::<Array<Text>, _>(text(|r| &r.id))
            .bind::<Array<Timestamp>, _>(rows.iter().map(|r| r.occurred_at).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(text(|r| &r.event_type))
            .bind::<Array<Text>, _>(text(|r| &r.entity_type))
            .bind::<Array<Text>, _>(text(|r| &r.entity_id))
            .bind::<Array<Nullable<Text>>, _>(
                rows.iter()
                    .map(|r| r.client_id.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(text(|r| &r.payload))
            .execute(pg)
            .map(|_| ())
        }
        _ => crate::on_each_backend!(conn, |c| diesel::insert_into(outbox_events::table)
            .values(rows)
            .execute(c)
            .map(|_| ())),
    }
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
