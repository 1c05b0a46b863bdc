use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::Pool;
use std::sync::Arc;

/// Shared application state (`web::Data<AppState>`).
pub struct AppState {
    pub pool: Pool,
    /// The connections jobs run on (scheduled or triggered), apart from the API's.
    pub jobs: Pool,
    pub settings: Arc<Settings>,
    pub tokens: TokenKeys,
    /// Idempotency keys being processed in this process.
    pub in_flight: Arc<crate::idempotency::service::InFlight>,
    /// Recently read token subjects.
    pub subjects: Arc<crate::auth::cache::SubjectCache>,
    /// Recently read client discounts, for price displays.
    pub discounts: Arc<crate::pricing::service::DiscountCache>,
    /// Recently read catalog pages.
    pub catalog: Arc<crate::catalog::service::PageCache>,
    /// The receivables policy in force, recently read.
    pub policy: Arc<crate::receivables::service::PolicyCache>,
    /// The margin policy in force, recently read.
    pub margins: Arc<crate::bargaining::service::MarginPolicyCache>,
}
