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
//! - A written-out password (rules whose id starts with `password-`) is
//!   medium; low in tests and documentation, when its line names a local
//!   host (`Server=localhost`, `host: db`), when it names itself a sample,
//!   or when the same password is in three or more files. Defaults and
//!   user-name passwords never get here: their rules' `password` check drops
//!   them.
//!
//! Cost: one pass over the findings, a few string checks each.

use crate::lint::paths::is_test_path;
use crate::matcher::{is_default_password, looks_like_sample};
use crate::model::{Confidence, Finding};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use std::collections::{HashMap, HashSet};

/// Rules whose findings are judged by their host and user (id prefix).
const CONNECTION_STRING: &str = "connection-string";

/// Rules for written-out passwords (id prefix): judged by place and host.
const PASSWORD: &str = "password-";

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
            if self.generic.contains(&f.rule_id) || f.rule_id.starts_with(PASSWORD) {
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
        let password = f.rule_id.starts_with(PASSWORD);
        let generic = self.generic.contains(&f.rule_id) || password;
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
            // Key=value forms (`Server=localhost;...;Password=...`, JDBC
            // `jdbc:...://db:5432/...?password=`) name the host elsewhere
            // on the line.
            let line = format!("{}{}", f.context_before, f.context_after);
            if let Some(host) = local_host_on(&line) {
                return (
                    Confidence::Low,
                    vec![format!("a connection to the local host or service {host}")],
                );
            }
            reasons.push("a password in a connection URL to a remote host".to_string());
            return (Confidence::Medium, reasons);
        }
        if password {
            return password_confidence(f, repeated);
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

/// How sure a written-out password is: low in docs and tests, for a local
/// host, or copied into several files; medium otherwise.
fn password_confidence(f: &Finding, repeated: Option<usize>) -> (Confidence, Vec<String>) {
    let line = format!("{}{}", f.context_before, f.context_after);
    let low = |why: String| (Confidence::Low, vec![why]);
    if let Some(host) = local_host_on(&line) {
        return low(format!("a password for the local host {host}"));
    }
    if let Some(n) = repeated {
        return low(format!(
            "the same password is in {n} files (a copied sample)"
        ));
    }
    if is_docs_path(&f.path) {
        return low("a password in documentation".to_string());
    }
    if is_test_path(&f.path) {
        return low("a password in test code or fixtures".to_string());
    }
    let why = match host_on(&line) {
        Some(host) => format!("a literal password; the line names the host {host}"),
        None => "a literal password in code or configuration".to_string(),
    };
    (Confidence::Medium, vec![why])
}

/// Keys that name a host on a password's line (connection strings, netrc,
/// YAML, PowerShell), lowercased.
const HOST_KEYS: &[&str] = &[
    "server=",
    "host=",
    "hostname=",
    "data source=",
    "address=",
    "host:",
    "server:",
    "hostname:",
    "machine ",
    "-server ",
    "://",
];

/// Every host named on `line` after one of [`HOST_KEYS`].
fn hosts_on(line: &str) -> Vec<String> {
    let lower = line.to_ascii_lowercase();
    let mut out = Vec::new();
    for key in HOST_KEYS {
        for (i, _) in lower.match_indices(key) {
            let rest = lower[i + key.len()..].trim_start_matches([' ', '"', '\'']);
            // A URL's host follows its user-info.
            let token = rest.split([' ', '"', '\'', '/']).next().unwrap_or("");
            let rest = match token.rsplit_once('@') {
                Some((_, host)) if *key == "://" => host,
                _ => rest,
            };
            let host: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '(' | ')')
                })
                .collect();
            if !host.is_empty() {
                out.push(host);
            }
        }
    }
    out
}

/// A local host or a compose-style service name on the line.
fn local_host_on(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    for local in [
        "localhost",
        "127.0.0.1",
        "0.0.0.0",
        "host.docker.internal",
        "(localdb)",
    ] {
        if lower.contains(local) {
            return Some(local.to_string());
        }
    }
    hosts_on(line).into_iter().find(|h| {
        !h.contains('.') && h.starts_with(|c: char| c.is_ascii_alphabetic()) && !h.contains('(')
    })
}

/// A remote host named on the line (one with a dot).
fn host_on(line: &str) -> Option<String> {
    hosts_on(line).into_iter().find(|h| h.contains('.'))
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
    if is_default_password(password.as_bytes()) {
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
    fn password_hosts() {
        let local = |l: &str| local_host_on(l);
        assert_eq!(
            local("Server=localhost;Uid=sa;Pwd=").as_deref(),
            Some("localhost")
        );
        assert_eq!(local("Server=db;Uid=app;Pwd=").as_deref(), Some("db"));
        assert_eq!(local("  host: postgres\n").as_deref(), Some("postgres"));
        assert_eq!(
            local("machine 127.0.0.1 login a password ").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(local("Server=sql01.corp.net;Uid=app;Pwd="), None);
        assert_eq!(local("DB_PASSWORD="), None);
        assert_eq!(
            host_on("Data Source=sql01.corp.net;User Id=a;Password=").as_deref(),
            Some("sql01.corp.net")
        );
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
