//! How sure a finding is: high, medium or low, with the reasons.
//!
//! - A provider's own format (a fixed prefix, checksum or structure) is high
//!   anywhere: a real `sk_live_...` pasted into a README or a runbook is
//!   still a leak.
//! - A generic match (a random-looking literal assigned to a secret-looking
//!   name) is medium, and stays medium where its line names a known provider
//!   or host (`INFINITYBLUE_API_KEY=...`, a `curl https://api.vendor...`).
//! - It is low in documentation (`*.md`, `*.rst`, `docs/`, `examples/`) or
//!   test fixtures without such context, when its value names itself a
//!   sample (`test-api-key-123`, `sk-synthetic-...`), when the same value is
//!   in several files (copied sample), and for vendors' published sample
//!   values whatever the rule.
//! - A password in a connection URL is low for a local host (`localhost`,
//!   `127.0.0.1`, a compose service name), a password equal to the user
//!   name, or a well-known default.
//!
//! Cost: one pass over the findings, a few string checks each.

use crate::lint::paths::is_test_path;
use crate::matcher::looks_like_sample;
use crate::model::{Confidence, Finding};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use std::collections::{HashMap, HashSet};

/// Rules whose findings are judged by their host and user (id prefix).
const CONNECTION_STRING: &str = "connection-string";

/// Well-known default passwords of databases and brokers.
const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "postgres",
    "postgresql",
    "mysql",
    "root",
    "admin",
    "guest",
    "test",
    "testing",
    "user",
    "example",
    "changeme",
    "changeit",
    "default",
    "letmein",
    "mypass",
    "mypassword",
    "testpass",
    "testpassword",
    "dbpass",
    "dbpassword",
    "sa",
    "toor",
];

/// Rule-id prefixes that are not provider names.
const NOT_PROVIDERS: &[&str] = &[
    "private",
    "connection",
    "generic",
    "live",
    "test",
    "example",
    "client",
    "secret",
    "stale",
    "missing",
    "token",
    "api",
    "auth",
    "access",
    "bearer",
    "basic",
    "password",
    "webhook",
    "legacy",
];

/// A generic value repeated in this many files is a copied sample.
const REPEATED_IN: usize = 3;

/// Judges findings; built once per scan from the rules in effect.
#[derive(Debug)]
pub struct Assessor {
    generic: HashSet<String>,
    /// Provider names (from rule ids) that give a generic match context.
    providers: AhoCorasick,
}

impl Assessor {
    /// From the rules in effect: which are generic, and the provider names.
    pub fn new(rules: &[crate::rules::Rule]) -> Self {
        let generic = rules
            .iter()
            .filter(|r| r.generic)
            .map(|r| r.id.clone())
            .collect();
        let mut names: Vec<String> = rules
            .iter()
            .filter(|r| !r.generic && !r.lint)
            .filter_map(|r| r.id.split('-').next().map(str::to_string))
            .filter(|n| n.len() >= 4 && !NOT_PROVIDERS.contains(&n.as_str()))
            .collect();
        names.sort();
        names.dedup();
        let providers = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(&names)
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("empty automaton"));
        Assessor { generic, providers }
    }

    /// Set every finding's confidence and reasons.
    pub fn assess(&self, findings: &mut [Finding]) {
        let mut files: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
        for f in findings.iter() {
            if self.generic.contains(&f.rule_id) {
                files
                    .entry((f.rule_id.as_str(), f.secret.as_str()))
                    .or_default()
                    .insert(f.path.as_str());
            }
        }
        let repeated: HashMap<(String, String), usize> = files
            .into_iter()
            .filter(|(_, paths)| paths.len() >= REPEATED_IN)
            .map(|((r, s), p)| ((r.to_string(), s.to_string()), p.len()))
            .collect();
        for f in findings.iter_mut() {
            if f.message.is_some() && f.secret.is_empty() {
                continue; // file-level lints set their own
            }
            let n = repeated
                .get(&(f.rule_id.clone(), f.secret.clone()))
                .copied();
            let (level, reasons) = self.judge(f, n);
            f.confidence = level;
            f.confidence_reasons = reasons;
        }
    }

    fn judge(&self, f: &Finding, repeated: Option<usize>) -> (Confidence, Vec<String>) {
        let generic = self.generic.contains(&f.rule_id);
        let mut reasons = Vec::new();
        if let Some(why) = looks_like_sample(f.secret.as_bytes(), generic) {
            return (Confidence::Low, vec![why.to_string()]);
        }
        if let Some(exp) = crate::model::decode_jwt_claims(f.secret.as_bytes())
            .and_then(|c| c.get("exp").and_then(serde_json::Value::as_i64))
        {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            if exp < now {
                return (
                    Confidence::Low,
                    vec![format!(
                        "a token that expired on {}",
                        crate::model::iso_date(exp)
                    )],
                );
            }
        }
        if f.rule_id.starts_with(CONNECTION_STRING) {
            if let Some(why) = local_connection(&f.context_before, &f.secret, &f.context_after) {
                return (Confidence::Low, vec![why]);
            }
            reasons.push("a password in a connection URL to a remote host".to_string());
            return (Confidence::Medium, reasons);
        }
        if !generic {
            return (
                Confidence::High,
                vec!["the provider's own key format".to_string()],
            );
        }
        let line = format!("{}{}", f.context_before, f.context_after);
        let context = self.provider_context(&line, &f.path);
        let place = if is_docs_path(&f.path) {
            Some("in documentation")
        } else if is_test_path(&f.path) {
            Some("in test code or fixtures")
        } else {
            None
        };
        // Repetition lowers a value unless its line names whose key it is
        // outside documentation and tests: `stripe.api_key = '...'` in three
        // config files is still a Stripe key, while the same line in a
        // library's examples and tests is its published sample.
        if let Some(n) = repeated.filter(|_| context.is_none() || place.is_some()) {
            return (
                Confidence::Low,
                vec![format!("the same value is in {n} files (a copied sample)")],
            );
        }
        match (place, context) {
            (Some(place), None) => (
                Confidence::Low,
                vec![format!(
                    "a generic match {place}, with no provider or host on its line"
                )],
            ),
            (_, Some(ctx)) => (
                Confidence::Medium,
                vec![format!("a random-looking literal; the line names {ctx}")],
            ),
            (None, None) => (
                Confidence::Medium,
                vec!["a random-looking literal under a generic rule".to_string()],
            ),
        }
    }

    /// A provider name or a real host on the line or in the file name.
    fn provider_context(&self, line: &str, path: &str) -> Option<String> {
        // A provider's name as a word of its own (`expo` is not in `export`;
        // `_`, `-`, `.` and case changes separate words in names).
        let word = |text: &str, s: usize, e: usize| {
            let b = text.as_bytes();
            let before = s == 0
                || !b[s - 1].is_ascii_alphanumeric()
                || (b[s - 1].is_ascii_lowercase() && b[s].is_ascii_uppercase());
            let after = e >= b.len()
                || !b[e].is_ascii_alphanumeric()
                || (b[e - 1].is_ascii_lowercase() && b[e].is_ascii_uppercase());
            before && after
        };
        for text in [line, path] {
            for m in self.providers.find_overlapping_iter(text) {
                if word(text, m.start(), m.end()) {
                    return Some(format!("the provider `{}`", &text[m.start()..m.end()]));
                }
            }
        }
        host_in(line).map(|h| format!("the host {h}"))
    }
}

