use super::model::*;
use super::store::{self, ApiKeyRow, UserChanges, UserRow};
use crate::audit::model::Change;
use crate::audit::service::record;
use crate::auth::model::{Principal, Role};
use crate::auth::password;
use crate::clients;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;

/// Staff roles that manage client companies and their users and keys.
const CLIENT_STAFF: &[Role] = &[Role::Admin, Role::Director, Role::Manager];

pub fn user_view(r: UserRow) -> UserView {
    UserView {
        role: Role::parse(&r.role).unwrap_or(Role::ClientBuyer),
        id: r.id,
        email: r.email,
        full_name: r.full_name,
        client_id: r.client_id,
        active: r.active,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

pub fn api_key_view(r: ApiKeyRow) -> ApiKeyView {
    ApiKeyView {
        role: Role::parse(&r.role).unwrap_or(Role::ClientBuyer),
        id: r.id,
        client_id: r.client_id,
        name: r.name,
        secret_prefix: r.secret_prefix,
        created_at: r.created_at.and_utc(),
        last_used_at: r.last_used_at.map(|t| t.and_utc()),
        revoked_at: r.revoked_at.map(|t| t.and_utc()),
    }
}

fn require_admin(actor: &Principal) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("staff users are managed by admins"))
    }
}

/// A client's users and keys are managed by staff (admin, director, manager) and by the
/// company's own `client_admin`. Other companies' ids answer 404.
fn require_client_manager(
    conn: &mut DbConn,
    actor: &Principal,
    client_id: &str,
) -> Result<(), ApiError> {
    clients::service::ensure_visible(conn, actor, client_id)?;
    if actor.has_any(CLIENT_STAFF) || actor.role == Role::ClientAdmin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "company users and API keys are managed by the company's client_admin or staff",
        ))
    }
}

/// Staff endpoints take staff roles, company endpoints client roles.
fn check_role_side(c: &mut Check, role: Role, staff: bool) {
    if role.is_staff() != staff {
        let message = if staff {
            "must be a staff role"
        } else {
            "must be a client role"
        };
        c.add("role", "invalid_role", message);
    }
}

fn validate_new_user(input: &CreateUser, staff: bool) -> Result<(), ApiError> {
    let mut c = Check::new();
    c.email("email", &input.email);
    c.text("full_name", &input.full_name, 1, 200);
    c.password("password", &input.password);
    check_role_side(&mut c, input.role, staff);
    c.finish()
}

fn insert_new_user(
    conn: &mut DbConn,
    actor: &Principal,
    input: CreateUser,
    client_id: Option<String>,
    password_hash: String,
) -> Result<UserView, ApiError> {
    let email = normalize_email(&input.email);
    if store::find_user_by_email(conn, &email)?.is_some() {
        return Err(ApiError::conflict(
            "email_taken",
            "a user with this e-mail already exists",
        ));
    }
    let now = db::now();
    let row = UserRow {
        id: db::new_id(),
        email,
        password_hash,
        full_name: input.full_name.trim().to_string(),
        role: input.role.as_str().to_string(),
        client_id,
        active: true,
        created_at: now,
        updated_at: now,
    };
    store::insert_user(conn, &row)?;
    let view = user_view(row);
    record(
        conn,
        actor,
        Change {
            action: "user.created",
            entity_type: "user",
            entity_id: &view.id,
            client_id: view.client_id.as_deref(),
            details: json!({"email": view.email, "role": view.role, "client_id": view.client_id}),
        },
    )?;
    Ok(view)
}

pub async fn create_staff_user(
    pool: &Pool,
    actor: Principal,
    input: CreateUser,
) -> Result<UserView, ApiError> {
    require_admin(&actor)?;
    validate_new_user(&input, true)?;
    let hash = hash_off_thread(input.password.clone()).await?;
    db::run(pool, move |c| {
        db::write_tx(c, |c| insert_new_user(c, &actor, input, None, hash))
    })
    .await
}

