//! Running jobs: lease, run record, dispatch; the cron wiring; the jobs API use cases.

use super::model::*;
use super::store::{self, LeaseRow, RunFilter, RunRow};
use crate::auth::model::{Principal, Role};
use crate::config::JobSettings;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::web::Page;
use chrono::NaiveDateTime;
use std::sync::OnceLock;

/// How long a run holds its period without renewing (each batch renews it). A crashed run's
/// period is taken over by the next run after this.
pub const LEASE_SECS: i64 = 300;

/// Job runs are kept this long.
pub const KEEP_RUNS_DAYS: i64 = 90;

/// Transactions a per-client job runs at once on PostgreSQL (`JobContext::in_client_ranges`;
/// `[jobs] workers`, set by `configure`); SQLite has one writer, so one.
static WORKERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// The most `[jobs] workers` may be.
pub const MAX_WORKERS: usize = 8;

/// Connections of the server's jobs pool for `workers`: the workers, a lease renewal and the
/// run record, so a job never takes the API's connections.
pub fn jobs_pool_size(workers: usize) -> u32 {
    workers.clamp(1, MAX_WORKERS) as u32 + 2
}

/// This process in leases and run records: host, pid and a random tag.
pub fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".to_string());
        let tag = uuid::Uuid::new_v4().simple().to_string();
        format!("{host}:{}:{}", std::process::id(), &tag[..8])
    })
}

/// The business settings jobs use (seller requisites in letters), set once at start by
/// `Application::build` and the CLI.
static BUSINESS: OnceLock<crate::config::BusinessSettings> = OnceLock::new();

pub fn configure(business: &crate::config::BusinessSettings, jobs: &JobSettings) {
    let _ = BUSINESS.set(business.clone());
    WORKERS.store(
        jobs.workers.clamp(1, MAX_WORKERS),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The configured business settings (an error when the process did not configure them).
pub fn business() -> Result<&'static crate::config::BusinessSettings, ApiError> {
    BUSINESS
        .get()
        .ok_or_else(|| ApiError::internal("jobs run before scheduler::service::configure"))
}

/// What a job function gets: the injected `now`, the actor its changes are recorded under, and
/// its lease, which `progress` keeps alive.
pub struct JobContext<'a> {
    pub now: NaiveDateTime,
    pub actor: Principal,
    pool: &'a Pool,
    job: JobName,
    period: String,
    run_id: String,
    /// Stop with an error once this many items are done, as a crash would (tests).
    stop_after: Option<i64>,
    /// Items done so far, as reported to `progress`.
    done: std::sync::atomic::AtomicI64,
}

