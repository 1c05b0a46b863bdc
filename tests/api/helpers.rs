//! Test harness: a fresh database per test (a temp SQLite file, or a new PostgreSQL database
//! when DIASPAR_TEST_POSTGRES_URL is set), the app on a random port, and HTTP helpers.

use diaspar::config::Settings;
use diaspar::Application;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const ADMIN_EMAIL: &str = "admin@test.local";
pub const ADMIN_PASSWORD: &str = "admin-password-123";
pub const PASSWORD: &str = "user-password-123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub admin: String,
    pub app_state: actix_web::web::Data<diaspar::state::AppState>,
    pub settings: Settings,
    /// PostgreSQL: (server URL without database, database name).
    pub pg: Option<(String, String)>,
    server: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL test server, when configured. Set in CI; then a connection failure fails the
/// test instead of skipping it.
pub fn pg_base_url() -> Option<String> {
    std::env::var("DIASPAR_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

fn create_pg_database(base: &str) -> String {
    use diesel::{Connection, RunQueryDsl};
    let name = format!("diaspar_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = diesel::PgConnection::establish(base).unwrap_or_else(|e| {
        panic!("DIASPAR_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
    });
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    name
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Like `spawn_app`, with settings adjusted first.
pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::load_for("test").expect("test settings");
    adjust(&mut settings);
    settings.server.port = 0;
    settings.server.host = "127.0.0.1".into();
    settings.server.workers = 1;
    let (dir, pg) = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            settings.database.url = dir.path().join("test.db").to_string_lossy().into_owned();
            (Some(dir), None)
        }
        Db::Postgres => {
            let base = pg_base_url().expect("postgres url");
            let name = actix_web::web::block({
                let base = base.clone();
                move || create_pg_database(&base)
            })
            .await
            .unwrap();
            settings.database.url = with_database(&base, &name);
            (None, Some((base, name)))
        }
    };
    let app = Application::build(settings.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let app_state = app.state.clone();
    {
        let mut conn = app_state.pool.get().unwrap();
        diaspar::users::service::bootstrap_admin(
            &mut conn,
            ADMIN_EMAIL,
            Some(ADMIN_PASSWORD.into()),
        )
        .unwrap();
    }
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().build().unwrap();
    let mut t = TestApp {
        address,
        http,
        admin: String::new(),
        app_state,
        settings,
        pg,
        server,
        _dir: dir,
    };
    t.admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    t
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// Asserts a problem+json error with this status and code.
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.content_type(), "application/problem+json", "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        self
    }
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        &self.body
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request. Every response to a client token is scanned for what only staff may
    /// see (costs, margins, floors): a leak fails the test that made the request.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let request = req.build().expect("request");
        let client_token = request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(is_client_token);
        let path = request.url().path().to_string();
        let res = self.http.execute(request).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if client_token {
            if let Some(leak) = staff_only_in(&body) {
                panic!("a client token got {leak} from {path}: {body}");
            }
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.send(self.http.get(self.url(path)).bearer_auth(token))
            .await
    }
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }
    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(
            self.http
                .patch(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }
    pub async fn delete(&self, token: &str, path: &str) -> Resp {
        self.send(self.http.delete(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn token(&self, body: Value) -> Resp {
        self.send(self.http.post(self.url("/api/v1/auth/token")).json(&body))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .token(json!({"grant_type": "password", "username": email, "password": password}))
            .await;
        r.ok(200)["access_token"].as_str().unwrap().to_string()
    }

    /// Creates a staff user with this role and returns its token.
    pub async fn staff(&self, role: &str) -> String {
        self.staff_user(role).await.1
    }

    /// Creates a staff user with `role` and returns (user id, token).
    pub async fn staff_user(&self, role: &str) -> (String, String) {
        let email = format!("{role}-{}@staff.test", uuid::Uuid::new_v4().simple());
        let r = self
            .post(
                &self.admin,
                "/api/v1/users",
                json!({"email": email, "full_name": "Staff", "role": role, "password": PASSWORD}),
            )
            .await;
        let id = r.ok(201)["id"].as_str().unwrap().to_string();
        (id, self.login(&email, PASSWORD).await)
    }

    /// Creates a company with a valid INN derived from `seed` and returns its id.
    pub async fn company(&self, seed: u32) -> String {
        let inn = diaspar::demo::inn10(&format!("{:09}", 770_000_000 + seed));
        let r = self
            .post(
                &self.admin,
                "/api/v1/clients",
                json!({
                    "name": format!("Company {seed}"),
                    "inn": inn,
                    "kpp": "770101001",
                    "legal_address": "Moscow, Tverskaya 1",
                    "email": format!("docs{seed}@example.com"),
                    "credit_limit": "1000.00",
                    "payment_terms_days": 10
                }),
            )
            .await;
        r.ok(201)["id"].as_str().unwrap().to_string()
    }

    /// Creates a user of `client_id` with `role` and returns (user id, token).
    pub async fn client_user(&self, client_id: &str, role: &str) -> (String, String) {
        let email = format!("{role}-{}@client.test", uuid::Uuid::new_v4().simple());
        let r = self
            .post(
                &self.admin,
                &format!("/api/v1/clients/{client_id}/users"),
                json!({"email": email, "full_name": "Client User", "role": role, "password": PASSWORD}),
            )
            .await;
        let id = r.ok(201)["id"].as_str().unwrap().to_string();
        (id, self.login(&email, PASSWORD).await)
    }

    pub async fn product(&self, sku: &str) -> Value {
        self.post(
            &self.admin,
            "/api/v1/products",
            json!({
                "sku": sku, "name": format!("Product {sku}"), "unit": "pcs",
                "list_price": "100.00", "cost_price": "60.00", "vat_rate_bp": 2200,
                "category": "Paper", "active": true
            }),
        )
        .await
        .ok(201)
        .clone()
    }

    /// Runs one SQL statement directly: only for fixtures the API cannot create yet.
    pub async fn sql(&self, statement: &str) {
        let pool = self.app_state.pool.clone();
        let statement = statement.to_string();
        actix_web::web::block(move || {
            use diesel::RunQueryDsl;
            let mut conn = pool.get().unwrap();
            diesel::sql_query(statement).execute(&mut conn).unwrap();
        })
        .await
        .unwrap();
        // A change behind the API's back: what the read caches hold may be stale now.
        diaspar::catalog::service::catalog_changed();
        diaspar::pricing::service::discounts_changed();
        diaspar::auth::cache::invalidate();
    }

    /// Stops the server and its workers, closing their database connections, so nothing of
    /// this test outlives it; a PostgreSQL test database is dropped.
    pub async fn stop(self) {
        self.server.stop(false).await;
        let pg = self.pg.clone();
        drop(self);
        if let Some((base, name)) = pg {
            actix_web::web::block(move || {
                use diesel::{Connection, RunQueryDsl};
                let mut conn = diesel::PgConnection::establish(&base).expect("test PostgreSQL");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .expect("drop test database");
            })
            .await
            .unwrap();
        }
    }

    /// The DESIGN.md invariants, checked at the end of every scenario.
    pub async fn check_invariants(&self) {
        let pool = self.app_state.pool.clone();
        let violations = actix_web::web::block(move || {
            let mut conn = pool.get().unwrap();
            diaspar::db::invariants::check(&mut conn).unwrap()
        })
        .await
        .unwrap();
        assert!(violations.is_empty(), "invariants violated: {violations:?}");
    }
}

/// Whether a bearer token is a client principal's (its `role` claim).
fn is_client_token(token: &str) -> bool {
    use base64::Engine;
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|claims| serde_json::from_slice::<Value>(&claims).ok())
        .and_then(|claims| claims["role"].as_str().map(|r| r.starts_with("client_")))
        .unwrap_or(false)
}

/// Keys only staff may see anywhere in a response.
const STAFF_ONLY_KEYS: &[&str] = &[
    "cost",
    "cost_price",
    "margins",
    "floor_bp",
    "deal_floor_bp",
    "override_reason",
    "staff",
    "category_floors",
    "product_floors",
];

/// The first staff-only key or figure in `v`: a key of `STAFF_ONLY_KEYS`, or a text quoting a
/// margin or a floor in basis points.
fn staff_only_in(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if STAFF_ONLY_KEYS.contains(&k.as_str()) || k.contains("margin_at") {
                Some(format!("key `{k}`"))
            } else {
                staff_only_in(v)
            }
        }),
        Value::Array(a) => a.iter().find_map(staff_only_in),
        Value::String(s) if s.contains(" bp") && (s.contains("margin") || s.contains("floor")) => {
            Some(format!("text `{s}`"))
        }
        _ => None,
    }
}

