use crate::both_backends;
use crate::helpers::*;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

both_backends!(
    password_grant_and_me,
    client_credentials_grant,
    unauthorized_cases,
    forged_tokens_are_rejected,
    disabled_user_loses_access,
    staff_user_management_is_admin_only,
    oauth_form_requests,
);

async fn password_grant_and_me(app: &TestApp) {
    let r = app
        .token(json!({"grant_type": "password", "username": "ADMIN@test.local", "password": ADMIN_PASSWORD}))
        .await;
    let body = r.ok(200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["role"], "admin");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let token = body["access_token"].as_str().unwrap();
    let me = app.get(token, "/api/v1/auth/me").await;
    let me = me.ok(200);
    assert_eq!(me["kind"], "user");
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
}

async fn client_credentials_grant(app: &TestApp) {
    let company = app.company(1).await;
    let (_, client_admin) = app.client_user(&company, "client_admin").await;
    let created = app
        .post(
            &client_admin,
            &format!("/api/v1/clients/{company}/api-keys"),
            json!({"name": "ERP"}),
        )
        .await;
    let created = created.ok(201).clone();
    let key_id = created["id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert_eq!(created["role"], "client_buyer");

    let r = app
        .token(json!({"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}))
        .await;
    let token = r.ok(200)["access_token"].as_str().unwrap().to_string();
    let me = app.get(&token, "/api/v1/auth/me").await;
    assert_eq!(me.ok(200)["kind"], "api_key");
    assert_eq!(me.body["client_id"], company.as_str());

    // The secret is never listed again.
    let list = app
        .get(
            &client_admin,
            &format!("/api/v1/clients/{company}/api-keys"),
        )
        .await;
    assert!(!list.ok(200).to_string().contains(secret));
    assert!(list.body["items"][0]["last_used_at"].is_string());

    // Revocation: new tokens refused and the issued token stops working at once.
    app.delete(
        &client_admin,
        &format!("/api/v1/clients/{company}/api-keys/{key_id}"),
    )
    .await
    .ok(200);
    app.token(
        json!({"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}),
    )
    .await
    .problem(401, "api_key_revoked");
    app.get(&token, "/api/v1/auth/me")
        .await
        .problem(401, "api_key_revoked");
}

async fn unauthorized_cases(app: &TestApp) {
    app.token(
        json!({"grant_type": "password", "username": ADMIN_EMAIL, "password": "wrong-password"}),
    )
    .await
    .problem(401, "invalid_credentials");
    app.token(json!({"grant_type": "password", "username": "nobody@test.local", "password": "whatever-123"}))
        .await
        .problem(401, "invalid_credentials");
    app.token(json!({"grant_type": "client_credentials", "client_id": "nope", "client_secret": "dsk_nope"}))
        .await
        .problem(401, "invalid_credentials");
    let r = app.send(app.http.get(app.url("/api/v1/auth/me"))).await;
    r.problem(401, "missing_token");
    assert!(r.headers.get("www-authenticate").is_some());
    app.get("not-a-jwt", "/api/v1/auth/me")
        .await
        .problem(401, "invalid_token");
    app.token(json!({"grant_type": "magic"}))
        .await
        .problem(422, "validation_failed");
}

fn forge(claims: serde_json::Value, kid: &str, secret: &str) -> String {
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_string());
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn forged_tokens_are_rejected(app: &TestApp) {
    let me = app.get(&app.admin, "/api/v1/auth/me").await;
    let admin_id = me.ok(200)["id"].as_str().unwrap().to_string();
    let auth = &app.settings.auth;
    let key = &auth.keys[0];
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, aud: &str| {
        json!({"iss": auth.issuer, "aud": aud, "sub": admin_id, "iat": now, "exp": exp,
               "jti": "x", "knd": "user", "role": "admin"})
    };
    // Control: a correctly forged token with the real key works, so the failures below are real.
    let good = forge(claims(now + 600, &auth.audience), &key.kid, &key.secret);
    app.get(&good, "/api/v1/auth/me").await.ok(200);

    let expired = forge(claims(now - 3600, &auth.audience), &key.kid, &key.secret);
    app.get(&expired, "/api/v1/auth/me")
        .await
        .problem(401, "token_expired");

    let other_key = forge(
        claims(now + 600, &auth.audience),
        &key.kid,
        "another-secret-another-secret-xx",
    );
    app.get(&other_key, "/api/v1/auth/me")
        .await
        .problem(401, "invalid_token");

    let unknown_kid = forge(
        claims(now + 600, &auth.audience),
        "retired-key",
        &key.secret,
    );
    app.get(&unknown_kid, "/api/v1/auth/me")
        .await
        .problem(401, "invalid_token");

    let wrong_aud = forge(claims(now + 600, "someone-else"), &key.kid, &key.secret);
    app.get(&wrong_aud, "/api/v1/auth/me")
        .await
        .problem(401, "invalid_token");

    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(json!({"alg": "none", "typ": "JWT", "kid": key.kid}).to_string()),
        b64.encode(claims(now + 600, &auth.audience).to_string())
    );
    app.get(&none, "/api/v1/auth/me")
        .await
        .problem(401, "invalid_token");
}

async fn disabled_user_loses_access(app: &TestApp) {
    let company = app.company(2).await;
    let (user_id, token) = app.client_user(&company, "client_buyer").await;
    app.get(&token, "/api/v1/auth/me").await.ok(200);
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{company}/users/{user_id}"),
        json!({"active": false}),
    )
    .await
    .ok(200);
    app.get(&token, "/api/v1/auth/me")
        .await
        .problem(401, "account_disabled");
}

async fn staff_user_management_is_admin_only(app: &TestApp) {
    let manager = app.staff("manager").await;
    app.get(&manager, "/api/v1/users")
        .await
        .problem(403, "forbidden");
    app.post(
        &manager,
        "/api/v1/users",
        json!({"email": "x@staff.test", "full_name": "X", "role": "admin", "password": PASSWORD}),
    )
    .await
    .problem(403, "forbidden");
    // Admin: a staff user must have a staff role; e-mails are unique.
    app.post(
        &app.admin,
        "/api/v1/users",
        json!({"email": "y@staff.test", "full_name": "Y", "role": "client_buyer", "password": PASSWORD}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &app.admin,
        "/api/v1/users",
        json!({"email": ADMIN_EMAIL, "full_name": "Dup", "role": "manager", "password": PASSWORD}),
    )
    .await
    .problem(409, "email_taken");
    let list = app.get(&app.admin, "/api/v1/users?limit=200").await;
    let items = list.ok(200)["items"].as_array().unwrap();
    assert!(items.iter().all(|u| u["client_id"].is_null()));
    assert!(!list.body.to_string().contains("password"));
}

/// OAuth 2.0 clients post forms; key credentials may come as HTTP Basic.
async fn oauth_form_requests(app: &TestApp) {
    let url = app.url("/api/v1/auth/token");
    let r = app
        .send(app.http.post(&url).form(&[
            ("grant_type", "password"),
            ("username", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ]))
        .await;
    assert_eq!(r.ok(200)["role"], "admin");
    let r = app
        .send(app.http.post(&url).form(&[
            ("grant_type", "password"),
            ("username", ADMIN_EMAIL),
            ("password", "wrong-one-123"),
        ]))
        .await;
    r.problem(401, "invalid_credentials");
    let r = app
        .send(
            app.http
                .post(&url)
                .form(&[("grant_type", "password"), ("username", ADMIN_EMAIL)]),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "password");

    let company = app.company(3).await;
    let key = app
        .post(
            &app.admin,
            &format!("/api/v1/clients/{company}/api-keys"),
            json!({"name": "ERP"}),
        )
        .await;
    let (id, secret) = (
        key.ok(201)["id"].as_str().unwrap().to_string(),
        key.body["client_secret"].as_str().unwrap().to_string(),
    );
    let r = app
        .send(
            app.http
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "orders")]),
        )
        .await;
    assert_eq!(r.ok(200)["client_id"], company.as_str());
    let r = app
        .send(app.http.post(&url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ]))
        .await;
    r.ok(200);
    let r = app
        .send(
            app.http
                .post(&url)
                .basic_auth(&id, Some("dsk_wrong"))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    r.problem(401, "invalid_credentials");
    let r = app
        .send(app.http.post(&url).form(&[("grant_type", "implicit")]))
        .await;
    r.problem(422, "validation_failed");
    let r = app
        .send(
            app.http
                .post(&url)
                .header("content-type", "text/plain")
                .body("grant_type=password"),
        )
        .await;
    r.problem(415, "unsupported_media_type");
}

/// The token endpoint is rate-limited per client address; other routes are not.
#[actix_web::test]
async fn token_requests_are_rate_limited() {
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.auth.login_burst = 4;
        s.auth.login_per_minute = 1;
    })
    .await; // the harness's own admin login takes one of the 4
    let wrong =
        json!({"grant_type": "password", "username": ADMIN_EMAIL, "password": "wrong-password"});
    for _ in 0..3 {
        app.token(wrong.clone())
            .await
            .problem(401, "invalid_credentials");
    }
    let r = app.token(wrong.clone()).await;
    r.problem(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Even the right password waits now; the API itself is not limited.
    app.token(
        json!({"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
    )
    .await
    .problem(429, "rate_limited");
    for _ in 0..10 {
        app.get(&app.admin, "/api/v1/auth/me").await.ok(200);
    }
    app.check_invariants().await;
    app.stop().await;
}
