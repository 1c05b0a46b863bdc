//! diaspar: headless B2B commerce backend.

pub mod attention;
pub mod audit;
pub mod auth;
pub mod bargaining;
pub mod cache;
pub mod catalog;
pub mod clients;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod idempotency;
pub mod invoices;
pub mod ledger;
pub mod money;
pub mod notify;
pub mod openapi;
pub mod orders;
pub mod payments;
pub mod pricing;
pub mod receivables;
pub mod reports;
pub mod scheduler;
pub mod state;
pub mod system;
pub mod users;
pub mod validate;
pub mod web;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web as aw, App, HttpMessage, HttpResponse, HttpServer};
use config::Settings;
use state::AppState;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Registers every documented route: the `/api/v1` scope and the system endpoints. The login
/// limiter is shared by all workers.
pub fn configure_routes(
    login_limiter: auth::limit::LoginLimiter,
) -> impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig) {
    move |cfg| configure_all(cfg, login_limiter)
}

fn configure_all(
    cfg: &mut utoipa_actix_web::service_config::ServiceConfig,
    login_limiter: auth::limit::LoginLimiter,
) {
    cfg.service(utoipa_actix_web::scope("/api/v1").configure(move |cfg| {
        auth::http::routes(cfg, login_limiter);
        users::http::routes(cfg);
        clients::http::routes(cfg);
        catalog::http::routes(cfg);
        pricing::http::routes(cfg);
        orders::http::routes(cfg);
        ledger::http::routes(cfg);
        invoices::http::routes(cfg);
        payments::http::routes(cfg);
        reports::http::routes(cfg);
        scheduler::http::routes(cfg);
        receivables::http::routes(cfg);
        bargaining::http::routes(cfg);
        attention::http::routes(cfg);
        audit::http::routes(cfg);
        notify::http::routes(cfg);
    }));
    system::http::routes(cfg);
}

/// The OpenAPI document collected from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::Modify;
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(configure_routes(auth::limit::login_limiter(
            &Settings::load_for("development")
                .expect("embedded default settings are valid")
                .auth,
            false,
        )))
        .split_for_parts();
    openapi::Conventions.modify(&mut api);
    api
}

pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

/// Opens the pool and applies pending migrations (blocking work on the blocking pool).
pub async fn open_database(settings: &Settings) -> Result<db::Pool, String> {
    let pool = db::pool(
        &settings.database.url,
        settings.database.pool_size,
        Duration::from_secs(settings.database.acquire_timeout_secs),
    )?;
    let migrate_pool = pool.clone();
    aw::block(move || -> Result<(), String> {
        let mut conn = migrate_pool.get().map_err(|e| format!("database: {e}"))?;
        db::migrate(&mut conn)?;
        invoices::service::prepare_counters(&mut conn).map_err(|e| format!("database: {e}"))
    })
    .await
    .map_err(|e| e.to_string())??;
    Ok(pool)
}

pub struct Application {
    server: Server,
    port: u16,
    pub state: aw::Data<AppState>,
}

impl Application {
    /// Connects the pool, applies migrations and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Application, String> {
        let settings = Arc::new(settings);
        let pool = open_database(&settings).await?;
        scheduler::service::configure(&settings.business, &settings.jobs);
        let jobs = db::pool(
            &settings.database.url,
            scheduler::service::jobs_pool_size(settings.jobs.workers),
            Duration::from_secs(settings.database.acquire_timeout_secs),
        )?;
        let state = aw::Data::new(AppState {
            pool,
            jobs,
            tokens: auth::tokens::TokenKeys::new(&settings.auth),
            in_flight: Default::default(),
            subjects: Arc::new(auth::cache::subject_cache(
                std::time::Duration::from_millis(settings.auth.principal_cache_ms),
            )),
            discounts: Arc::new(pricing::service::discount_cache(
                std::time::Duration::from_millis(settings.auth.principal_cache_ms),
            )),
            catalog: Arc::new(catalog::service::page_cache(
                std::time::Duration::from_millis(settings.server.catalog_cache_ms),
            )),
            policy: Arc::new(receivables::service::policy_cache(
                std::time::Duration::from_millis(settings.auth.principal_cache_ms),
            )),
            margins: Arc::new(bargaining::service::policy_cache(
                std::time::Duration::from_millis(settings.auth.principal_cache_ms),
            )),
            settings: settings.clone(),
        });
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .map_err(|e| {
                format!(
                    "cannot bind {}:{}: {e}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let spec = openapi();
        let allowed = web::AllowedMethods::from_spec(&spec);
        let login_limiter =
            auth::limit::login_limiter(&settings.auth, settings.server.trust_forwarded_for);
        let body_limit = settings.server.max_body_bytes;
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .configure(configure_routes(login_limiter.clone()))
                .split_for_parts();
            app.app_data(app_state.clone())
                .app_data(web::BodyLimit(body_limit))
                .app_data(allowed.clone())
                .app_data(aw::QueryConfig::default().error_handler(web::query_error))
                .app_data(aw::PathConfig::default().error_handler(web::path_error))
                .service(
                    SwaggerUi::new("/swagger-ui/{_:.*}")
                        .url("/api-docs/openapi.json", spec.clone()),
                )
                .route(
                    "/swagger-ui",
                    aw::get().to(|| async {
                        HttpResponse::MovedPermanently()
                            .insert_header(("Location", "/swagger-ui/"))
                            .finish()
                    }),
                )
                .default_service(aw::to(web::not_found))
                .wrap_fn(|req, srv| {
                    let start = Instant::now();
                    let method = req.method().to_string();
                    let request_id = req
                        .extensions()
                        .get::<tracing_actix_web::RequestId>()
                        .map(|r| r.to_string());
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        let route = res
                            .request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".to_string());
                        system::metrics::record_request(
                            &method,
                            &route,
                            res.status().as_u16(),
                            start.elapsed().as_secs_f64(),
                        );
                        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok())
                        {
                            res.headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), id);
                        }
                        Ok(res)
                    }
                })
                .wrap(tracing_actix_web::TracingLogger::default())
        })
        .listen(listener)
        .map_err(|e| e.to_string())?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        system::metrics::handle();
        Ok(Application {
            server: server.run(),
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (tests stop theirs so no workers outlive them).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Sets up logging once: pretty or JSON lines, filter from settings or `RUST_LOG`.
pub fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if settings.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
