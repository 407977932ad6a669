//! JSON Web Token payloads, decoded (never verified): the matcher checks a
//! JWT-shaped key decodes, lints read its issue time, findings show its
//! non-secret claims.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

/// Decode the JWT inside `secret` (from its first `eyJ`): header and payload
/// must be base64url JSON objects. Returns the payload's claims. The signature
/// is never checked: keysweep holds no provider's signing secret.
pub fn decode_jwt_claims(secret: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let start = memchr::memmem::find(secret, b"eyJ")?;
    let mut parts = secret[start..].split(|&b| b == b'.');
    let header = decode_segment(parts.next()?)?;
    let payload = decode_segment(parts.next()?)?;
    parts.next()?;
    header.as_object()?;
    match payload {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

fn decode_segment(seg: &[u8]) -> Option<serde_json::Value> {
    let bytes = URL_SAFE_NO_PAD
        .decode(seg)
        .or_else(|_| URL_SAFE.decode(seg))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
