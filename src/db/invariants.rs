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
    WHERE s.on_hand <> (SELECT COALESCE(SUM(CASE WHEN m.kind IN ('write_off', 'issue') THEN -m.quantity ELSE m.quantity END), 0) FROM stock_movements m WHERE m.product_id = s.product_id)
UNION ALL
SELECT 'reserved differs from open reservations: ' || s.product_id AS what FROM stock s
    WHERE s.reserved <> (SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
                         WHERE l.product_id = s.product_id AND o.status IN ('awaiting_payment', 'released'))
UNION ALL
SELECT 'cached balance differs from the ledger: ' || c.id AS what FROM clients c
    WHERE c.balance_minor <> (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e WHERE e.client_id = c.id)
UNION ALL
SELECT 'ledger running balance broken: ' || t.id AS what FROM (
    SELECT id, balance_after_minor,
           SUM(amount_minor) OVER (PARTITION BY client_id ORDER BY seq) AS running,
           seq, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY seq) AS n
    FROM ledger_entries) t
    WHERE t.balance_after_minor <> t.running OR t.seq <> t.n
UNION ALL
SELECT 'ledger numbering behind its entries: ' || c.id AS what FROM clients c
    WHERE c.ledger_seq <> (SELECT COUNT(*) FROM ledger_entries e WHERE e.client_id = c.id)
UNION ALL
SELECT 'invoice numbers not gapless in series ' || series AS what FROM invoices
    GROUP BY series HAVING COUNT(*) <> MAX(seq) OR MIN(seq) <> 1
UNION ALL
SELECT 'document counter behind its invoices: ' || d.series AS what FROM document_counters d
    WHERE d.last_value <> (SELECT COALESCE(MAX(i.seq), 0) FROM invoices i WHERE i.series = d.series)
UNION ALL
SELECT 'invoice paid beyond its total: ' || id AS what FROM invoices WHERE paid_minor > total_minor OR paid_minor < 0
UNION ALL
SELECT 'invoice total differs from its order: ' || i.id AS what FROM invoices i JOIN orders o ON o.id = i.order_id
    WHERE i.total_minor <> o.total_minor
UNION ALL
SELECT 'invoice released flag differs from its order: ' || i.id AS what FROM invoices i JOIN orders o ON o.id = i.order_id
    WHERE i.released <> (o.released_at IS NOT NULL)
UNION ALL
SELECT 'order total differs from its lines: ' || o.id AS what FROM orders o
    WHERE o.total_minor <> (SELECT COALESCE(SUM(l.total_minor), 0) FROM order_lines l WHERE l.order_id = o.id)
UNION ALL
SELECT 'invoice paid differs from its allocations: ' || i.id AS what FROM invoices i
    WHERE i.paid_minor <> (SELECT COALESCE(SUM(a.amount_minor), 0) FROM payment_allocations a WHERE a.invoice_id = i.id)
UNION ALL
SELECT 'invoice status differs from what is paid: ' || id AS what FROM invoices
    WHERE (status = 'paid' AND paid_minor <> total_minor) OR (status = 'issued' AND paid_minor = total_minor AND total_minor > 0)
UNION ALL
SELECT 'payment allocated differs from its allocations: ' || p.id AS what FROM payments p
    WHERE p.allocated_minor <> (SELECT COALESCE(SUM(a.amount_minor), 0) FROM payment_allocations a WHERE a.payment_id = p.id)
       OR p.allocated_minor + p.refunded_minor > p.amount_minor
UNION ALL
SELECT 'payment match differs from its ledger credit: ' || p.id AS what FROM payments p
    WHERE (p.client_id IS NULL) <> (p.status = 'unmatched')
       OR (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e
           WHERE e.payment_id = p.id AND e.kind IN ('payment', 'payment_reversal'))
          <> CASE WHEN p.status = 'unmatched' THEN 0 ELSE p.amount_minor END
       OR (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e
           WHERE e.payment_id = p.id AND e.kind = 'refund') <> -p.refunded_minor