pub async fn create_client_user(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    input: CreateUser,
) -> Result<UserView, ApiError> {
    {
        let (a, cid) = (actor.clone(), client_id.clone());
        db::run(pool, move |c| require_client_manager(c, &a, &cid)).await?;
    }
    validate_new_user(&input, false)?;
    let hash = hash_off_thread(input.password.clone()).await?;
    db::run(pool, move |c| {
        db::write_tx(c, |c| {
            require_client_manager(c, &actor, &client_id)?;
            insert_new_user(c, &actor, input, Some(client_id), hash)
        })
    })
    .await
}

/// Argon2 is deliberately slow: keep it off the async workers.
pub async fn hash_off_thread(password: String) -> Result<String, ApiError> {
    password::off_thread(move || password::hash_password(&password)).await
}

pub async fn list_staff_users(
    pool: &Pool,
    actor: &Principal,
    after: Option<String>,
    limit: i64,
) -> Result<Page<UserView>, ApiError> {
    require_admin(actor)?;
    let rows = db::run(pool, move |c| Ok(store::list_users(c, None, after, limit)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), user_view))
}

pub async fn list_client_users(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    after: Option<String>,
    limit: i64,
) -> Result<Page<UserView>, ApiError> {
    let rows = db::run(pool, move |c| {
        require_client_manager(c, &actor, &client_id)?;
        Ok(store::list_users(c, Some(&client_id), after, limit)?)
    })
    .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), user_view))
}

pub async fn get_staff_user(
    pool: &Pool,
    actor: &Principal,
    id: String,
) -> Result<UserView, ApiError> {
    require_admin(actor)?;
    let row = db::run(pool, move |c| Ok(store::find_user(c, &id)?)).await?;
    row.filter(|r| r.client_id.is_none())
        .map(user_view)
        .ok_or_else(|| ApiError::not_found("user"))
}

fn validate_update(input: &UpdateUser, staff: bool) -> Result<(), ApiError> {
    let mut c = Check::new();
    c.opt_text("full_name", input.full_name.as_deref(), 1, 200);
    if let Some(p) = &input.password {
        c.password("password", p);
    }
    if let Some(r) = input.role {
        check_role_side(&mut c, r, staff);
    }
    c.finish()
}

fn apply_update(
    conn: &mut DbConn,
    actor: &Principal,
    existing: UserRow,
    input: UpdateUser,
    password_hash: Option<String>,
) -> Result<UserView, ApiError> {
    let changes = UserChanges {
        full_name: input.full_name.map(|s| s.trim().to_string()),
        role: input.role.map(|r| r.as_str().to_string()),
        active: input.active,
        password_hash,
        updated_at: Some(db::now()),
    };
    let row = store::update_user(conn, &existing.id, &changes)?;
    let view = user_view(row);
    record(
        conn,
        actor,
        Change {
            action: "user.updated",
            entity_type: "user",
            entity_id: &view.id,
            client_id: view.client_id.as_deref(),
            details: json!({
                "full_name": changes.full_name,
                "role": changes.role,
                "active": changes.active,
                "password_changed": changes.password_hash.is_some(),
            }),
        },
    )?;
    Ok(view)
}