#[test]
fn the_scan_finds_staff_only_fields() {
    assert!(staff_only_in(&json!({"items": [{"lines": [{"margins": {}}]}]})).is_some());
    assert!(staff_only_in(&json!({"detail": "deal margin 12 bp, floor 15 bp"})).is_some());
    assert!(staff_only_in(&json!({"a": {"b": [{"cost_price": "1.00"}]}})).is_some());
    assert!(staff_only_in(&json!({"lines": [{"below_margin_floor": true}]})).is_none());
}

/// Runs `job` as at `now` on a blocking thread, as a scheduler would.
pub async fn run_job(
    app: &TestApp,
    job: diaspar::scheduler::model::JobName,
    now: chrono::NaiveDateTime,
    stop_after: Option<i64>,
) -> diaspar::scheduler::model::JobRunView {
    let pool = app.app_state.pool.clone();
    actix_web::web::block(move || {
        diaspar::scheduler::service::run_job(
            &pool,
            job,
            now,
            diaspar::scheduler::model::Trigger::Test,
            stop_after,
        )
    })
    .await
    .unwrap()
    .unwrap()
}

/// A product (list `price`, `cost`, VAT `vat_bp`, `category`) with 1,000 in stock.
pub async fn goods(
    app: &TestApp,
    sku: &str,
    price: &str,
    cost: &str,
    vat_bp: i32,
    category: &str,
) -> String {
    let p = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": sku, "name": format!("P {sku}"), "unit": "pcs", "list_price": price,
                   "cost_price": cost, "vat_rate_bp": vat_bp, "category": category}),
        )
        .await;
    let id = p.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &app.admin,
        &format!("/api/v1/products/{id}/stock-movements"),
        json!({"kind": "receipt", "quantity": 1000, "reason": "test stock"}),
    )
    .await
    .ok(201);
    id
}

