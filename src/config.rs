//! Layered settings: embedded `config/default.toml` < `config/{DIASPAR_ENV}.toml` (optional, on disk)
//! < `DIASPAR__SECTION__KEY` environment variables; `DATABASE_URL` overrides `database.url`.

use serde::Deserialize;

const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const DEV_SECRET: &str = "dev-only-secret-change-me-0123456789abcdef";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub business: BusinessSettings,
    #[serde(default)]
    pub jobs: JobSettings,
    #[serde(skip)]
    pub environment: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub max_body_bytes: usize,
    pub workers: usize,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a proxy that
    /// sets them).
    pub trust_forwarded_for: bool,
    /// How long a catalog page read from the database is reused (0: never).
    #[serde(default = "default_catalog_cache_ms")]
    pub catalog_cache_ms: u64,
}

fn default_catalog_cache_ms() -> u64 {
    1000
}

/// Cron schedules of the in-process jobs (six fields, seconds first, UTC); empty or absent: the
/// job does not run on a schedule in this process (it can still be run by hand).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobSettings {
    #[serde(default)]
    pub reservation_expiry: String,
    #[serde(default)]
    pub penalties: String,
    #[serde(default)]
    pub credit_holds: String,
    #[serde(default)]
    pub dunning: String,
    #[serde(default)]
    pub advance_bonus: String,
    #[serde(default)]
    pub tier_recalc: String,
    #[serde(default)]
    pub housekeeping: String,
    #[serde(default)]
    pub offer_expiry: String,
    /// Transactions a per-client job runs at once on PostgreSQL (1 on SQLite).
    #[serde(default = "one")]
    pub workers: usize,
}

fn one() -> usize {
    1
}

impl JobSettings {
    pub fn schedule(&self, job: crate::scheduler::model::JobName) -> Option<&str> {
        use crate::scheduler::model::JobName;
        let s = match job {
            JobName::ReservationExpiry => &self.reservation_expiry,
            JobName::Penalties => &self.penalties,
            JobName::CreditHolds => &self.credit_holds,
            JobName::Dunning => &self.dunning,
            JobName::AdvanceBonus => &self.advance_bonus,
            JobName::TierRecalc => &self.tier_recalc,
            JobName::Housekeeping => &self.housekeeping,
            JobName::OfferExpiry => &self.offer_expiry,
        };
        Some(s.trim()).filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: i64,
    pub active_kid: String,
    pub keys: Vec<SigningKey>,
    /// Token requests one client address may make at once…
    pub login_burst: u32,
    /// …and how many more it regains per minute.
    pub login_per_minute: u64,
    /// How long a token subject's status read from the database is reused (0: never).
    #[serde(default = "default_principal_cache_ms")]
    pub principal_cache_ms: u64,
}

fn default_principal_cache_ms() -> u64 {
    2000
}

#[derive(Debug, Clone, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    pub secret: String,
}

/// The commercial director's terms.
#[derive(Debug, Clone, Deserialize)]
pub struct BusinessSettings {
    /// Days of released goods that count as a client's turnover for its price tier.
    pub turnover_window_days: i64,
    /// How long an unpaid order keeps its stock reservation.
    pub reservation_ttl_hours: i64,
    /// Seller requisites printed on bills.
    pub seller_name: String,
    pub seller_inn: String,
    pub seller_kpp: String,
    pub seller_address: String,
    pub seller_bank: String,
    pub seller_bik: String,
    pub seller_account: String,
    pub seller_corr_account: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub filter: String,
}

impl Settings {
    /// Loads the settings for `DIASPAR_ENV` (default `development`).
    pub fn load() -> Result<Settings, String> {
        let env = std::env::var("DIASPAR_ENV").unwrap_or_else(|_| "development".into());
        Self::load_for(&env)
    }

    pub fn load_for(env: &str) -> Result<Settings, String> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(
                DEFAULT_TOML,
                config::FileFormat::Toml,
            ))
            .add_source(config::File::with_name(&format!("config/{env}")).required(false))
            .add_source(
                config::Environment::with_prefix("DIASPAR")
                    .prefix_separator("__")
                    .separator("__"),
            );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder
                .set_override("database.url", url)
                .map_err(|e| e.to_string())?;
        }
        // Signing keys from one variable: DIASPAR_AUTH_KEYS="kid1=secret1,kid2=secret2".
        if let Ok(keys) = std::env::var("DIASPAR_AUTH_KEYS") {
            let mut list = Vec::new();
            for pair in keys.split(',').filter(|p| !p.trim().is_empty()) {
                let (kid, secret) = pair.split_once('=').ok_or(
                    "configuration: DIASPAR_AUTH_KEYS must look like kid1=secret1,kid2=secret2",
                )?;
                let mut key = config::Map::new();
                key.insert("kid".to_string(), config::Value::from(kid.trim()));
                key.insert("secret".to_string(), config::Value::from(secret.trim()));
                list.push(config::Value::from(key));
            }
            builder = builder
                .set_override("auth.keys", list)
                .map_err(|e| e.to_string())?;
        }
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| format!("configuration: {e}"))?;
        settings.environment = env.to_string();
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if !self.auth.keys.iter().any(|k| k.kid == self.auth.active_kid) {
            return Err(format!(
                "configuration: auth.active_kid {:?} is not among auth.keys",
                self.auth.active_kid
            ));
        }
        if self.environment == "production" {
            for k in &self.auth.keys {
                if k.secret == DEV_SECRET || k.secret.len() < 32 {
                    return Err(format!(
                        "configuration: signing key {:?} is the development secret or shorter than 32 bytes",
                        k.kid
                    ));
                }
            }
        }
        if self.auth.access_token_ttl_secs <= 0 {
            return Err("configuration: auth.access_token_ttl_secs must be positive".into());
        }
        Ok(())
    }
}
