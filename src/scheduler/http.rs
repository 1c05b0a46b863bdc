use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Page, PageParams};
use actix_web::{get, post, web, HttpResponse};

/// The jobs of this server (admin, director): what each does, its schedule here, its last run.
#[utoipa::path(
    tag = "jobs",
    operation_id = "list_jobs",
    responses(
        (status = 200, description = "Every job", body = Vec<JobView>),
        (status = 403, description = "Not an admin or the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<HttpResponse, ApiError> {
    let jobs = service::list_jobs(&state.pool, &state.settings.jobs, who).await?;
    Ok(HttpResponse::Ok().json(jobs))
}

/// Job runs, newest first (admin, director): start, end, items done, errors, and why a run
/// failed or was skipped. `after` is the `next_cursor` of the previous page.
#[utoipa::path(
    tag = "jobs",
    operation_id = "list_job_runs",
    params(RunQuery, PageParams),
    responses(
        (status = 200, description = "A page of runs", body = Page<JobRunView>),
        (status = 403, description = "Not an admin or the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `job`, `status`, `limit` or `after` (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/jobs/runs")]
pub async fn list_job_runs(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<RunQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let runs = service::list_runs(
        &state.pool,
        who,
        q.job.map(|j| j.as_str().to_string()),
        q.status,
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(runs))
}

/// Run a job now (admin, director), at the current time, and wait for it. The run takes the
/// job's lease for the current period like a scheduled one: when that period was done already
/// or another process is doing it, the run is recorded as `skipped` with the reason.
#[utoipa::path(
    tag = "jobs",
    operation_id = "run_job",
    params(("name" = JobName, Path, description = "The job")),
    responses(
        (status = 200, description = "The finished run (succeeded, failed or skipped)", body = JobRunView),
        (status = 403, description = "Not an admin or the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No job has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/jobs/{name}/run")]
pub async fn run_job(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let run = service::trigger(&state.jobs, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(run))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_jobs)
        .service(list_job_runs)
        .service(run_job);
}
