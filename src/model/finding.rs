//! Findings: the plain data every stage after the matcher passes along.
//!
//! A [`Finding`] holds the secret in memory only; reporters ask for
//! [`Finding::display_secret`] and [`Finding::display_line`], which redact unless
//! the user asked for `--show-secrets`. The fingerprint hashes rule id, secret
//! and path (never the line number), so moving a line keeps it stable.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// How bad a leak of this kind is. Ordered: `Low < Medium < High < Critical`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; rarely exploitable alone.
    Low,
    /// A test credential or a secret with limited reach.
    Medium,
    /// A credential that grants real access.
    High,
    /// A live production credential.
    Critical,
}

impl Severity {
    /// Lowercase name as used in rule files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// All severities, most severe first (report order).
    pub const ALL_DESC: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure keysweep is that a finding is a real credential. Ordered:
/// `Low < Medium < High`. Scans report medium and high by default
/// (`--confidence low` shows everything).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A sample, a documentation or fixture value, a local default: shown
    /// only with `--confidence low`.
    Low,
    /// A random-looking literal under a generic rule.
    Medium,
    /// A provider's own format (prefix, checksum or fixed structure).
    High,
}

impl Confidence {
    /// Lowercase name as used in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding was seen, beyond its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// A file in the working tree.
    File,
    /// A blob in git history, introduced by a commit.
    Commit(GitProvenance),
    /// A blob no commit reaches (dangling or unreachable; `--all-objects`).
    Unreachable {
        /// The blob id.
        blob: String,
    },
    /// The index: what `git commit` would record now.
    Staged,
}

/// The commit metadata provenance reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub commit: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, ISO 8601 with the author's offset.
    pub date: String,
    /// First line of the message.
    pub summary: String,
    /// Position in the walk, oldest first (topological): orders "first".
    #[serde(skip)]
    pub order: u32,
}

/// Provenance of a finding in git history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitProvenance {
    /// The commit that first introduced the secret at this path.
    #[serde(flatten)]
    pub commit: std::sync::Arc<CommitInfo>,
    /// The blob the line and column refer to.
    pub blob: String,
    /// The secret is still in this path at HEAD.
    pub in_head: bool,
    /// Commits that wrote a version of this path holding the secret.
    pub commits: usize,
    /// Distinct paths in history holding the same secret (same rule).
    pub paths: usize,
}

/// One secret found at one place. Its `Debug` output redacts the secret, so
/// a stray `{:?}` cannot leak it.
#[derive(Clone)]
pub struct Finding {
    /// The rule that matched.
    pub rule_id: String,
    /// Severity copied from the rule (lints may raise or lower it).
    pub severity: Severity,
    /// The secret itself. Never printed unless `--show-secrets`.
    pub secret: String,
    /// Path as the user sees it (relative to where the scan started when possible).
    pub path: String,
    /// 1-based line of the start of the match.
    pub line: usize,
    /// 1-based column (in characters) of the start of the secret.
    pub column: usize,
    /// The secret's line before the secret (cut to a readable length).
    pub context_before: String,
    /// The secret's line after the secret (cut to a readable length).
    pub context_after: String,
    /// Stable identifier: hash of rule id, secret and path.
    pub fingerprint: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// For lint findings (no single secret): what is wrong and how to fix it.
    pub message: Option<String>,
    /// The provider the key belongs to, when its rule names providers and
    /// the file's context (or the rule) says which.
    pub provider: Option<String>,
    /// The provider's answer, with `--verify`.
    pub verification: Option<super::status::Verification>,
    /// Non-secret facts a key carries (JWT-based keys: claims and prefix).
    pub key_info: Option<KeyInfo>,
    /// How sure keysweep is that this is a real credential.
    pub confidence: Confidence,
    /// Why it has that confidence (short phrases, for reports).
    pub confidence_reasons: Vec<String>,
    /// Hygiene lints about this very secret (`live-key-in-test`,
    /// `stale-key`, `client-exposed-secret`, `test-key-in-production`).
    pub tags: Vec<String>,
    /// `context_before` and `context_after` with every other secret on the
    /// line redacted (set only when the line holds another one).
    pub redacted_context: Option<(String, String)>,
    /// Set when the secret was found inside an archive or compressed file:
    /// that file's own path (the outermost one). `path` is then
    /// `archive!member` (nested members add more `!` segments) and `line`
    /// counts lines of the member.
    pub archive: Option<String>,
    /// Set when the secret was found inside encoded content: the encodings
    /// undone, outermost first (`base64 > percent`); `line` and `column`
    /// are those of the encoded span. [`STRINGS_ENCODING`] first: found in
    /// the printable strings of a binary file, and `line` counts strings.
    pub encoding: Option<String>,
    /// GitHub code scanning's `primaryLocationLineHash` of the finding's
    /// line, from the content scanned (not for archive members).
    pub line_hash: Option<String>,
}

