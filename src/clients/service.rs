use super::model::*;
use super::store::{self, ClientChanges, ClientFilter, ClientRow};
use crate::audit::model::Change;
use crate::audit::service::record;
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::validate::{search_key, Check};
use crate::web::Page;
use serde_json::json;

/// Staff roles that create and edit client companies.
const CLIENT_EDITORS: &[Role] = &[Role::Admin, Role::Director, Role::Manager];

pub fn view(r: ClientRow) -> ClientView {
    ClientView {
        status: ClientStatus::parse(&r.status).unwrap_or(ClientStatus::Blocked),
        credit_limit: Money::from_minor(r.credit_limit_minor),
        id: r.id,
        name: r.name,
        inn: r.inn,
        kpp: r.kpp,
        legal_address: r.legal_address,
        delivery_address: r.delivery_address,
        email: r.email,
        phone: r.phone,
        payment_terms_days: r.payment_terms_days,
        tier_id: r.tier_id,
        tier_pinned: r.tier_pinned,
        manager_id: r.manager_id,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

/// 404 unless the company exists and the principal may see it (staff, or its own users).
pub fn ensure_visible(
    conn: &mut DbConn,
    actor: &Principal,
    client_id: &str,
) -> Result<(), ApiError> {
    if actor.can_see_client(client_id) && store::exists(conn, client_id)? {
        Ok(())
    } else {
        Err(ApiError::not_found("client"))
    }
}

fn check_manager(
    conn: &mut DbConn,
    c: &mut Check,
    manager_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(m) = manager_id {
        if m.len() > 64 || !store::is_staff_user(conn, m)? {
            c.add(
                "manager_id",
                "unknown_manager",
                "must be the id of a staff user",
            );
        }
    }
    Ok(())
}

pub async fn create(
    pool: &Pool,
    actor: Principal,
    input: CreateClient,
) -> Result<ClientView, ApiError> {
    if !actor.has_any(CLIENT_EDITORS) {
        return Err(ApiError::forbidden(
            "client companies are created by admin, director or manager",
        ));
    }
    let mut c = Check::new();
    c.text("name", &input.name, 1, 300);
    let inn = input.inn.trim().to_string();
    if let Some((code, msg)) = inn_error(&inn) {
        c.add("inn", code, msg);
    }
    match (&input.kpp, inn.len()) {
        (Some(k), _) if !kpp_valid(k) => c.add(
            "kpp",
            "invalid_format",
            "must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits",
        ),
        (None, 10) => c.add(
            "kpp",
            "required",
            "is required for a legal entity (10-digit INN)",
        ),
        (Some(_), 12) => c.add(
            "kpp",
            "not_allowed",
            "a sole proprietor (12-digit INN) has no KPP",
        ),
        _ => {}
    }
    c.text("legal_address", &input.legal_address, 1, 500);
    c.opt_text(
        "delivery_address",
        input.delivery_address.as_deref(),
        1,
        500,
    );
    c.email("email", &input.email);
    c.opt_text("phone", input.phone.as_deref(), 1, 50);
    c.range(
        "payment_terms_days",
        input.payment_terms_days.unwrap_or(0) as i64,
        0,
        365,
    );
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            check_manager(conn, &mut c, input.manager_id.as_deref())?;
            c.finish()?;
            if store::inn_taken(conn, &inn)? {
                return Err(ApiError::conflict(
                    "inn_taken",
                    "a client with this INN already exists",
                ));
            }
            let now = db::now();
            let name = input.name.trim().to_string();
            let row = ClientRow {
                id: db::new_id(),
                search_key: search_key(&[&name, &inn]),
                name,
                inn,
                kpp: input.kpp,
                legal_address: input.legal_address.trim().to_string(),
                delivery_address: input.delivery_address.map(|s| s.trim().to_string()),
                email: input.email.trim().to_string(),
                phone: input.phone.map(|s| s.trim().to_string()),
                credit_limit_minor: input.credit_limit.unwrap_or(Money::ZERO).minor(),
                payment_terms_days: match input.payment_terms_days {
                    Some(days) => days,
                    // The policy's default terms (the reservation TTL and window do not matter).
                    None => {
                        crate::receivables::service::job_policy(conn, now)?
                            .policy
                            .payment_terms_days
                    }
                },
                tier_id: None,
                tier_pinned: false,
                status: input
                    .status
                    .unwrap_or(ClientStatus::Active)
                    .as_str()
                    .to_string(),
                manager_id: input.manager_id,
                balance_minor: 0,
                created_at: now,
                updated_at: now,
                ledger_seq: 0,
            };
            store::insert(conn, &row)?;
            let v = view(row);
            record(
                conn,
                &actor,
                Change {
                    action: "client.created",
                    entity_type: "client",
                    entity_id: &v.id,
                    client_id: Some(&v.id),
                    details: serde_json::to_value(&v).unwrap_or_default(),
                },
            )?;
            Ok(v)
        })
    })
    .await
}

