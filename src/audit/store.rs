use crate::db::schema::audit_log;
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub request_id: Option<String>,
    pub details: String,
    /// The company the change concerns.
    pub client_id: Option<String>,
    /// Why, for a manual action (`details.reason`).
    pub reason: Option<String>,
}

/// Inserts the rows in one statement: a multi-row insert, or on PostgreSQL for more than a
/// few rows one unnest of column arrays (a VALUES list of hundreds of rows costs more to parse
/// and bind than to insert).
pub fn insert_all(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamp};
    match conn {
        DbConn::Pg(pg) if rows.len() > crate::db::UNNEST_FROM => {
            let text = |f: fn(&AuditRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
            let opt = |f: fn(&AuditRow) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
            diesel::sql_query(
                "INSERT INTO audit_log (id, occurred_at, actor_kind, actor_id, action, \
                   entity_type, entity_id, request_id, details, client_id, reason) \
                 SELECT * FROM unnest($1::text[], $2::timestamp[], $3::text[], $4::text[], \
                   $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
                   $11::text[])",
            )
            .bind::<Array<Text>, _>(text(|r| &r.id))
            .bind::<Array<Timestamp>, _>(rows.iter().map(|r| r.occurred_at).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(text(|r| &r.actor_kind))
            .bind::<Array<Nullable<Text>>, _>(opt(|r| r.actor_id.as_deref()))
            .bind::<Array<Text>, _>(text(|r| &r.action))
            .bind::<Array<Text>, _>(text(|r| &r.entity_type))
            .bind::<Array<Text>, _>(text(|r| &r.entity_id))
            .bind::<Array<Nullable<Text>>, _>(opt(|r| r.request_id.as_deref()))
            .bind::<Array<Text>, _>(text(|r| &r.details))
            .bind::<Array<Nullable<Text>>, _>(opt(|r| r.client_id.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(opt(|r| r.reason.as_deref()))
            .execute(pg)
            .map(|_| ())
        }
        _ => crate::on_each_backend!(conn, |c| diesel::insert_into(audit_log::table)
            .values(rows)
            .execute(c)
            .map(|_| ())),
    }
}

pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub actor_kind: Option<String>,
    pub client_id: Option<String>,
    pub with_reason: bool,
    pub occurred_from: Option<chrono::NaiveDateTime>,
    pub occurred_to: Option<chrono::NaiveDateTime>,
    /// Actions left out.
    pub except_actions: &'static [&'static str],
    /// Entity types left out.
    pub except_entities: &'static [&'static str],
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &AuditFilter) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table.select(AuditRow::as_select()).into_boxed();
    if let Some(t) = &f.entity_type {
        q = q.filter(audit_log::entity_type.eq(t.clone()));
    }
    if let Some(id) = &f.entity_id {
        q = q.filter(audit_log::entity_id.eq(id.clone()));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(a) = &f.actor_id {
        q = q.filter(audit_log::actor_id.eq(a.clone()));
    }
    if let Some(k) = &f.actor_kind {
        q = q.filter(audit_log::actor_kind.eq(k.clone()));
    }
    if let Some(c) = &f.client_id {
        q = q.filter(audit_log::client_id.eq(c.clone()));
    }
    if f.with_reason {
        q = q.filter(audit_log::reason.is_not_null());
    }
    if let Some(t) = f.occurred_from {
        q = q.filter(audit_log::occurred_at.ge(t));
    }
    if let Some(t) = f.occurred_to {
        q = q.filter(audit_log::occurred_at.lt(t));
    }
    if !f.except_actions.is_empty() {
        q = q.filter(audit_log::action.ne_all(f.except_actions));
    }
    if !f.except_entities.is_empty() {
        q = q.filter(audit_log::entity_type.ne_all(f.except_entities));
    }
    if let Some(after) = &f.after {
        q = q.filter(audit_log::id.gt(after.clone()));
    }
    q.order(audit_log::id.asc()).limit(f.limit + 1).load(conn)
}

/// Which of `ids` are users or API keys of a client company (not staff).
pub fn client_actors(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<std::collections::HashSet<String>> {
    use crate::db::schema::{api_keys, users};
    let mut found: std::collections::HashSet<String> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::client_id.is_not_null())
        .select(users::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    found.extend(
        api_keys::table
            .filter(api_keys::id.eq_any(ids))
            .select(api_keys::id)
            .load::<String>(conn)?,
    );
    Ok(found)
}
