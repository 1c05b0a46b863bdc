use crate::db::schema::{job_leases, job_runs};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = job_runs)]
pub struct RunRow {
    pub id: String,
    pub job: String,
    pub period: String,
    pub run_trigger: String,
    pub owner: String,
    pub status: String,
    pub run_now: chrono::NaiveDateTime,
    pub started_at: chrono::NaiveDateTime,
    pub finished_at: Option<chrono::NaiveDateTime>,
    pub items: i64,
    pub errors: i64,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = job_leases)]
pub struct LeaseRow {
    pub job: String,
    pub period: String,
    pub owner: String,
    pub run_id: String,
    pub expires_at: chrono::NaiveDateTime,
    pub done_at: Option<chrono::NaiveDateTime>,
}

/// Takes the lease of a job's period for `run_id`: a new period, or one whose holder let it
/// expire unfinished (crashed). False when it is done or held by a live run.
pub fn take_lease(
    conn: &mut DbConn,
    lease: &LeaseRow,
    now: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = crate::on_each_backend!(conn, |c| diesel::insert_into(job_leases::table)
        .values(lease)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(true);
    }
    let taken = diesel::update(
        job_leases::table
            .find((&lease.job, &lease.period))
            .filter(job_leases::done_at.is_null())
            .filter(job_leases::expires_at.lt(now)),
    )
    .set((
        job_leases::owner.eq(&lease.owner),
        job_leases::run_id.eq(&lease.run_id),
        job_leases::expires_at.eq(lease.expires_at),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Who holds or finished a period: (run id, done).
pub fn lease_of(conn: &mut DbConn, job: &str, period: &str) -> QueryResult<Option<(String, bool)>> {
    Ok(job_leases::table
        .find((job, period))
        .select((job_leases::run_id, job_leases::done_at))
        .first::<(String, Option<chrono::NaiveDateTime>)>(conn)
        .optional()?
        .map(|(run, done)| (run, done.is_some())))
}

/// Extends a held lease; false when the run lost it (it expired and another run took it).
pub fn renew_lease(
    conn: &mut DbConn,
    job: &str,
    period: &str,
    run_id: &str,
    until: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        job_leases::table
            .find((job, period))
            .filter(job_leases::run_id.eq(run_id))
            .filter(job_leases::done_at.is_null()),
    )
    .set(job_leases::expires_at.eq(until))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks the period done by `run_id`.
pub fn finish_lease(
    conn: &mut DbConn,
    job: &str,
    period: &str,
    run_id: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        job_leases::table
            .find((job, period))
            .filter(job_leases::run_id.eq(run_id)),
    )
    .set(job_leases::done_at.eq(Some(at)))
    .execute(conn)
}

/// Gives a failed run's period back at once (the next run completes it).
pub fn release_lease(
    conn: &mut DbConn,
    job: &str,
    period: &str,
    run_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        job_leases::table
            .find((job, period))
            .filter(job_leases::run_id.eq(run_id))
            .filter(job_leases::done_at.is_null()),
    )
    .execute(conn)
}

pub fn insert_run(conn: &mut DbConn, row: &RunRow) -> QueryResult<()> {
    diesel::insert_into(job_runs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn finish_run(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    at: chrono::NaiveDateTime,
    items: i64,
    errors: i64,
    message: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(job_runs::table.find(id))
        .set((
            job_runs::status.eq(status),
            job_runs::finished_at.eq(Some(at)),
            job_runs::items.eq(items),
            job_runs::errors.eq(errors),
            job_runs::message.eq(message),
        ))
        .execute(conn)
}

pub fn find_run(conn: &mut DbConn, id: &str) -> QueryResult<Option<RunRow>> {
    job_runs::table
        .find(id)
        .select(RunRow::as_select())
        .first(conn)
        .optional()
}

pub struct RunFilter {
    pub job: Option<String>,
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

/// Runs newest first; `after` is the id of the last run of the previous page.
pub fn list_runs(conn: &mut DbConn, f: &RunFilter) -> QueryResult<Vec<RunRow>> {
    let mut q = job_runs::table.select(RunRow::as_select()).into_boxed();
    if let Some(job) = &f.job {
        q = q.filter(job_runs::job.eq(job.clone()));
    }
    if let Some(status) = &f.status {
        q = q.filter(job_runs::status.eq(status.clone()));
    }
    if let Some(after) = &f.after {
        q = q.filter(job_runs::id.lt(after.clone()));
    }
    q.order(job_runs::id.desc()).limit(f.limit + 1).load(conn)
}

/// The latest run of each job, in one query.
pub fn last_runs(conn: &mut DbConn) -> QueryResult<Vec<RunRow>> {
    diesel::sql_query(
        "SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job)",
    )
    .load(conn)
}

/// Deletes runs started before `before` and the leases of periods done before it.
pub fn purge_before(conn: &mut DbConn, before: chrono::NaiveDateTime) -> QueryResult<usize> {
    let runs =
        diesel::delete(job_runs::table.filter(job_runs::started_at.lt(before))).execute(conn)?;
    let leases =
        diesel::delete(job_leases::table.filter(job_leases::done_at.lt(before))).execute(conn)?;
    Ok(runs + leases)
}
