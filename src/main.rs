use clap::{Parser, Subcommand};
use diaspar::config::Settings;
use diaspar::{db, demo, init_tracing, users, Application};

#[derive(Parser)]
#[command(name = "diaspar", version, about = "Headless B2B commerce backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (the default).
    Serve {
        /// Load the demo data first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Load demo data: price tiers, ~200 products with stock, companies with users and an API key.
    SeedDemo,
    /// Check the DESIGN.md invariants against the database; exit 1 on any violation.
    CheckInvariants,
    /// The in-process jobs, by hand.
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
}

#[derive(Subcommand)]
enum JobCommand {
    /// Run one job now (reservation_expiry, housekeeping) and print its run as JSON; exit 1
    /// when it failed.
    Run {
        name: String,
        /// Run as at this UTC time (RFC 3339 or `YYYY-MM-DDTHH:MM:SS`) instead of now.
        #[arg(long)]
        now: Option<String>,
    },
}

/// `--now`: RFC 3339 (any offset, taken to UTC) or a naive UTC date-time.
fn parse_now(s: &str) -> Result<chrono::NaiveDateTime, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("--now: '{s}' is not a date-time like 2026-12-31T09:00:00Z"))
}

fn main() {
    limit_retained_heap();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        println!("{}", diaspar::openapi_json());
        return;
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => fail(&e),
    };
    init_tracing(&settings);
    let rt = actix_web::rt::System::new();
    let result = rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Openapi => unreachable!(),
            Command::Migrate => {
                diaspar::open_database(&settings).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::CheckInvariants => {
                let pool = diaspar::open_database(&settings).await?;
                let violations = actix_web::web::block(move || -> Result<Vec<String>, String> {
                    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
                    db::invariants::check(&mut conn).map_err(|e| format!("database: {e}"))
                })
                .await
                .map_err(|e| e.to_string())??;
                if violations.is_empty() {
                    println!("invariants hold");
                    Ok(())
                } else {
                    Err(format!(
                        "invariants violated:\n  {}",
                        violations.join("\n  ")
                    ))
                }
            }
            Command::Job {
                command: JobCommand::Run { name, now },
            } => {
                let now = now.as_deref().map(parse_now).transpose()?;
                // The connections a job run takes, as the server's jobs pool has.
                let mut job_settings = settings.clone();
                job_settings.database.pool_size =
                    diaspar::scheduler::service::jobs_pool_size(settings.jobs.workers);
                let pool = diaspar::open_database(&job_settings).await?;
                diaspar::scheduler::service::configure(&settings.business, &settings.jobs);
                let run = actix_web::web::block(move || {
                    diaspar::scheduler::service::run_from_cli(&pool, &name, now)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&run).map_err(|e| e.to_string())?
                );
                match run.status {
                    diaspar::scheduler::model::RunStatus::Failed => Err(format!(
                        "job {} failed: {}",
                        run.job.as_str(),
                        run.message.unwrap_or_default()
                    )),
                    _ => Ok(()),
                }
            }
            Command::SeedDemo => {
                let pool = diaspar::open_database(&settings).await?;
                bootstrap(&pool)?;
                let report = demo::seed(&pool).await.map_err(|e| e.to_string())?;
                println!("{report}");
                Ok(())
            }
            Command::Serve { demo: with_demo } => {
                let app = Application::build(settings.clone()).await?;
                bootstrap(&app.state.pool)?;
                if with_demo {
                    let report = demo::seed(&app.state.pool)
                        .await
                        .map_err(|e| e.to_string())?;
                    println!("{report}");
                }
                let scheduler =
                    diaspar::scheduler::service::start(app.state.jobs.clone(), &settings.jobs)
                        .await?;
                let url = format!("http://{}:{}", settings.server.host, app.port());
                println!("diaspar listening on {url}  (Swagger UI: {url}/swagger-ui/)");
                let served = app.run_until_stopped().await.map_err(|e| e.to_string());
                if let Some(mut s) = scheduler {
                    let _ = s.shutdown().await;
                }
                served
            }
        }
    });
    if let Err(e) = result {
        fail(&e);
    }
}

/// On an empty database, creates `admin@diaspar.local` with the password from
/// `DIASPAR_BOOTSTRAP_ADMIN_PASSWORD`, or a generated one printed once.
fn bootstrap(pool: &db::Pool) -> Result<(), String> {
    let password = std::env::var("DIASPAR_BOOTSTRAP_ADMIN_PASSWORD").ok();
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    match users::service::bootstrap_admin(&mut conn, demo::ADMIN_EMAIL, password)
        .map_err(|e| e.to_string())?
    {
        users::service::Bootstrap::Existing => {}
        users::service::Bootstrap::Created { generated_password: Some(p) } => println!(
            "created the first admin: {} / {p}  (shown once; set DIASPAR_BOOTSTRAP_ADMIN_PASSWORD to choose it)",
            demo::ADMIN_EMAIL
        ),
        users::service::Bootstrap::Created { generated_password: None } => println!(
            "created the first admin: {} with the password from DIASPAR_BOOTSTRAP_ADMIN_PASSWORD",
            demo::ADMIN_EMAIL
        ),
    }
    Ok(())
}

/// Each argon2 hash allocates a 19 MiB block. After the first one is freed, glibc raises its mmap
/// threshold to that size and later blocks land in per-thread arenas that are never returned,
/// so the resident set grows by ~19 MiB per blocking thread that ever hashed a password
/// (measured: 742 MB after a load run; 47 MB with this setting). Pinning the threshold keeps
/// large blocks on mmap, returned to the OS when freed.
fn limit_retained_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator tuning parameter; called before any threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("diaspar: {msg}");
    std::process::exit(1)
}
