use super::model::*;
use super::store::{self, Sums};
use crate::auth::model::Principal;
use crate::clients::model::ClientStatus;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::money::{Money, SignedMoney};
use crate::web::PageParams;

/// Reports are for staff (every staff role); a client principal gets 403.
pub fn ensure_staff(actor: &Principal) -> Result<(), ApiError> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden("reports are for staff"))
    }
}

fn today() -> chrono::NaiveDate {
    db::now().date()
}

fn row(sums: Sums) -> AgingRow {
    AgingRow {
        client_id: None,
        client_name: None,
        inn: None,
        manager_id: None,
        manager_name: None,
        clients: sums.clients,
        open_invoices: sums.open_invoices,
        not_due: Money::from_minor(sums.not_due_minor),
        d1_30: Money::from_minor(sums.d1_30_minor),
        d31_60: Money::from_minor(sums.d31_60_minor),
        d61_90: Money::from_minor(sums.d61_90_minor),
        d90_plus: Money::from_minor(sums.d90_plus_minor),
        total: Money::from_minor(sums.total_minor),
    }
}

/// Cuts `limit + 1` fetched rows to a page; the cursor is the key of the page's last row.
fn page<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> String,
    map: impl Fn(R) -> T,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(key) } else { None };
    (rows.into_iter().map(map).collect(), next)
}

pub async fn aging(
    pool: &Pool,
    actor: Principal,
    q: AgingQuery,
    paging: PageParams,
) -> Result<AgingReport, ApiError> {
    ensure_staff(&actor)?;
    let as_of = as_of(q.as_of, today())?;
    let limit = paging.limit()?;
    let after = paging.after()?;
    let group_by = q.group_by.unwrap_or_default();
    let bounds = AgingBounds::new(as_of);
    let (items, next_cursor) = db::run(pool, move |c| {
        Ok(match group_by {
            AgingGroupBy::Total => (vec![row(store::aging_total(c, bounds)?)], None),
            AgingGroupBy::Client => page(
                store::aging_by_client(c, bounds, after.as_deref(), limit)?,
                limit,
                |r| r.client_id.clone(),
                |r| AgingRow {
                    client_id: Some(r.client_id),
                    client_name: Some(r.client_name),
                    inn: Some(r.inn),
                    manager_id: r.manager_id,
                    manager_name: r.manager_name,
                    ..row(r.sums)
                },
            ),
            AgingGroupBy::Manager => {
                // The row without a manager has the key '' and the cursor "none".
                let after = after.map(|a| {
                    if a == NO_MANAGER_CURSOR {
                        String::new()
                    } else {
                        a
                    }
                });
                page(
                    store::aging_by_manager(c, bounds, after.as_deref(), limit)?,
                    limit,
                    |r| {
                        if r.manager_key.is_empty() {
                            NO_MANAGER_CURSOR.to_string()
                        } else {
                            r.manager_key.clone()
                        }
                    },
                    |r| AgingRow {
                        manager_id: Some(r.manager_key).filter(|k| !k.is_empty()),
                        manager_name: r.manager_name,
                        ..row(r.sums)
                    },
                )
            }
        })
    })
    .await?;
    Ok(AgingReport {
        as_of,
        group_by,
        items,
        next_cursor,
    })
}

pub async fn turnover(
    pool: &Pool,
    actor: Principal,
    q: TurnoverQuery,
    paging: PageParams,
) -> Result<TurnoverReport, ApiError> {
    ensure_staff(&actor)?;
    let period = q.period()?;
    let limit = paging.limit()?;
    let after = paging.after()?;
    let start = period.from.and_time(chrono::NaiveTime::MIN);
    let end = period
        .to
        .succ_opt()
        .ok_or_else(|| ApiError::field("to", "out_of_range", "is too late"))?
        .and_time(chrono::NaiveTime::MIN);
    let client_id = q.client_id;
    let rows = db::run(pool, move |c| {
        Ok(store::turnover(
            c,
            start,
            end,
            client_id.as_deref(),
            after.as_deref(),
            limit,
        )?)
    })
    .await?;
    let (items, next_cursor) = page(
        rows,
        limit,
        |r| r.client_id.clone(),
        |r| TurnoverRow {
            client_id: r.client_id,
            client_name: r.client_name,
            inn: r.inn,
            manager_id: r.manager_id,
            manager_name: r.manager_name,
            shipped: SignedMoney::from_minor(r.shipped_minor),
            payments: SignedMoney::from_minor(r.payments_minor),
            released_orders: r.released_orders,
            reversed_orders: r.reversed_orders,
        },
    );
    Ok(TurnoverReport {
        from: period.from,
        to: period.to,
        items,
        next_cursor,
    })
}

