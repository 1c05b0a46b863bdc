//! Attention requests SQL.

use crate::db::schema::{attention_requests, orders};
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attention_requests)]
pub struct AttentionRow {
    pub id: String,
    pub client_id: String,
    pub kind: String,
    pub topic: String,
    pub message: Option<String>,
    pub order_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub callback: bool,
    pub status: String,
    pub manager_id: Option<String>,
    pub assignee_id: Option<String>,
    pub resolution_note: Option<String>,
    pub created_by_kind: String,
    pub created_by_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &AttentionRow) -> QueryResult<()> {
    diesel::insert_into(attention_requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<AttentionRow>> {
    attention_requests::table
        .find(id)
        .select(AttentionRow::as_select())
        .first(conn)
        .optional()
}

pub struct AttentionFilter {
    pub client_id: Option<String>,
    pub status: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub manager_id: Option<String>,
    pub assignee_id: Option<String>,
    pub created_from: Option<NaiveDateTime>,
    pub created_to: Option<NaiveDateTime>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &AttentionFilter) -> QueryResult<Vec<AttentionRow>> {
    let mut q = attention_requests::table
        .select(AttentionRow::as_select())
        .into_boxed();
    if let Some(c) = &f.client_id {
        q = q.filter(attention_requests::client_id.eq(c.clone()));
    }
    if let Some(s) = f.status {
        q = q.filter(attention_requests::status.eq(s));
    }
    if let Some(k) = f.kind {
        q = q.filter(attention_requests::kind.eq(k));
    }
    if let Some(m) = &f.manager_id {
        q = q.filter(attention_requests::manager_id.eq(m.clone()));
    }
    if let Some(a) = &f.assignee_id {
        q = q.filter(attention_requests::assignee_id.eq(a.clone()));
    }
    if let Some(t) = f.created_from {
        q = q.filter(attention_requests::created_at.ge(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(attention_requests::created_at.lt(t));
    }
    if let Some(a) = &f.after {
        q = q.filter(attention_requests::id.gt(a.clone()));
    }
    q.order(attention_requests::id.asc())
        .limit(f.limit + 1)
        .load(conn)
}

/// Gives an open or assigned request to `assignee`; false when it is resolved (or gone).
pub fn assign(
    conn: &mut DbConn,
    id: &str,
    assignee: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        attention_requests::table
            .filter(attention_requests::id.eq(id))
            .filter(attention_requests::status.ne("resolved")),
    )
    .set((
        attention_requests::status.eq("assigned"),
        attention_requests::assignee_id.eq(assignee),
        attention_requests::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Closes a request not resolved yet; one nobody took counts as handled by `resolver`. False
/// when it was resolved already.
pub fn resolve(
    conn: &mut DbConn,
    id: &str,
    resolver: Option<&str>,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        attention_requests::table
            .filter(attention_requests::id.eq(id))
            .filter(attention_requests::status.ne("resolved")),
    )
    .set((
        attention_requests::status.eq("resolved"),
        attention_requests::assignee_id.eq(diesel::dsl::sql::<Nullable<Text>>(
            "COALESCE(assignee_id, ",
        )
        .bind::<Nullable<Text>, _>(resolver)
        .sql(")")),
        attention_requests::resolution_note.eq(note),
        attention_requests::resolved_at.eq(now),
        attention_requests::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// How many orders a client has placed besides `except` (cancelled and expired ones aside)
/// and their average total, rounded down.
pub fn order_average(conn: &mut DbConn, client_id: &str, except: &str) -> QueryResult<(i64, i64)> {
    let (count, sum): (i64, Option<i64>) = orders::table
        .filter(orders::client_id.eq(client_id))
        .filter(orders::id.ne(except))
        .filter(orders::status.ne_all(["cancelled", "expired"]))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(total_minor) AS BIGINT)",
            ),
        ))
        .first(conn)?;
    Ok((
        count,
        if count > 0 {
            sum.unwrap_or(0) / count
        } else {
            0
        },
    ))
}
