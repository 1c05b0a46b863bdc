use super::model::*;
use super::store::{self, PolicyRow};
use crate::audit::{model::Change, service::record_all};
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// The margin policy.

/// The version in force, recently read: for order placement (attention thresholds) without a
/// query per order.
pub type MarginPolicyCache = crate::cache::Recent<(), MarginPolicyView>;

static POLICY_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn policy_cache(ttl: std::time::Duration) -> MarginPolicyCache {
    MarginPolicyCache::new(ttl, &POLICY_GENERATION)
}

/// Who sets the margin policy and overrides a floor.
pub const POLICY_EDITORS: &[Role] = &[Role::Director];
/// Who decides offers and reads margins.
pub const DECIDERS: &[Role] = &[Role::Manager, Role::Director];

fn version_view(row: Option<PolicyRow>) -> Result<MarginPolicyView, ApiError> {
    Ok(match row {
        None => MarginPolicyView {
            version: 0,
            effective_from: None,
            set_by: None,
            policy: MarginPolicy::default(),
        },
        Some(r) => MarginPolicyView {
            version: r.version,
            effective_from: Some(r.created_at.and_utc()),
            set_by: r.actor_id,
            policy: serde_json::from_str(&r.body).map_err(|e| {
                ApiError::internal(format!("margin policy version {}: {e}", r.version))
            })?,
        },
    })
}

/// The version in force at `at` (inside any transaction).
pub fn policy_in_force(
    conn: &mut DbConn,
    at: chrono::NaiveDateTime,
) -> Result<MarginPolicyView, ApiError> {
    version_view(store::policy_at(conn, at)?)
}

/// The version in force now, from `cache` or the database.
pub fn current_policy(
    conn: &mut DbConn,
    cache: &MarginPolicyCache,
) -> Result<MarginPolicyView, ApiError> {
    if let Some(p) = cache.get(&()) {
        return Ok(p);
    }
    let generation = cache.generation();
    let p = policy_in_force(conn, db::now())?;
    cache.put((), generation, p.clone());
    Ok(p)
}

pub async fn get_policy(pool: &Pool, actor: Principal) -> Result<MarginPolicyView, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::forbidden("the margin policy is for staff"));
    }
    db::run(pool, move |c| policy_in_force(c, db::now())).await
}

/// A new version from now on (director), audited with the whole policy.
pub async fn put_policy(
    pool: &Pool,
    actor: Principal,
    policy: MarginPolicy,
) -> Result<MarginPolicyView, ApiError> {
    if !actor.has_any(POLICY_EDITORS) {
        return Err(ApiError::forbidden(
            "the margin policy is set by the director",
        ));
    }
    policy.validate()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |c| {
            let ids: Vec<&str> = policy.product_floors.keys().map(String::as_str).collect();
            let known = store::known_products(c, &ids)?;
            let mut check = crate::validate::Check::new();
            for id in ids.iter().filter(|id| !known.iter().any(|k| k == *id)) {
                check.add(
                    &format!("product_floors.{id}"),
                    "unknown_product",
                    "no such product",
                );
            }
            check.finish()?;
            let row = PolicyRow {
                version: store::latest_version(c)? + 1,
                body: serde_json::to_string(&policy).map_err(ApiError::internal)?,
                actor_kind: actor.kind.as_str().to_string(),
                actor_id: actor.id.clone(),
                created_at: db::now(),
            };
            if !store::insert_policy(c, &row)? {
                return Err(ApiError::conflict(
                    "concurrent_update",
                    "another change of the policy came first; read it and retry",
                ));
            }
            let version = row.version.to_string();
            record_all(
                c,
                &actor,
                &[Change {
                    action: "margin_policy.updated",
                    entity_type: "margin_policy",
                    entity_id: &version,
                    client_id: None,
                    details: json!({ "version": row.version, "policy": policy }),
                }],
            )?;
            version_view(Some(row))
        })
    })
    .await
    .inspect(|_| crate::cache::bump(&POLICY_GENERATION))
}