UNION ALL
SELECT 'allocation to another client''s bill: ' || a.payment_id AS what FROM (
    SELECT payment_id, invoice_id FROM payment_allocations
    GROUP BY payment_id, invoice_id HAVING SUM(amount_minor) <> 0) a
    JOIN payments p ON p.id = a.payment_id JOIN invoices i ON i.id = a.invoice_id
    WHERE p.client_id IS NULL OR p.client_id <> i.client_id
UNION ALL
SELECT 'bill penalty differs from its accruals: ' || i.id AS what FROM invoices i
    LEFT JOIN invoice_penalties p ON p.invoice_id = i.id
    WHERE COALESCE(p.penalty_minor, 0) <> (SELECT COALESCE(SUM(a.amount_minor), 0)
        FROM penalty_accruals a WHERE a.invoice_id = i.id)
       OR COALESCE(p.penalty_minor, 0) > i.total_minor
UNION ALL
SELECT 'penalty accrual not of a bill of its client: ' || a.invoice_id AS what FROM penalty_accruals a
    LEFT JOIN invoices i ON i.id = a.invoice_id
    WHERE i.id IS NULL OR i.client_id <> a.client_id
UNION ALL
SELECT 'penalty entries differ from the accruals: ' || c.id AS what FROM clients c
    LEFT JOIN (SELECT client_id, SUM(amount_minor) AS s FROM ledger_entries
               WHERE kind = 'penalty' GROUP BY client_id) e ON e.client_id = c.id
    LEFT JOIN (SELECT client_id, SUM(amount_minor) AS s FROM penalty_accruals
               GROUP BY client_id) a ON a.client_id = c.id
    WHERE COALESCE(e.s, 0) <> -COALESCE(a.s, 0)
UNION ALL
SELECT 'bonus entries differ from the awards: ' || c.id AS what FROM clients c
    WHERE (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e
           WHERE e.client_id = c.id AND e.kind = 'bonus')
       <> (SELECT COALESCE(SUM(b.amount_minor), 0) FROM bonus_awards b WHERE b.client_id = c.id)
UNION ALL
SELECT 'offer quantity used differs from its open orders: ' || ol.offer_id AS what FROM offer_lines ol
    WHERE ol.used_quantity <> (SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l
        JOIN orders o ON o.id = l.order_id
        WHERE l.offer_id = ol.offer_id AND l.product_id = ol.product_id
          AND o.status NOT IN ('cancelled', 'expired'))
UNION ALL
SELECT 'order line priced by an offer not accepted for its client: ' || l.order_id AS what
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    LEFT JOIN offers f ON f.id = l.offer_id
    LEFT JOIN offer_lines fl ON fl.offer_id = l.offer_id AND fl.product_id = l.product_id
    WHERE l.offer_id IS NOT NULL AND (f.client_id <> o.client_id OR fl.agreed_price_minor IS NULL
        OR fl.agreed_price_minor <> l.unit_price_minor OR f.status NOT IN ('accepted', 'withdrawn', 'expired', 'revoked'))
UNION ALL
SELECT 'offer decided below a floor without a director''s audited override: ' || f.id AS what
    FROM offers f
    WHERE f.override_reason IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM audit_log a JOIN users u ON u.id = a.actor_id
        WHERE a.entity_type = 'offer' AND a.entity_id = f.id
          AND a.action = 'offer.floor_overridden' AND u.role = 'director')
UNION ALL
SELECT 'offer decided without its prices: ' || f.id AS what FROM offers f JOIN offer_lines l ON l.offer_id = f.id
    WHERE (f.status = 'accepted' AND l.agreed_price_minor IS NULL)
       OR (f.status = 'countered' AND l.counter_price_minor IS NULL)
       OR (f.status IN ('accepted', 'countered') AND f.valid_until IS NULL)
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
