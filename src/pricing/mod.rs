//! Price tiers by trailing turnover. The tier table exists from the foundation (clients point at
//! it and the demo seeds it); tier management and pricing come with the ordering issue.
pub mod model;
pub mod store;