pub async fn debtors(
    pool: &Pool,
    actor: Principal,
    q: DebtorsQuery,
) -> Result<DebtorsReport, ApiError> {
    ensure_staff(&actor)?;
    let as_of = as_of(q.as_of, today())?;
    let limit = q.limit()?;
    let rows = db::run(pool, move |c| Ok(store::debtors(c, as_of, limit)?)).await?;
    Ok(DebtorsReport {
        as_of,
        items: rows
            .into_iter()
            .map(|r| DebtorRow {
                status: ClientStatus::parse(&r.status).unwrap_or(ClientStatus::Blocked),
                overdue: Money::from_minor(r.overdue_minor),
                overdue_invoices: r.overdue_invoices,
                days_overdue: (as_of - r.oldest_due).num_days(),
                oldest_due_date: r.oldest_due,
                debt: Money::from_minor((-r.balance_minor).max(0)),
                credit_limit: Money::from_minor(r.credit_limit_minor),
                balance: SignedMoney::from_minor(r.balance_minor),
                client_id: r.client_id,
                client_name: r.client_name,
                inn: r.inn,
                manager_id: r.manager_id,
                manager_name: r.manager_name,
            })
            .collect(),
    })
}

pub async fn managers(
    pool: &Pool,
    actor: Principal,
    q: ManagersQuery,
) -> Result<ManagersReport, ApiError> {
    ensure_staff(&actor)?;
    let period = q.period()?;
    let start = period.from.and_time(chrono::NaiveTime::MIN);
    let next_day = period
        .to
        .succ_opt()
        .ok_or_else(|| ApiError::field("to", "out_of_range", "is too late"))?;
    let end = next_day.and_time(chrono::NaiveTime::MIN);
    let (policy, (paid, open, names)) = db::run(pool, move |c| {
        let policy = crate::receivables::service::job_policy(c, end)?;
        Ok((policy, store::managers(c, start, end, next_day)?))
    })
    .await?;
    let rule = &policy.policy.commission;
    let mut keys: Vec<&str> = paid
        .iter()
        .map(|p| p.manager_key.as_str())
        .chain(open.iter().map(|o| o.manager_key.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let items = keys
        .into_iter()
        .map(|key| {
            let p = paid.iter().find(|p| p.manager_key == key);
            let o = open.iter().find(|o| o.manager_key == key);
            let paid_minor = p.map_or(0, |p| p.paid_minor);
            let (open_minor, overdue_minor) = o.map_or((0, 0), |o| (o.open_minor, o.overdue_minor));
            let (share, rate, amount) = commission(
                paid_minor,
                open_minor,
                overdue_minor,
                rule.base_bp,
                rule.overdue_factor_bp,
            );
            ManagerRow {
                manager_id: Some(key.to_string()).filter(|k| !k.is_empty()),
                manager_name: names
                    .iter()
                    .find(|(id, _)| id == key)
                    .map(|(_, n)| n.clone()),
                clients: p.map_or(0, |p| p.clients).max(o.map_or(0, |o| o.clients)),
                paid_turnover: SignedMoney::from_minor(paid_minor),
                open: Money::from_minor(open_minor),
                overdue: Money::from_minor(overdue_minor),
                overdue_share: share,
                commission_rate_bp: rate,
                commission: Money::from_minor(amount),
            }
        })
        .collect();
    Ok(ManagersReport {
        from: period.from,
        to: period.to,
        policy_version: policy.version,
        base_bp: rule.base_bp,
        overdue_factor_bp: rule.overdue_factor_bp,
        items,
    })
}
