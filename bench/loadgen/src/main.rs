//! Order-placement load generator for diaspar.
//!
//! Seeds, through the public API as an admin, M products with ample stock and N client companies
//! (each with a large credit limit and one `client_buyer` user), then drives
//! `POST /api/v1/orders` from C concurrent connections for S seconds: every order has L random
//! distinct products of quantity 1, a unique `Idempotency-Key`, and the clients are taken
//! round-robin. Prints orders/s, latency percentiles, errors by status and problem code, then
//! `GET /ready`. It never touches the database: `bench/orders.sh` checks the invariants after the
//! server has stopped.

use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

#[derive(Parser, Debug, Clone)]
#[command(name = "diaspar-loadgen", about = "Drive POST /api/v1/orders against a running diaspar")]
struct Args {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:18480")]
    url: String,
    #[arg(long, default_value = "admin@diaspar.local")]
    admin_email: String,
    #[arg(long, env = "DIASPAR_BOOTSTRAP_ADMIN_PASSWORD", default_value = "bench-admin-password")]
    admin_password: String,
    /// Client companies to create (one client_buyer each); orders go round-robin over them.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Products to create, each with ample stock.
    #[arg(long, default_value_t = 200)]
    products: usize,
    /// Concurrent connections placing orders.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before the measurement starts (connections warm, caches filled).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Distinct products per order (quantity 1 each).
    #[arg(long, default_value_t = 5)]
    lines: usize,
    /// Tokio worker threads of the load generator (it shares the box with the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Concurrent requests while seeding.
    #[arg(long, default_value_t = 8)]
    seed_concurrency: usize,
}

const BUYER_PASSWORD: &str = "loadgen-password-1";

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// One JSON call; retries a 429 after its Retry-After (login limiter). Any other status than
    /// `expect` is an error carrying the status and the problem body.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> Result<Value, String> {
        for _ in 0..30 {
            let mut rq = self
                .http
                .request(method.clone(), format!("{}{}", self.base, path));
            if let Some(t) = token {
                rq = rq.bearer_auth(t);
            }
            if let Some(b) = body {
                rq = rq.json(b);
            }
            let resp = rq
                .send()
                .await
                .map_err(|e| format!("{method} {path}: {e}"))?;
            let status = resp.status().as_u16();
            if status == 429 {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(2);
                tokio::time::sleep(Duration::from_secs(wait.min(30))).await;
                continue;
            }
            let text = resp.text().await.map_err(|e| e.to_string())?;
            if status != expect {
                return Err(format!("{method} {path}: HTTP {status}: {text}"));
            }
            return serde_json::from_str(&text).map_err(|e| format!("{method} {path}: {e}"));
        }
        Err(format!("{method} {path}: still rate-limited after 30 tries"))
    }

    async fn login(&self, email: &str, password: &str) -> Result<String, String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/token",
                None,
                Some(&json!({"grant_type": "password", "username": email, "password": password})),
                200,
            )
            .await?;
        v["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no access_token in {v}"))
    }
}