/// Documentation paths (see `model::is_docs_like`).
pub fn is_docs_path(path: &str) -> bool {
    crate::model::is_docs_like(path)
}

/// An `https://host` on the line that is not a documentation or local host.
fn host_in(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    for (i, _) in lower.match_indices("://") {
        if !lower[..i].ends_with("https") {
            continue;
        }
        let host: String = lower[i + 3..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        let reserved = host.ends_with("example.com")
            || host.ends_with("example.org")
            || host.ends_with("example.net")
            || host.ends_with(".example")
            || host.ends_with(".invalid")
            || host.ends_with(".test")
            || host == "localhost"
            || host.starts_with("127.");
        if host.contains('.') && !reserved {
            return Some(host);
        }
    }
    None
}

/// Why a connection URL's password is a local or default one, if it is.
fn local_connection(before: &str, password: &str, after: &str) -> Option<String> {
    let user = before
        .rsplit("://")
        .next()
        .and_then(|s| s.strip_suffix(':'))
        .unwrap_or("");
    let host: String = after
        .strip_prefix('@')
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'))
        .collect();
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    if matches!(
        host.as_str(),
        "localhost" | "127.0.0.1" | "0.0.0.0" | "[" | "host.docker.internal"
    ) || host.starts_with("127.")
    {
        return Some(format!("a connection to the local host {host}"));
    }
    if !host.is_empty() && !host.contains('.') {
        return Some(format!(
            "a connection to the service `{host}` (a compose or local network name)"
        ));
    }
    if !user.is_empty() && user.eq_ignore_ascii_case(password) {
        return Some("the password is the user name".to_string());
    }
    let lower = password.to_ascii_lowercase();
    if DEFAULT_PASSWORDS.contains(&lower.as_str()) {
        return Some("a well-known default password".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_paths() {
        for p in [
            "README.md",
            "docs/index.html",
            "docs_src/security/tutorial004.py",
            "a/examples/run.sh",
            "guide.rst",
        ] {
            assert!(is_docs_path(p), "{p}");
        }
        for p in ["src/app.py", ".env", "config/prod.yaml", "docs"] {
            assert!(!is_docs_path(p), "{p}");
        }
    }

    #[test]
    fn provider_names_are_whole_words() {
        let rules = crate::rules::parse(
            "t.toml",
            "[[rules]]\nid = \"expo-token\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"expo_\"]\nregex = '(?P<secret>expo_[a-z]{8})'\n",
        )
        .unwrap();
        let a = Assessor::new(&rules);
        assert!(a.provider_context("export API_TOKEN=x", "run.sh").is_none());
        assert!(a.provider_context("EXPORT API_TOKEN=x", "run.sh").is_none());
        assert!(a.provider_context("EXPO_TOKEN=x", "run.sh").is_some());
        assert!(a
            .provider_context("const expoToken = 'x'", "a.js")
            .is_some());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_in("curl https://api.vendor.io/v1 -H x").as_deref(),
            Some("api.vendor.io")
        );
        assert_eq!(host_in("curl https://api.example.com/v1"), None);
        assert_eq!(host_in("http://api.vendor.io"), None);
        assert_eq!(host_in("no url"), None);
    }

    #[test]
    fn local_connections() {
        assert!(local_connection("postgres://app:", "s3cr3tV4lue", "@localhost:5432/db").is_some());
        assert!(local_connection("postgres://app:", "s3cr3tV4lue", "@db:5432/app").is_some());
        assert!(local_connection("mysql://user:", "user", "@db.internal.net/app").is_some());
        assert!(local_connection("mysql://bob:", "testpassword", "@db.prod.net/app").is_some());
        assert!(local_connection("mysql://bob:", "mypass", "@db.prod.net/app").is_some());
        assert!(local_connection(
            "postgres://app:",
            "Zq7vR2mK9xLp3TnW",
            "@db.prod.example.net/x"
        )
        .is_none());
    }
}