impl JobContext<'_> {
    /// Call after each committed batch with the items done so far: renews the lease, and stops
    /// the run when it lost its lease (another run took the period over) or reached
    /// `stop_after`.
    pub fn progress(&self, done: i64) -> Result<(), ApiError> {
        self.done
            .fetch_max(done, std::sync::atomic::Ordering::Relaxed);
        let until = db::now() + chrono::Duration::seconds(LEASE_SECS);
        let mut conn = self.pool.get()?;
        let held = db::write_tx(&mut conn, |c| {
            store::renew_lease(c, self.job.as_str(), &self.period, &self.run_id, until)
        })?;
        if !held {
            return Err(ApiError::conflict(
                "lease_lost",
                "another run took this period over",
            ));
        }
        if self.stop_after.is_some_and(|k| done >= k) {
            return Err(ApiError::internal(format!(
                "stopped after {done} items (stop_after)"
            )));
        }
        Ok(())
    }

    /// Runs `step(conn, after, limit)` batch after batch, each in its own write transaction,
    /// over a keyset that starts at '' (every id is greater) and continues after the `last`
    /// the step returns, until a batch sees fewer than `limit`; renews the lease after each
    /// (see `progress`). The step returns (rows seen, last key, items done); `done` is what
    /// the run did before. Returns the items these batches did.
    pub fn in_batches<F>(
        &self,
        conn: &mut DbConn,
        size: i64,
        done: i64,
        mut step: F,
    ) -> Result<i64, ApiError>
    where
        F: FnMut(&mut DbConn, &str, i64) -> Result<(i64, String, i64), ApiError>,
    {
        let mut after = String::new();
        let mut total = done;
        loop {
            let limit = self.batch(size, total);
            let (seen, last, items) = db::write_tx(conn, |c| step(c, &after, limit))?;
            total += items;
            if seen == 0 {
                break;
            }
            self.progress(total)?;
            after = last;
            if seen < limit {
                break;
            }
        }
        Ok(total - done)
    }

    /// Runs `step(conn, after, last)` over the clients in id ranges (`after`, `last`] of
    /// `size` clients ('' before the first), each range in its own write transaction, and
    /// renews the lease after each (see `progress`); the step returns the items it did, `done`
    /// is what the run did before. On PostgreSQL `[jobs] workers` ranges run at once on their own
    /// connections (the first on `conn`), so a long job takes more of the machine than one
    /// session would; the ranges are disjoint, so the transactions never wait on each other.
    /// One at a time on SQLite and in runs with `stop_after` (which stop exactly there).
    /// Returns the items these ranges did; on an error the other workers stop after their
    /// current range and the first error is returned.
    pub fn in_client_ranges<F>(
        &self,
        conn: &mut DbConn,
        size: i64,
        done: i64,
        step: F,
    ) -> Result<i64, ApiError>
    where
        F: Fn(&mut DbConn, &str, &str) -> Result<i64, ApiError> + Sync,
    {
        use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
        let workers = WORKERS.load(Ordering::Relaxed);
        let parallel = workers > 1 && matches!(conn, DbConn::Pg(_)) && self.stop_after.is_none();
        if !parallel {
            return self.in_batches(conn, size, done, |c, after, limit| {
                let ids = crate::clients::store::ids_after(c, after, limit)?;
                let Some(last) = ids.last().cloned() else {
                    return Ok((0, String::new(), 0));
                };
                Ok((ids.len() as i64, last.clone(), step(c, after, &last)?))
            });
        }
        let bounds = crate::clients::store::range_ends(conn, size)?;
        let next = AtomicUsize::new(0);
        let total = AtomicI64::new(done);
        let failed = AtomicBool::new(false);
        let work = |c: &mut DbConn| -> Result<(), ApiError> {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bounds.len() || failed.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let after = if i == 0 { "" } else { bounds[i - 1].as_str() };
                let result = db::write_tx(c, |c| step(c, after, &bounds[i])).and_then(|items| {
                    self.progress(total.fetch_add(items, Ordering::Relaxed) + items)
                });
                if let Err(e) = result {
                    failed.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        };
        let results: Vec<Result<(), ApiError>> = std::thread::scope(|s| {
            let others: Vec<_> = (1..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut c = self.pool.get()?;
                        work(&mut c)
                    })
                })
                .collect();
            let mut all = vec![work(conn)];
            for h in others {
                all.push(
                    h.join()
                        .unwrap_or_else(|_| Err(ApiError::internal("a job worker panicked"))),
                );
            }
            all
        });
        for r in results {
            r?;
        }
        Ok(total.load(Ordering::Relaxed) - done)
    }

    /// The size of the next batch: `batch`, or less so that a run with `stop_after` stops
    /// exactly after that many items (`done` so far).
    pub fn batch(&self, batch: i64, done: i64) -> i64 {
        match self.stop_after {
            Some(k) => (k - done).clamp(1, batch),
            None => batch,
        }
    }
}

fn run_view(r: RunRow) -> JobRunView {
    JobRunView {
        id: r.id,
        job: JobName::parse(&r.job).unwrap_or(JobName::Housekeeping),
        period: r.period,
        trigger: Trigger::parse(&r.run_trigger).unwrap_or(Trigger::Manual),
        status: RunStatus::parse(&r.status).unwrap_or(RunStatus::Failed),
        owner: r.owner,
        now: r.run_now.and_utc(),
        started_at: r.started_at.and_utc(),
        finished_at: r.finished_at.map(|t| t.and_utc()),
        items: r.items,
        errors: r.errors,
        message: r.message,
    }
}

fn dispatch(job: JobName, pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    match job {
        JobName::ReservationExpiry => crate::receivables::service::expire_reservations(pool, ctx),
        JobName::Penalties => crate::receivables::service::accrue_penalties(pool, ctx),
        JobName::CreditHolds => crate::receivables::service::control_holds(pool, ctx),
        JobName::Dunning => crate::receivables::service::send_reminders(pool, ctx),
        JobName::AdvanceBonus => crate::receivables::service::award_bonuses(pool, ctx),
        JobName::TierRecalc => crate::receivables::tiers::recalc_tiers(pool, ctx),
        JobName::Housekeeping => housekeeping(pool, ctx),
        JobName::OfferExpiry => crate::bargaining::service::expire_offers(pool, ctx),
    }
}