pub async fn get(pool: &Pool, actor: Principal, id: String) -> Result<ClientView, ApiError> {
    if !actor.can_see_client(&id) {
        return Err(ApiError::not_found("client"));
    }
    db::run(pool, move |c| {
        store::find(c, &id)?
            .map(view)
            .ok_or_else(|| ApiError::not_found("client"))
    })
    .await
}

pub async fn list(
    pool: &Pool,
    actor: Principal,
    q: Option<String>,
    status: Option<ClientStatus>,
    after: Option<String>,
    limit: i64,
) -> Result<Page<ClientView>, ApiError> {
    if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field(
            "q",
            "too_long",
            "must have at most 100 characters",
        ));
    }
    let filter = ClientFilter {
        only_id: if actor.is_staff() {
            None
        } else {
            Some(actor.client_id.clone().unwrap_or_default())
        },
        pattern: q
            .filter(|q| !q.trim().is_empty())
            .map(|q| crate::validate::like_pattern(&q)),
        status: status.map(|s| s.as_str().to_string()),
        after,
        limit,
    };
    let rows = db::run(pool, move |c| Ok(store::list(c, &filter)?)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), view))
}

pub async fn update(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: UpdateClient,
) -> Result<ClientView, ApiError> {
    if !actor.can_see_client(&id) {
        return Err(ApiError::not_found("client"));
    }
    let staff_fields = input.staff_fields();
    if !actor.has_any(CLIENT_EDITORS) && actor.role != Role::ClientAdmin {
        return Err(ApiError::forbidden(
            "client details are edited by staff or the company's client_admin",
        ));
    }
    let mut c = Check::new();
    if !actor.is_staff() {
        for f in &staff_fields {
            c.add(f, "staff_only", "only staff may change this field");
        }
    } else if !actor.has_any(&[Role::Director, Role::Admin]) {
        for f in staff_fields.iter().filter(|f| f.starts_with("tier")) {
            c.add(f, "director_only", "only the director sets price tiers");
        }
    }
    c.opt_text("name", input.name.as_deref(), 1, 300);
    if let Some(k) = &input.kpp {
        if !kpp_valid(k) {
            c.add(
                "kpp",
                "invalid_format",
                "must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits",
            );
        }
    }
    c.opt_text("legal_address", input.legal_address.as_deref(), 1, 500);
    c.opt_text(
        "delivery_address",
        input.delivery_address.as_ref().and_then(|o| o.as_deref()),
        1,
        500,
    );
    if let Some(e) = &input.email {
        c.email("email", e);
    }
    c.opt_text(
        "phone",
        input.phone.as_ref().and_then(|o| o.as_deref()),
        1,
        50,
    );
    if let Some(d) = input.payment_terms_days {
        c.range("payment_terms_days", d as i64, 0, 365);
    }
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let existing = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("client"))?;
            check_manager(
                conn,
                &mut c,
                input.manager_id.as_ref().and_then(|m| m.as_deref()),
            )?;
            if let Some(Some(tier)) = &input.tier_id {
                if tier.len() > 64 || crate::pricing::store::find(conn, tier)?.is_none() {
                    c.add("tier_id", "unknown_tier", "must be the id of a price tier");
                }
            }
            if input.kpp.is_some() && existing.inn.len() == 12 {
                c.add(
                    "kpp",
                    "not_allowed",
                    "a sole proprietor (12-digit INN) has no KPP",
                );
            }
            c.finish()?;
            let name = input.name.map(|s| s.trim().to_string());
            let changes = ClientChanges {
                search_key: name.as_ref().map(|n| search_key(&[n, &existing.inn])),
                name,
                kpp: input.kpp.map(Some),
                legal_address: input.legal_address.map(|s| s.trim().to_string()),
                delivery_address: input
                    .delivery_address
                    .map(|o| o.map(|s| s.trim().to_string())),
                email: input.email.map(|s| s.trim().to_string()),
                phone: input.phone.map(|o| o.map(|s| s.trim().to_string())),
                credit_limit_minor: input.credit_limit.map(|m| m.minor()),
                payment_terms_days: input.payment_terms_days,
                status: input.status.map(|s| s.as_str().to_string()),
                manager_id: input.manager_id,
                tier_id: input.tier_id,
                tier_pinned: input.tier_pinned,
                updated_at: Some(db::now()),
            };
            let row = store::update(conn, &id, &changes)?;
            let before = view(existing);
            let after = view(row);
            record(
                conn,
                &actor,
                Change {
                    action: "client.updated",
                    entity_type: "client",
                    entity_id: &id,
                    client_id: Some(&id),
                    details: json!({ "before": before, "after": after }),
                },
            )?;
            Ok(after)
        })
    })
    .await
    .inspect(|_| crate::pricing::service::discounts_changed())
}