/// What a JWT-based key says about itself: the non-secret claims that
/// identify it in the provider's dashboard, and its displayed prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The first 16 characters (`sk-live-` and 8 more), as usage logs show keys.
    pub prefix: String,
    /// `sub`, `user_id`, `jti`, `iss` as text; `iat` and `exp` as ISO dates.
    pub claims: std::collections::BTreeMap<String, String>,
}

impl KeyInfo {
    /// Decode `secret`'s JWT (never verifying it); `None` for other keys.
    pub fn from_secret(secret: &str) -> Option<KeyInfo> {
        if !secret.contains("eyJ") {
            return None;
        }
        let claims = super::jwt::decode_jwt_claims(secret.as_bytes())?;
        let mut out = std::collections::BTreeMap::new();
        for name in ["sub", "user_id", "uid", "jti", "iss"] {
            if let Some(v) = claims.get(name) {
                out.insert(
                    name.to_string(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                );
            }
        }
        for name in ["iat", "exp"] {
            if let Some(t) = claims.get(name).and_then(serde_json::Value::as_i64) {
                out.insert(name.to_string(), super::time::format_time(t, 0));
            }
        }
        Some(KeyInfo {
            prefix: secret.chars().take(16).collect(),
            claims: out,
        })
    }

    /// `prefix sk-live-eyJhbGci, sub user_1, jti k1, iat 2025-...`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("prefix {}", self.prefix)];
        parts.extend(self.claims.iter().map(|(k, v)| format!("{k} {v}")));
        parts.join(", ")
    }
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("rule_id", &self.rule_id)
            .field("severity", &self.severity)
            .field("secret", &self.display_secret(false))
            .field("path", &self.path)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("fingerprint", &self.fingerprint)
            .field("provider", &self.provider)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// The encoding of findings in the printable strings of a binary file:
/// their `line` is the string's number among them (as `strings -a -n 8`
/// numbers its lines, see `sources::strings`).
pub const STRINGS_ENCODING: &str = "strings";

impl Finding {
    /// Found in the printable strings of a binary file: its line and column
    /// are not a place in the file a viewer could show.
    pub fn in_binary_strings(&self) -> bool {
        self.encoding.as_deref().is_some_and(|e| {
            e == STRINGS_ENCODING
                || e.strip_prefix(STRINGS_ENCODING)
                    .is_some_and(|rest| rest.starts_with(" > "))
        })
    }

    /// The secret as reports show it: redacted unless `show` is true.
    pub fn display_secret(&self, show: bool) -> String {
        if show || self.secret.is_empty() {
            self.secret.clone()
        } else {
            redact(&self.secret)
        }
    }

    /// The matched line as reports show it, with the secret redacted unless `show`.
    pub fn display_line(&self, show: bool) -> String {
        let secret = self.display_secret(show).replace('\n', "\\n");
        match (&self.redacted_context, show) {
            (Some((before, after)), false) => format!("{before}{secret}{after}"),
            _ => format!("{}{}{}", self.context_before, secret, self.context_after),
        }
    }

    /// Sort key that makes output deterministic whatever order workers finished in.
    /// Ties (two secrets a rule found at one place in different commits)
    /// break on the fingerprint, so the order is total.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            &self.fingerprint,
        )
    }
}