/// Runs `job` at `now` (blocking: call from a blocking thread): takes the period's lease,
/// records the run, runs the job, and marks the period done — or, on an error, gives the
/// period back so the next run completes it. A period done or held elsewhere is a `skipped`
/// run. `stop_after` makes the job fail after that many items (tests of interrupted runs).
pub fn run_job(
    pool: &Pool,
    job: JobName,
    now: NaiveDateTime,
    trigger: Trigger,
    stop_after: Option<i64>,
) -> Result<JobRunView, ApiError> {
    let mut conn = pool.get()?;
    let period = job.period(now);
    let run_id = db::new_id();
    let started = db::now();
    let lease = LeaseRow {
        job: job.as_str().to_string(),
        period: period.clone(),
        owner: owner().to_string(),
        run_id: run_id.clone(),
        expires_at: started + chrono::Duration::seconds(LEASE_SECS),
        done_at: None,
    };
    let mut row = RunRow {
        id: run_id.clone(),
        job: job.as_str().to_string(),
        period: period.clone(),
        run_trigger: trigger.as_str().to_string(),
        owner: owner().to_string(),
        status: RunStatus::Running.as_str().to_string(),
        run_now: now,
        started_at: started,
        finished_at: None,
        items: 0,
        errors: 0,
        message: None,
    };
    let got = db::write_tx(&mut conn, |c| -> Result<bool, ApiError> {
        let got = store::take_lease(c, &lease, started)?;
        if !got {
            let message = match store::lease_of(c, job.as_str(), &period)? {
                Some((by, true)) => format!("period {period} was done by run {by}"),
                Some((by, false)) => format!("period {period} is being done by run {by}"),
                None => format!("period {period} is taken"),
            };
            row.status = RunStatus::Skipped.as_str().to_string();
            row.finished_at = Some(started);
            row.message = Some(message);
        }
        store::insert_run(c, &row)?;
        Ok(got)
    })?;
    if !got {
        tracing::info!(job = job.as_str(), %period, "job run skipped");
        return Ok(run_view(row));
    }
    let ctx = JobContext {
        now,
        actor: Principal::system(),
        pool,
        job,
        period: period.clone(),
        run_id: run_id.clone(),
        stop_after,
        done: std::sync::atomic::AtomicI64::new(0),
    };
    // The job takes its own connections (up to JOB_WORKERS at once).
    drop(conn);
    let result = dispatch(job, pool, &ctx);
    let mut conn = pool.get()?;
    let finished = db::now();
    let (status, outcome, message) = match &result {
        Ok(o) => (RunStatus::Succeeded, *o, None),
        Err(e) => (
            RunStatus::Failed,
            Outcome {
                items: ctx.done.load(std::sync::atomic::Ordering::Relaxed),
                errors: 1,
            },
            Some(e.to_string()),
        ),
    };
    db::write_tx(&mut conn, |c| -> Result<(), ApiError> {
        match status {
            RunStatus::Succeeded => {
                store::finish_lease(c, job.as_str(), &period, &run_id, finished)?
            }
            _ => store::release_lease(c, job.as_str(), &period, &run_id)?,
        };
        store::finish_run(
            c,
            &run_id,
            status.as_str(),
            finished,
            outcome.items,
            outcome.errors,
            message.as_deref(),
        )?;
        Ok(())
    })?;
    match &result {
        Ok(o) => {
            tracing::info!(job = job.as_str(), %period, items = o.items, errors = o.errors, "job run done")
        }
        Err(e) => tracing::warn!(job = job.as_str(), %period, error = %e, "job run failed"),
    }
    let row = store::find_run(&mut conn, &run_id)?.ok_or_else(|| ApiError::not_found("job run"))?;
    Ok(run_view(row))
}

/// Deletes idempotency keys past their retention and old job runs.
pub fn housekeeping(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let keys = db::write_tx(&mut conn, |c| {
        crate::idempotency::service::purge(c, ctx.now)
    })?;
    let runs = db::write_tx(&mut conn, |c| -> Result<usize, ApiError> {
        Ok(store::purge_before(
            c,
            ctx.now - chrono::Duration::days(KEEP_RUNS_DAYS),
        )?)
    })?;
    ctx.progress((keys + runs) as i64)?;
    Ok(Outcome {
        items: (keys + runs) as i64,
        errors: 0,
    })
}

