//! JWT signing and verification: HS256 pinned, `kid` selects the key, `exp`/`iss`/`aud`/`sub`
//! required.

use super::model::{Claims, Principal, PrincipalKind, Role};
use crate::config::AuthSettings;
use crate::error::ApiError;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use std::collections::HashMap;

const ALG: Algorithm = Algorithm::HS256;

pub struct TokenKeys {
    active_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    pub ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(s: &AuthSettings) -> TokenKeys {
        let active = s
            .keys
            .iter()
            .find(|k| k.kid == s.active_kid)
            .expect("settings validated: active kid exists");
        TokenKeys {
            active_kid: s.active_kid.clone(),
            encoding: EncodingKey::from_secret(active.secret.as_bytes()),
            decoding: s
                .keys
                .iter()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(k.secret.as_bytes())))
                .collect(),
            issuer: s.issuer.clone(),
            audience: s.audience.clone(),
            ttl_secs: s.access_token_ttl_secs,
        }
    }

    pub fn issue(
        &self,
        kind: PrincipalKind,
        subject: &str,
        role: Role,
        client_id: Option<String>,
        now: i64,
    ) -> Result<String, ApiError> {
        let mut header = Header::new(ALG);
        header.kid = Some(self.active_kid.clone());
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_string(),
            iat: now,
            exp: now + self.ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
            knd: kind,
            role,
            cid: client_id,
        };
        encode(&header, &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm, expiry, issuer and audience. Any failure is a 401.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = |d: &str| ApiError::unauthorized("invalid_token", d.to_string());
        let header = decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        if header.alg != ALG {
            return Err(invalid("the token algorithm is not accepted"));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("the token has no key id"))?;
        let key = self
            .decoding
            .get(&kid)
            .ok_or_else(|| invalid("the token was signed with an unknown key"))?;
        let mut v = Validation::new(ALG);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 30;
        decode::<Claims>(token, key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::unauthorized("token_expired", "the token has expired")
                }
                _ => invalid("the token is invalid"),
            })
    }
}

impl Claims {
    pub fn principal(&self, request_id: Option<String>) -> Principal {
        Principal {
            kind: self.knd,
            id: Some(self.sub.clone()),
            role: self.role,
            client_id: self.cid.clone(),
            request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SigningKey;

    fn settings(active: &str, keys: &[(&str, &str)]) -> AuthSettings {
        AuthSettings {
            issuer: "diaspar".into(),
            audience: "diaspar-api".into(),
            access_token_ttl_secs: 600,
            login_burst: 10,
            login_per_minute: 10,
            principal_cache_ms: 0,
            active_kid: active.into(),
            keys: keys
                .iter()
                .map(|(kid, secret)| SigningKey {
                    kid: kid.to_string(),
                    secret: secret.to_string(),
                })
                .collect(),
        }
    }

    /// Rotation: add a new key and make it active; tokens signed with the old key keep working
    /// until the old key is removed from the list.
    #[test]
    fn key_rotation_keeps_old_tokens_until_the_key_is_retired() {
        let now = chrono::Utc::now().timestamp();
        let old = TokenKeys::new(&settings(
            "k1",
            &[("k1", "old-secret-old-secret-old-secret")],
        ));
        let token = old
            .issue(PrincipalKind::User, "u1", Role::Manager, None, now)
            .unwrap();
        let both = TokenKeys::new(&settings(
            "k2",
            &[
                ("k1", "old-secret-old-secret-old-secret"),
                ("k2", "new-secret-new-secret-new-secret"),
            ],
        ));
        assert_eq!(both.verify(&token).unwrap().sub, "u1");
        let fresh = both
            .issue(PrincipalKind::User, "u2", Role::Manager, None, now)
            .unwrap();
        assert_eq!(decode_header(&fresh).unwrap().kid.as_deref(), Some("k2"));
        let retired = TokenKeys::new(&settings(
            "k2",
            &[("k2", "new-secret-new-secret-new-secret")],
        ));
        assert!(retired.verify(&token).is_err());
        assert_eq!(retired.verify(&fresh).unwrap().sub, "u2");
    }
}