/// A margin policy body: floors, the auto-accept rule, offers valid 7 days, no attention
/// thresholds.
pub fn margin_policy(deal_floor_bp: i32, products: Value, categories: Value, auto: Value) -> Value {
    json!({
        "deal_floor_bp": deal_floor_bp,
        "category_floors": categories,
        "product_floors": products,
        "auto_accept": auto,
        "offer_validity_days": 7,
        "attention": {"order_total_above": null, "average_multiple_bp": null, "min_orders_for_average": 5}
    })
}

pub async fn put_policy(app: &TestApp, token: &str, body: Value) -> Resp {
    app.send(
        app.http
            .put(app.url("/api/v1/policies/margins"))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

/// A product with `qty` in stock at `price` (VAT 22 %); returns its id.
pub async fn stocked(app: &TestApp, sku: &str, price: &str, qty: i64) -> String {
    let p = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": sku, "name": format!("P {sku}"), "unit": "pcs", "list_price": price, "cost_price": "1.00", "vat_rate_bp": 2200}),
        )
        .await;
    let id = p.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &app.admin,
        &format!("/api/v1/products/{id}/stock-movements"),
        json!({"kind": "receipt", "quantity": qty, "reason": "test stock"}),
    )
    .await
    .ok(201);
    id
}

/// Runs each named scenario `async fn name(app: &TestApp)` on SQLite and, when configured, on
/// PostgreSQL, then checks the invariants.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await;
                    super::$name(&app).await;
                    app.check_invariants().await;
                    app.stop().await;
                }

                #[actix_web::test]
                async fn postgres() {
                    if $crate::helpers::pg_base_url().is_none() {
                        eprintln!("DIASPAR_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
                        return;
                    }
                    let app = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await;
                    super::$name(&app).await;
                    app.check_invariants().await;
                    app.stop().await;
                }
            }
        )*
    };
}