/// Appends the check digit to a 9-digit base, giving a valid 10-digit INN (as `demo::inn10`).
fn inn10(base: &str) -> String {
    let w = [2u32, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = base
        .bytes()
        .zip(w)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    format!("{base}{}", sum % 11 % 10)
}

fn money(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Runs `f(i)` for i in 0..n with at most `limit` in flight; fails on the first error.
async fn bounded<T, F, Fut>(n: usize, limit: usize, f: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
{
    let sem = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await.expect("semaphore open");
        let fut = f(i);
        set.spawn(async move {
            let r = fut.await;
            drop(permit);
            (i, r)
        });
    }
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(j) = set.join_next().await {
        let (i, r) = j.map_err(|e| e.to_string())?;
        out[i] = Some(r?);
    }
    Ok(out.into_iter().map(|x| x.expect("every task finished")).collect())
}

async fn seed_products(api: &Api, admin: &str, run: &str, args: &Args) -> Result<Vec<String>, String> {
    let admin = admin.to_string();
    let run = run.to_string();
    bounded(args.products, args.seed_concurrency, |i| {
        let (api, admin, run) = (api.clone(), admin.clone(), run.clone());
        async move {
            let list = 1_000 + fastrand::u64(0..500_000); // 10.00 .. 5010.00
            let p = api
                .call(
                    reqwest::Method::POST,
                    "/api/v1/products",
                    Some(&admin),
                    Some(&json!({
                        "sku": format!("LG-{run}-{i:05}"),
                        "name": format!("Load test product {i}"),
                        "unit": "pcs",
                        "list_price": money(list),
                        "cost_price": money(list * 7 / 10),
                        "vat_rate_bp": 2200,
                        "category": "Load test",
                    })),
                    201,
                )
                .await?;
            let id = p["id"].as_str().ok_or("product without id")?.to_string();
            api.call(
                reqwest::Method::POST,
                &format!("/api/v1/products/{id}/stock-movements"),
                Some(&admin),
                Some(&json!({"kind": "receipt", "quantity": 100_000_000, "reason": "load test stock"})),
                201,
            )
            .await?;
            Ok(id)
        }
    })
    .await
}

/// Creates client company `i` with a large credit limit and one buyer; returns the buyer's token.
async fn seed_client(api: Api, admin: String, run: String, i: usize) -> Result<String, String> {
    let mut client = None;
    for attempt in 0..5u64 {
        // 9-digit base: region-like prefix, a per-run part, the index; retried on a taken INN.
        let salt = (run_number(&run) + attempt * 7919) % 1000;
        let inn = inn10(&format!("9{salt:03}{i:05}"));
        let r = api
            .call(
                reqwest::Method::POST,
                "/api/v1/clients",
                Some(&admin),
                Some(&json!({
                    "name": format!("ООО «Нагрузка {i}»"),
                    "inn": inn,
                    "kpp": format!("{}01001", &inn[..4]),
                    "legal_address": "г. Москва, ул. Тестовая, д. 1",
                    "email": format!("docs-{run}-{i}@loadgen.example"),
                    "payment_terms_days": 30,
                })),
                201,
            )
            .await;
        match r {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(e) if e.contains("HTTP 409") => continue,
            Err(e) => return Err(e),
        }
    }
    let client = client.ok_or("could not find a free INN")?;
    let id = client["id"].as_str().ok_or("client without id")?.to_string();
    api.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/clients/{id}"),
        Some(&admin),
        Some(&json!({"credit_limit": "1000000000.00"})),
        200,
    )
    .await?;
    let email = format!("buyer-{run}-{i}@loadgen.example");
    api.call(
        reqwest::Method::POST,
        &format!("/api/v1/clients/{id}/users"),
        Some(&admin),
        Some(&json!({
            "email": email,
            "full_name": format!("Buyer {i}"),
            "role": "client_buyer",
            "password": BUYER_PASSWORD,
        })),
        201,
    )
    .await?;
    api.login(&email, BUYER_PASSWORD).await
}

fn run_number(run: &str) -> u64 {
    u64::from_str_radix(run, 16).unwrap_or(0)
}

#[derive(Default)]
struct WorkerStats {
    hist: Option<Histogram<u64>>,
    ok: u64,
    released: u64,
    awaiting: u64,
    errors: BTreeMap<String, u64>,
    late: u64,
}

fn new_hist() -> Histogram<u64> {
    // Microseconds, 1 µs .. 120 s, 3 significant digits.
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// The problem `code` of an error body, or `-`.
fn problem_code(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| "-".into())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[allow(clippy::too_many_arguments)]
async fn worker(
    http: reqwest::Client,
    url: String,
    tokens: Arc<Vec<String>>,
    products: Arc<Vec<String>>,
    lines: usize,
    run: Arc<String>,
    counter: Arc<AtomicU64>,
    measure_from: Instant,
    deadline: Instant,
) -> WorkerStats {
    let mut st = WorkerStats {
        hist: Some(new_hist()),
        ..Default::default()
    };
    let hist = st.hist.as_mut().expect("set above");
    let mut idx: Vec<usize> = (0..products.len()).collect();
    let mut rng = fastrand::Rng::new();
    loop {
        if Instant::now() >= deadline {
            break;
        }
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let token = &tokens[(n as usize) % tokens.len()];
        for i in 0..lines {
            let j = rng.usize(i..idx.len());
            idx.swap(i, j);
        }
        let body = json!({
            "lines": idx[..lines].iter().map(|&p| json!({"product_id": products[p], "quantity": 1})).collect::<Vec<_>>(),
            "client_reference": format!("PO-{n}"),
        });
        let t0 = Instant::now();
        let result = http
            .post(&url)
            .bearer_auth(token)
            .header("Idempotency-Key", format!("lg-{run}-{n}"))
            .json(&body)
            .send()
            .await;
        let outcome: Result<(u16, bytes::Bytes), String> = match result {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(b) => Ok((status, b)),
                    Err(e) => Err(format!("transport: body: {e}")),
                }
            }
            Err(e) => Err(format!(
                "transport: {}",
                if e.is_timeout() {
                    "timeout".to_string()
                } else if e.is_connect() {
                    "connect".to_string()
                } else {
                    e.to_string()
                }
            )),
        };
        let end = Instant::now();
        if end < measure_from {
            continue; // warm-up
        }
        if end > deadline {
            st.late += 1; // finished after the window: not counted
            continue;
        }
        let _ = hist.record((end - t0).as_micros().max(1) as u64);
        match outcome {
            Ok((201, b)) => {
                st.ok += 1;
                if contains(&b, b"\"status\":\"released\"") {
                    st.released += 1;
                } else {
                    st.awaiting += 1;
                }
            }
            Ok((status, b)) => {
                *st.errors
                    .entry(format!("HTTP {status} {}", problem_code(&b)))
                    .or_default() += 1;
            }
            Err(e) => {
                *st.errors.entry(e).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    st
}

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

async fn run(args: Args) -> Result<(), String> {
    if args.lines == 0 || args.lines > args.products {
        return Err("--lines must be between 1 and --products".into());
    }
    if args.clients == 0 || args.concurrency == 0 {
        return Err("--clients and --concurrency must be at least 1".into());
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(args.seed_concurrency))
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| e.to_string())?;
    let base = args.url.trim_end_matches('/').to_string();
    let api = Api {
        http: http.clone(),
        base: base.clone(),
    };
    let run = format!("{:06x}", fastrand::u32(..0x1000000));

    let t = Instant::now();
    let admin = api.login(&args.admin_email, &args.admin_password).await?;
    let products = seed_products(&api, &admin, &run, &args).await?;
    let tokens = bounded(args.clients, args.seed_concurrency, |i| {
        seed_client(api.clone(), admin.clone(), run.clone(), i)
    })
    .await?;
    println!(
        "seeded {} products and {} clients (run {run}) in {:.1} s",
        products.len(),
        tokens.len(),
        t.elapsed().as_secs_f64()
    );

    let tokens = Arc::new(tokens);
    let products = Arc::new(products);
    let counter = Arc::new(AtomicU64::new(0));
    let run = Arc::new(run);
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let deadline = measure_from + Duration::from_secs(args.duration);
    println!(
        "placing {}-line orders: {} connections, {} s warm-up + {} s measured, {} url",
        args.lines, args.concurrency, args.warmup, args.duration, base
    );
    let mut set = JoinSet::new();
    for _ in 0..args.concurrency {
        set.spawn(worker(
            http.clone(),
            format!("{base}/api/v1/orders"),
            tokens.clone(),
            products.clone(),
            args.lines,
            run.clone(),
            counter.clone(),
            measure_from,
            deadline,
        ));
    }
    let mut hist = new_hist();
    let mut total = WorkerStats::default();
    while let Some(j) = set.join_next().await {
        let st = j.map_err(|e| e.to_string())?;
        if let Some(h) = &st.hist {
            hist.add(h).map_err(|e| e.to_string())?;
        }
        total.ok += st.ok;
        total.released += st.released;
        total.awaiting += st.awaiting;
        total.late += st.late;
        for (k, v) in st.errors {
            *total.errors.entry(k).or_default() += v;
        }
    }
    let secs = args.duration as f64;
    let errors: u64 = total.errors.values().sum();
    let rate = total.ok as f64 / secs;
    println!();
    println!("orders placed:   {} ({} released, {} awaiting payment)", total.ok, total.released, total.awaiting);
    println!("orders/s:        {rate:.1}");
    println!(
        "latency:         p50 {}  p95 {}  p99 {}  max {}  (all {} responses in the window)",
        ms(hist.value_at_quantile(0.50)),
        ms(hist.value_at_quantile(0.95)),
        ms(hist.value_at_quantile(0.99)),
        ms(hist.max()),
        hist.len()
    );
    if total.errors.is_empty() {
        println!("errors:          none");
    } else {
        println!("errors:          {errors}");
        for (k, v) in &total.errors {
            println!("  {v:>8}  {k}");
        }
    }

    let t = Instant::now();
    let ready = http.get(format!("{base}/ready")).send().await;
    match ready {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            println!("GET /ready:      HTTP {status} in {} {body}", ms(t.elapsed().as_micros() as u64));
        }
        Err(e) => println!("GET /ready:      failed: {e}"),
    }
    // One machine-readable line for bench/orders.sh.
    println!(
        "RESULT orders_per_s={rate:.1} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1} max_ms={:.1} ok={} errors={errors}",
        hist.value_at_quantile(0.50) as f64 / 1000.0,
        hist.value_at_quantile(0.95) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0,
        total.ok
    );
    Ok(())
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(run(args)) {
        eprintln!("diaspar-loadgen: {e}");
        std::process::exit(1);
    }
}
