//! The DESIGN.md invariants, as portable SQL. Every test suite runs `check` after its scenarios;
//! operators can run it against a live database too. Returns one line per violation.

use super::DbConn;
use diesel::prelude::*;
use diesel::sql_types::Text;

#[derive(QueryableByName)]
struct Violation {
    #[diesel(sql_type = Text)]
    what: String,
}

const CHECKS: &str = "
SELECT 'stock out of bounds: ' || product_id AS what FROM stock
    WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand
UNION ALL
SELECT 'stock differs from its movements: ' || s.product_id AS what FROM stock s
    WHERE s.on_hand <> (SELECT COALESCE(SUM(CASE WHEN m.kind = 'write_off' THEN -m.quantity ELSE m.quantity END), 0) FROM stock_movements m WHERE m.product_id = s.product_id)
UNION ALL
SELECT 'reserved stock without open reservations: ' || product_id AS what FROM stock WHERE reserved <> 0
UNION ALL
SELECT 'balance without ledger entries: ' || id AS what FROM clients WHERE balance_minor <> 0
UNION ALL
SELECT 'audit rows and outbox events differ in number' AS what
    WHERE (SELECT COUNT(*) FROM audit_log) <> (SELECT COUNT(*) FROM outbox_events)
";

pub fn check(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(CHECKS)
        .load::<Violation>(conn)?
        .into_iter()
        .map(|v| v.what)
        .collect())
}
