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
}

/// Inserts the rows in one statement.
pub fn insert_all(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(audit_log::table)
        .values(rows)
        .execute(c)
        .map(|_| ()))
}

pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
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
    if let Some(after) = &f.after {
        q = q.filter(audit_log::id.gt(after.clone()));
    }
    q.order(audit_log::id.asc()).limit(f.limit + 1).load(conn)
}
