use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::scheduler::model::Outcome;
use crate::scheduler::service::JobContext;

/// Orders expired per transaction.
pub const EXPIRY_BATCH: i64 = 500;

/// The `reservation_expiry` job: every order awaiting payment whose `reserved_until` is at or
/// before `ctx.now` expires (see `orders::service::expire_due`), in transactions of
/// `EXPIRY_BATCH`. An interrupted run leaves whole batches done; the next run goes on with the
/// rest (an expired order is no longer due).
pub fn expire_reservations(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let mut outcome = Outcome::default();
    loop {
        let batch = ctx.batch(EXPIRY_BATCH, outcome.items);
        let (seen, expired) = db::write_tx(&mut conn, |c| {
            crate::orders::service::expire_due(c, &ctx.actor, ctx.now, batch)
        })?;
        if !expired.is_empty() {
            crate::catalog::service::catalog_changed();
        }
        outcome.items += expired.len() as i64;
        if seen == 0 {
            break;
        }
        ctx.progress(outcome.items)?;
        if (seen as i64) < batch {
            break;
        }
    }
    Ok(outcome)
}