/// A stable fingerprint for (rule, secret, path), never the line number:
/// HMAC-SHA-256 under `key`, first 32 hex digits; with no key (outside a
/// repository), the plain hash of [`legacy_fingerprint`].
///
/// The key is derived from the scanned repository's root commit, so
/// fingerprints are stable across runs, moved lines and machines, but a
/// published SARIF or baseline does not let anyone test guesses of a secret
/// offline without knowing the repository. It is passed, never global: two
/// scans in one process (a library user, a sweep of many repositories) each
/// get their own.
pub fn fingerprint(key: Option<&[u8; 32]>, rule_id: &str, secret: &str, path: &str) -> String {
    use hmac::{Hmac, Mac};
    let Some(key) = key else {
        return legacy_fingerprint(rule_id, secret, path);
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return legacy_fingerprint(rule_id, secret, path);
    };
    for part in [rule_id, secret, path] {
        mac.update(&(part.len() as u64).to_le_bytes());
        mac.update(part.as_bytes());
    }
    let digest = mac.finalize().into_bytes();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The unkeyed fingerprint of earlier versions (SHA-256 of rule, secret and
/// path): what baselines written before keyed fingerprints hold.
pub fn legacy_fingerprint(rule_id: &str, secret: &str, path: &str) -> String {
    let mut h = Sha256::new();
    for part in [rule_id, secret, path] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Redact a secret: keep its recognisable prefix and its last 4 characters;
/// short secrets are fully masked.
///
/// The prefix is the run of leading segments that look like a vendor tag
/// (`sk_live_`, `ghp_`, `sk-proj-`, `xoxb-`, `SG.`): each segment 1..=12
/// characters of one case (letters and digits, not mixed case), followed by
/// `_`, `-` or `.`, at most 16 characters in all, leaving at least 8 behind.
/// Random tokens rarely start with such a run, so they show only `****` and
/// their last 4 characters.
pub fn redact(secret: &str) -> String {
    if let Some(what) = super::keyblock::describe_private_key(secret) {
        return format!("[{what}, redacted]");
    }
    let chars: Vec<char> = secret.chars().collect();
    let n = chars.len();
    if n < 12 {
        return "*".repeat(n.max(4));
    }
    let head: String = chars[..vendor_prefix_len(&chars)].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    format!("{head}****{tail}")
}

fn vendor_prefix_len(chars: &[char]) -> usize {
    let mut prefix = 0;
    let mut seg_start = 0;
    for (i, &c) in chars.iter().enumerate().take(16) {
        if matches!(c, '_' | '-' | '.') {
            let seg = &chars[seg_start..i];
            let lower = seg
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            let upper = seg
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if seg.is_empty() || seg.len() > 12 || !(lower || upper) {
                break;
            }
            if i + 1 + 8 > chars.len() {
                break;
            }
            prefix = i + 1;
            seg_start = i + 1;
        } else if !c.is_ascii_alphanumeric() {
            break;
        }
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_prefix_and_last_four() {
        assert_eq!(redact("sk_live_0123456789abcdefghij"), "sk_live_****ghij");
        assert_eq!(
            redact("ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            "ghp_****wxyz"
        );
        assert_eq!(redact("AKIA0123456789ABCDEF"), "****CDEF");
        assert_eq!(redact("short"), "*****");
        assert_eq!(
            redact("sk-ant-api03-0123456789abcdefghij"),
            "sk-ant-api03-****ghij"
        );
        assert_eq!(
            redact("SG.aBcDeFgHiJkLmNoPqRsTuV.0123456789"),
            "SG.****6789"
        );
        // A random token with an early `_` keeps nothing of its head.
        assert_eq!(redact("hdWLhyDZ8n_0123456789wxyz"), "****wxyz");
    }

    #[test]
    fn fingerprint_ignores_line_and_separates_fields() {
        let k = Some(&[7u8; 32]);
        let a = fingerprint(k, "r", "secret", "a.txt");
        assert_eq!(a, fingerprint(k, "r", "secret", "a.txt"));
        assert_ne!(a, fingerprint(k, "r", "secret", "b.txt"));
        assert_ne!(
            fingerprint(k, "ab", "c", "p"),
            fingerprint(k, "a", "bc", "p")
        );
        assert_eq!(a.len(), 32);
        // Another repository's key, or none, gives another fingerprint.
        assert_ne!(a, fingerprint(Some(&[8u8; 32]), "r", "secret", "a.txt"));
        assert_eq!(
            fingerprint(None, "r", "secret", "a.txt"),
            legacy_fingerprint("r", "secret", "a.txt")
        );
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let secret = concat!("sk_live_", "Zq7vR2mK9xLp3TnW8cYb5HdJ").to_string();
        let f = Finding {
            rule_id: "r".into(),
            severity: Severity::High,
            secret: secret.clone(),
            path: "p".into(),
            line: 1,
            column: 1,
            context_before: format!("k={secret}"),
            context_after: String::new(),
            fingerprint: "fp".into(),
            provenance: Provenance::File,
            message: None,
            provider: None,
            verification: None,
            key_info: None,
            confidence: super::Confidence::High,
            confidence_reasons: Vec::new(),
            tags: Vec::new(),
            redacted_context: None,
            archive: None,
            encoding: None,
            line_hash: None,
        };
        let debug = format!("{f:?}");
        assert!(!debug.contains(&secret), "{debug}");
        assert!(debug.contains("sk_live_****5HdJ"));
    }

    #[test]
    fn severity_orders() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Medium > Severity::Low);
    }
}
