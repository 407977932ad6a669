//! Verification status: what a key's provider said about it. Plain data, set
//! by the `verify` stage and read by reporters.

use serde::{Deserialize, Serialize};

/// What the provider said about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The key works.
    Live,
    /// The provider does not know the key.
    Invalid,
    /// The key expired.
    Expired,
    /// The key was revoked.
    Revoked,
    /// The provider asked us to slow down (after retries).
    RateLimited,
    /// No answer could be had (network error, timeout, unexpected answer,
    /// ambiguous provider): see the detail.
    Unknown,
}

impl Status {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "invalid",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::RateLimited => "rate_limited",
            Status::Unknown => "unknown",
        }
    }

    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Live,
        Status::Invalid,
        Status::Expired,
        Status::Revoked,
        Status::RateLimited,
        Status::Unknown,
    ];
}

/// The verification result attached to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The status.
    pub status: Status,
    /// The provider asked (None when none could be chosen).
    pub provider: Option<String>,
    /// Why, in words (never containing the secret).
    pub detail: Option<String>,
}
