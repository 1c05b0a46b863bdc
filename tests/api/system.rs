use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    health_ready_metrics,
    bad_input_is_problem_json,
    swagger_ui_is_served
);

async fn health_ready_metrics(app: &TestApp) {
    let r = app.send(app.http.get(app.url("/health"))).await;
    assert_eq!(r.ok(200)["status"], "ok");
    let r = app.send(app.http.get(app.url("/ready"))).await;
    assert_eq!(r.ok(200)["status"], "ok");
    app.get(&app.admin, "/api/v1/clients").await.ok(200);
    let r = app.send(app.http.get(app.url("/metrics"))).await;
    let text = r.body.as_str().unwrap().to_string();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/clients\""), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("db_pool_connections"), "{text}");
    assert!(r.headers.get("x-request-id").is_some());
}

async fn bad_input_is_problem_json(app: &TestApp) {
    let url = app.url("/api/v1/clients");
    // Malformed JSON.
    let r = app
        .send(
            app.http
                .post(&url)
                .bearer_auth(&app.admin)
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    r.problem(400, "malformed_json");
    // Not JSON at all.
    let r = app
        .send(
            app.http
                .post(&url)
                .bearer_auth(&app.admin)
                .header("content-type", "text/plain")
                .body("hello"),
        )
        .await;
    r.problem(415, "unsupported_media_type");
    // Oversized body.
    let big = json!({"name": "x".repeat(300 * 1024)});
    let r = app
        .send(app.http.post(&url).bearer_auth(&app.admin).json(&big))
        .await;
    r.problem(413, "payload_too_large");
    // Wrong type in a nested position names the field.
    let r = app
        .post(&app.admin, "/api/v1/clients", json!({"name": ["x"]}))
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name");
    // Unknown route, wrong method.
    app.get(&app.admin, "/api/v1/nothing-here")
        .await
        .problem(404, "not_found");
    let r = app
        .send(
            app.http
                .put(app.url("/api/v1/clients"))
                .bearer_auth(&app.admin),
        )
        .await;
    assert!(r.status.is_client_error());
    assert_eq!(r.content_type(), "application/problem+json");
}

async fn swagger_ui_is_served(app: &TestApp) {
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(app.url("/swagger-ui"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let r = app.http.get(app.url("/swagger-ui/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
    let r = app
        .http
        .get(app.url("/swagger-ui/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let spec: serde_json::Value = app
        .http
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/clients"].is_object());
}

/// The committed spec matches the handlers. Regenerate with
/// `cargo run -- openapi > openapi/openapi.json` (or UPDATE_OPENAPI=1 cargo test openapi).
#[test]
fn openapi_has_no_drift() {
    let generated = diaspar::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        committed.trim_end(),
        generated.trim_end(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_is_documented() {
    let spec: serde_json::Value = serde_json::from_str(&diaspar::openapi_json()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            assert_eq!(
                op["tags"].as_array().map(|t| t.len()),
                Some(1),
                "{id}: one tag"
            );
            assert!(op.get("security").is_some(), "{id}: security not stated");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|k| k.starts_with('4') || k.starts_with('5')),
                "{id}: no error responses"
            );
        }
    }
}

#[test]
fn migration_names_match_between_backends() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    let pg = names("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, names("sqlite"));
    for name in &pg {
        for dir in ["postgres", "sqlite"] {
            for f in ["up.sql", "down.sql"] {
                let p = format!("{}/migrations/{dir}/{name}/{f}", env!("CARGO_MANIFEST_DIR"));
                assert!(std::path::Path::new(&p).exists(), "{p} missing");
            }
        }
    }
}

/// PostgreSQL only: the database goes away (connections refused, sessions killed) and comes
/// back. Meanwhile `/ready` and the API answer 503 problem+json; afterwards both recover.
#[actix_web::test]
async fn database_outage_answers_503_and_recovers() {
    if pg_base_url().is_none() {
        eprintln!("DIASPAR_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    }
    let app = spawn_app(Db::Postgres).await;
    let (base, name) = app.pg.clone().unwrap();
    let admin_sql = |sql: String| {
        let base = base.clone();
        actix_web::web::block(move || {
            use diesel::{Connection, RunQueryDsl};
            let mut c = diesel::PgConnection::establish(&base).unwrap();
            diesel::sql_query(sql).execute(&mut c).unwrap();
        })
    };
    app.get(&app.admin, "/api/v1/clients").await.ok(200);
    admin_sql(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin_sql(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await
    .unwrap();

    let r = app.send(app.http.get(app.url("/ready"))).await;
    r.problem(503, "service_unavailable");
    assert!(r.headers.get("retry-after").is_some());
    app.get(&app.admin, "/api/v1/clients")
        .await
        .problem(503, "service_unavailable");
    app.post(&app.admin, "/api/v1/products", json!({"sku": "X", "name": "X", "unit": "pcs", "list_price": "1.00", "cost_price": "1.00", "vat_rate_bp": 0}))
        .await
        .problem(503, "service_unavailable");

    admin_sql(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    app.send(app.http.get(app.url("/ready"))).await.ok(200);
    app.get(&app.admin, "/api/v1/clients").await.ok(200);
    app.check_invariants().await;
    app.stop().await;
}