/// Who may see and trigger jobs.
pub const OPERATORS: &[Role] = &[Role::Admin, Role::Director];

fn require_operator(actor: &Principal) -> Result<(), ApiError> {
    if actor.has_any(OPERATORS) {
        Ok(())
    } else {
        Err(ApiError::forbidden("jobs are for admins and the director"))
    }
}

fn parse_job(name: &str) -> Result<JobName, ApiError> {
    JobName::parse(name).ok_or_else(|| ApiError::not_found("job"))
}

pub async fn list_jobs(
    pool: &Pool,
    settings: &JobSettings,
    actor: Principal,
) -> Result<Vec<JobView>, ApiError> {
    require_operator(&actor)?;
    let last = db::run(pool, |c| Ok(store::last_runs(c)?)).await?;
    Ok(JobName::ALL
        .into_iter()
        .map(|j| JobView {
            name: j,
            description: j.description().to_string(),
            schedule: settings.schedule(j).map(str::to_string),
            last_run: last
                .iter()
                .find(|r| r.job == j.as_str())
                .cloned()
                .map(run_view),
        })
        .collect())
}

pub async fn list_runs(
    pool: &Pool,
    actor: Principal,
    job: Option<String>,
    status: Option<RunStatus>,
    after: Option<String>,
    limit: i64,
) -> Result<Page<JobRunView>, ApiError> {
    require_operator(&actor)?;
    if let Some(j) = &job {
        if JobName::parse(j).is_none() {
            return Err(ApiError::field(
                "job",
                "unknown_job",
                "no job has this name",
            ));
        }
    }
    let filter = RunFilter {
        job,
        status: status.map(|s| s.as_str().to_string()),
        after,
        limit,
    };
    let rows = db::run(pool, move |c| Ok(store::list_runs(c, &filter)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), run_view))
}

/// An admin's run now: the job at the current time, as a `manual` run.
pub async fn trigger(pool: &Pool, actor: Principal, name: String) -> Result<JobRunView, ApiError> {
    require_operator(&actor)?;
    let job = parse_job(&name)?;
    let pool = pool.clone();
    actix_web::web::block(move || run_job(&pool, job, db::now(), Trigger::Manual, None))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task: {e}")))?
}

/// Starts the cron schedules of this process (the jobs with a non-empty schedule). The
/// returned scheduler must be kept alive; dropping it stops nothing, `shutdown` does.
pub async fn start(
    pool: Pool,
    settings: &JobSettings,
) -> Result<Option<tokio_cron_scheduler::JobScheduler>, String> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let scheduled: Vec<(JobName, String)> = JobName::ALL
        .into_iter()
        .filter_map(|j| settings.schedule(j).map(|s| (j, s.to_string())))
        .collect();
    if scheduled.is_empty() {
        return Ok(None);
    }
    let sched = JobScheduler::new()
        .await
        .map_err(|e| format!("scheduler: {e}"))?;
    for (job, cron) in scheduled {
        let pool = pool.clone();
        let entry = Job::new_async(cron.as_str(), move |_id, _lock| {
            let pool = pool.clone();
            Box::pin(async move {
                let done = tokio::task::spawn_blocking(move || {
                    run_job(&pool, job, db::now(), Trigger::Schedule, None)
                })
                .await;
                match done {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(job = job.as_str(), error = %e, "job run not recorded")
                    }
                    Err(e) => tracing::error!(job = job.as_str(), error = %e, "job task panicked"),
                }
            })
        })
        .map_err(|e| format!("jobs.{}: invalid cron schedule '{cron}': {e}", job.as_str()))?;
        sched
            .add(entry)
            .await
            .map_err(|e| format!("scheduler: {e}"))?;
    }
    sched.start().await.map_err(|e| format!("scheduler: {e}"))?;
    Ok(Some(sched))
}

/// For `diaspar job run NAME [--now …]`.
pub fn run_from_cli(
    pool: &Pool,
    name: &str,
    now: Option<NaiveDateTime>,
) -> Result<JobRunView, ApiError> {
    let job = parse_job(name)?;
    run_job(pool, job, now.unwrap_or_else(db::now), Trigger::Cli, None)
}