pub async fn update_staff_user(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: UpdateUser,
) -> Result<UserView, ApiError> {
    require_admin(&actor)?;
    validate_update(&input, true)?;
    let hash = match input.password.clone() {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    db::run(pool, move |c| {
        db::write_tx(c, |c| {
            let existing = store::find_user(c, &id)?
                .filter(|r| r.client_id.is_none())
                .ok_or_else(|| ApiError::not_found("user"))?;
            apply_update(c, &actor, existing, input, hash)
        })
    })
    .await
    .inspect(|_| crate::auth::cache::invalidate())
}

pub async fn update_client_user(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    user_id: String,
    input: UpdateUser,
) -> Result<UserView, ApiError> {
    {
        let (a, cid) = (actor.clone(), client_id.clone());
        db::run(pool, move |c| require_client_manager(c, &a, &cid)).await?;
    }
    validate_update(&input, false)?;
    let hash = match input.password.clone() {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    db::run(pool, move |c| {
        db::write_tx(c, |c| {
            require_client_manager(c, &actor, &client_id)?;
            let existing = store::find_user(c, &user_id)?
                .filter(|r| r.client_id.as_deref() == Some(client_id.as_str()))
                .ok_or_else(|| ApiError::not_found("user"))?;
            apply_update(c, &actor, existing, input, hash)
        })
    })
    .await
    .inspect(|_| crate::auth::cache::invalidate())
}

pub async fn create_api_key(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    input: CreateApiKey,
) -> Result<CreatedApiKey, ApiError> {
    let role = input.role.unwrap_or(Role::ClientBuyer);
    let mut c = Check::new();
    c.text("name", &input.name, 1, 100);
    check_role_side(&mut c, role, false);
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            require_client_manager(conn, &actor, &client_id)?;
            c.finish()?;
            let (secret, hash) = password::new_api_secret();
            let row = ApiKeyRow {
                id: db::new_id(),
                client_id: client_id.clone(),
                name: input.name.trim().to_string(),
                role: role.as_str().to_string(),
                secret_hash: hash,
                secret_prefix: secret.chars().take(10).collect(),
                created_by: actor.id.clone(),
                created_at: db::now(),
                last_used_at: None,
                revoked_at: None,
            };
            store::insert_api_key(conn, &row)?;
            let key = api_key_view(row);
            record(
                conn,
                &actor,
                Change {
                    action: "api_key.created",
                    entity_type: "api_key",
                    entity_id: &key.id,
                    client_id: Some(&client_id),
                    details: json!({"name": key.name, "role": key.role}),
                },
            )?;
            Ok(CreatedApiKey {
                key,
                client_secret: secret,
            })
        })
    })
    .await
}

pub async fn list_api_keys(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    after: Option<String>,
    limit: i64,
) -> Result<Page<ApiKeyView>, ApiError> {
    let rows = db::run(pool, move |c| {
        require_client_manager(c, &actor, &client_id)?;
        Ok(store::list_api_keys(c, &client_id, after, limit)?)
    })
    .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), api_key_view))
}

/// Revokes a key at once: new tokens are refused and tokens already issued stop working.
pub async fn revoke_api_key(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    key_id: String,
) -> Result<ApiKeyView, ApiError> {
    db::run(pool, move |c| {
        db::write_tx(c, |c| {
            require_client_manager(c, &actor, &client_id)?;
            let existing = store::find_api_key(c, &key_id)?
                .filter(|k| k.client_id == client_id)
                .ok_or_else(|| ApiError::not_found("API key"))?;
            if existing.revoked_at.is_some() {
                return Ok(api_key_view(existing));
            }
            let row = store::revoke_api_key(c, &key_id, db::now())?;
            record(
                c,
                &actor,
                Change {
                    action: "api_key.revoked",
                    entity_type: "api_key",
                    entity_id: &key_id,
                    client_id: Some(&client_id),
                    details: json!({"name": row.name}),
                },
            )?;
            Ok(api_key_view(row))
        })
    })
    .await
    .inspect(|_| crate::auth::cache::invalidate())
}

pub enum Bootstrap {
    /// Users exist already; nothing done.
    Existing,
    /// The admin was created; the password is returned when it was generated.
    Created { generated_password: Option<String> },
}

/// Creates the first admin when the database has no users at all.
pub fn bootstrap_admin(
    conn: &mut DbConn,
    email: &str,
    password: Option<String>,
) -> Result<Bootstrap, ApiError> {
    db::write_tx(conn, |c| {
        if store::count_users(c)? > 0 {
            return Ok(Bootstrap::Existing);
        }
        let (pw, generated) = match password {
            Some(p) if !p.is_empty() => (p, false),
            _ => (password::random_password(), true),
        };
        let input = CreateUser {
            email: email.to_string(),
            full_name: "Administrator".into(),
            role: Role::Admin,
            password: pw.clone(),
        };
        insert_new_user(
            c,
            &Principal::system(),
            input,
            None,
            password::hash_password(&pw),
        )?;
        Ok(Bootstrap::Created {
            generated_password: generated.then_some(pw),
        })
    })
}
