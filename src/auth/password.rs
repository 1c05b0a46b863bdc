//! Password hashing with argon2id (PHC strings) and API key secrets (random, stored as SHA-256).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default params cannot fail")
        .to_string()
}

/// Verifies against a PHC hash. With `None` it verifies against a fixed dummy hash so that an
/// unknown e-mail costs the same time as a wrong password.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing"));
    let target = hash.unwrap_or(dummy);
    let ok = PasswordHash::new(target)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && hash.is_some()
}

/// A new random secret: `dsk_` + 32 random bytes, base64url. Returns (secret, sha256 hex).
pub fn new_api_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!(
        "dsk_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_api_secret(&secret);
    (secret, hash)
}

/// API key secrets carry 256 bits of entropy, so a fast hash is enough to store them safely.
pub fn hash_api_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random password for the bootstrap admin.
pub fn random_password() -> String {
    let mut bytes = [0u8; 18];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// At most two argon2 computations at once: each takes 19 MiB and a core, so a login burst is
/// queued instead of multiplying memory (and the CPU the rest of the API needs).
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Runs password hashing or verification on the blocking pool, two at a time.
pub async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::error::ApiError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(crate::error::ApiError::internal)?;
    actix_web::web::block(work)
        .await
        .map_err(crate::error::ApiError::internal)
}
