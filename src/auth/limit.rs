//! Brute-force protection for the token endpoint: a per-client-IP token bucket (actix-governor).
//! Over the limit the answer is 429 `rate_limited` with `Retry-After`.

use crate::config::AuthSettings;
use crate::error::ApiError;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::middleware::NoOpMiddleware;
use governor::NotUntil;
use std::net::{IpAddr, Ipv4Addr};

/// The client's address: the TCP peer, or — behind a trusted reverse proxy
/// (`server.trust_forwarded_for`) — the first `Forwarded` / `X-Forwarded-For` address.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp {
    pub trust_forwarded_for: bool,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        let forwarded = self
            .trust_forwarded_for
            .then(|| {
                req.connection_info().realip_remote_addr().and_then(|a| {
                    a.parse::<std::net::SocketAddr>()
                        .map(|s| s.ip())
                        .ok()
                        .or_else(|| a.parse().ok())
                })
            })
            .flatten();
        Ok(forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        ApiError::TooManyRequests(wait).error_response()
    }
}

pub type LoginLimiter = GovernorConfig<ClientIp, NoOpMiddleware<QuantaInstant>>;

/// `auth.login_burst` attempts at once, refilled at `auth.login_per_minute`.
pub fn login_limiter(auth: &AuthSettings, trust_forwarded_for: bool) -> LoginLimiter {
    let per_minute = auth.login_per_minute.max(1);
    GovernorConfigBuilder::default()
        .period(std::time::Duration::from_nanos(
            (60_000_000_000 / per_minute).max(1),
        ))
        .burst_size(auth.login_burst.max(1))
        .key_extractor(ClientIp {
            trust_forwarded_for,
        })
        .finish()
        .expect("period and burst are at least 1")
}
