//! Rules: the data that says what a secret looks like.
//!
//! One TOML file per provider lives in `rules/` and is embedded at build time
//! (see `build.rs`); users add their own with `--rules PATH`. This module owns
//! the schema ([`Rule`]), loading and structural validation ([`load_embedded`],
//! [`load_path`]) and the example generators. Running each rule's examples
//! through the matcher is `rulecheck`, a stage above the matcher. Nothing
//! here knows about any provider: adding one is a data change.

mod template;

pub use template::expand as expand_template;

use crate::model::Severity;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Content checks a rule can ask for beyond its regex, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The secret holds a JWT (from its first `eyJ`) whose header and payload
    /// decode (base64url) to JSON objects. The signature is never verified.
    Jwt,
    /// The secret is base64 of `user:password` (HTTP basic authentication)
    /// with a non-empty password.
    BasicAuth,
    /// The secret is a password written out: not a well-known default
    /// (`changeme`, `admin123`) and not the user name given on the same
    /// line (`user=app password=app`, `login bob password bob`).
    Password,
}

/// One HTTP call to a provider, with `{secret}` templated into the URL,
/// headers or body, and how to read the answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    /// Provider name (`stripe`, `infinipost`): shown in reports, used by
    /// `--verify-provider RULE=PROVIDER`.
    pub provider: String,
    /// Words whose presence in the same file attributes the key to this
    /// provider (host names, package names, variable names); matched
    /// case-insensitively. Needed when a rule has several providers.
    #[serde(default)]
    pub context: Vec<String>,
    /// HTTP method.
    #[serde(default = "default_method")]
    pub method: String,
    /// HTTPS URL of a harmless read-only endpoint (or the revoke endpoint);
    /// empty when the rule has no endpoint of its own and checks only where
    /// the user names one (`--verify-endpoint`).
    #[serde(default)]
    pub url: String,
    /// Request headers; values may contain `{secret}`.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Request body; may contain `{secret}`.
    #[serde(default)]
    pub body: Option<String>,
    /// Dotted path of the error code in a JSON answer (`error.code`).
    #[serde(default)]
    pub code_path: Option<String>,
    /// How answers map to statuses, first match wins. Unmatched: 2xx is
    /// `live`, 429 `rate_limited`, anything else `unknown`.
    #[serde(default)]
    pub answers: Vec<Answer>,
}

fn default_method() -> String {
    "GET".into()
}

/// One answer mapping of a [`HttpCheck`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// HTTP status to match (any when absent).
    #[serde(default)]
    pub status: Option<u16>,
    /// Error code (at `code_path`) to match; `""` matches an answer without
    /// one; any when absent.
    #[serde(default)]
    pub code: Option<String>,
    /// The verification status it means.
    pub result: crate::model::Status,
    /// Extra words for the report (e.g. "this provider answers 401 for
    /// revoked keys too").
    #[serde(default)]
    pub detail: Option<String>,
}

/// Whether a key reaches production data or a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyMode {
    /// A production key (`sk_live_`, `rk_live_`, `sk-live-`).
    Live,
    /// A test or sandbox key (`sk_test_`).
    Test,
}

/// One detection rule, as written in a rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier: lowercase letters, digits and `-`. Reports, baselines
    /// and `--rule` / `--disable-rule` use it.
    pub id: String,
    /// Human name of what it finds, e.g. "Stripe secret key".
    pub name: String,
    /// One or two sentences: what the secret grants and what to do.
    pub description: String,
    /// How bad a leak is.
    pub severity: Severity,
    /// A hygiene lint implemented in code: no keywords, regex or examples.
    #[serde(default)]
    pub lint: bool,
    /// Literals (matched case-insensitively) of which at least one occurs in
    /// every match; the prefilter runs the regex only near them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The regex; its named group `secret` is the secret itself.
    #[serde(default)]
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Extra regexes: a secret matching any of them is a placeholder.
    #[serde(default)]
    pub placeholders: Vec<String>,
    /// Named content checks the secret must pass.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// The match may span lines (PEM blocks, JSON with embedded keys).
    #[serde(default)]
    pub multiline: bool,
    /// A catch-all rule (e.g. `api_key = "..."`): dropped where a specific rule
    /// found the same secret.
    #[serde(default)]
    pub generic: bool,
    /// Live (production) or test key: drives `live-key-in-test` and
    /// `test-key-in-production`.
    #[serde(default)]
    pub mode: Option<KeyMode>,
    /// Meant to be shipped to browsers (e.g. restricted Google API keys):
    /// exempt from `client-exposed-secret`.
    #[serde(default)]
    pub browser_safe: bool,
    /// How to ask providers whether a found key is live (opt-in `--verify`).
    /// Several entries mean the key shape is shared by several providers:
    /// the file's context must name one of them.
    #[serde(default)]
    pub verify: Vec<HttpCheck>,
    /// How to revoke a key at the provider (`keysweep revoke`).
    #[serde(default)]
    pub revoke: Option<HttpCheck>,
    /// Documentation URLs.
    #[serde(default)]
    pub references: Vec<String>,
    /// Strings that must each produce exactly one finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Strings that must produce no finding of this rule.
    #[serde(default)]
    pub counterexamples: Vec<String>,
    /// The file this rule was loaded from (set by the loader).
    #[serde(skip)]
    pub source: String,
    /// Loaded from a scanned repository's config: its matches add findings
    /// beside the built-in and the user's rules' and never displace them.
    #[serde(skip)]
    pub untrusted: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<Rule>,
}

/// A rules file that cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The TOML does not parse or does not fit the schema.
    #[error("{file}:{message}")]
    Parse {
        /// The rules file.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule is structurally wrong (bad id, regex, keyword...).
    #[error("{file}: rule `{rule}`: {message}")]
    Invalid {
        /// The rules file.
        file: String,
        /// The rule id.
        rule: String,
        /// What is wrong.
        message: String,
    },
}

/// Parse one rules file's text and validate it fully. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    parse_with(file, text, true)
}

fn parse_with(file: &str, text: &str, compile: bool) -> Result<Vec<Rule>, RuleError> {
    let parsed: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        message: toml_error(text, &e),
    })?;
    let mut rules = parsed.rules;
    for r in &mut rules {
        r.source = file.to_string();
        validate(r, compile)?;
    }
    Ok(rules)
}

/// The rules shipped in the binary.
pub fn load_embedded() -> Result<Vec<Rule>, RuleError> {
    let mut all = Vec::new();
    for (name, text) in EMBEDDED_RULES {
        all.extend(parse_with(name, text, false)?);
    }
    ensure_unique(&all)?;
    Ok(all)
}

/// Load a rules file, or every `*.toml` file in a directory (sorted by name).
pub fn load_path(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let io = |source| RuleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let files = if meta.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut all = Vec::new();
    for f in files {
        regular_file(&f).map_err(|message| RuleError::Parse {
            file: f.display().to_string(),
            message,
        })?;
        let text = std::fs::read_to_string(&f).map_err(|source| RuleError::Io {
            path: f.clone(),
            source,
        })?;
        all.extend(parse(&f.display().to_string(), &text)?);
    }
    Ok(all)
}

/// Fail when two rules share an id, naming both files.
pub fn ensure_unique(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for r in rules {
        if let Some(first) = seen.insert(&r.id, &r.source) {
            return Err(RuleError::Invalid {
                file: r.source.clone(),
                rule: r.id.clone(),
                message: format!("duplicate rule id (also defined in {first})"),
            });
        }
    }
    Ok(())
}

/// HTTPS only (loopback overrides are given on the command line, not in
/// rules); a known method; the secret goes somewhere.
fn validate_http(c: &HttpCheck) -> Result<(), String> {
    if !c.url.is_empty() {
        let Some(rest) = c.url.strip_prefix("https://") else {
            return Err(format!("url must be https: {}", c.url));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        if host.is_empty() || host.contains('{') || host.contains('@') {
            return Err(format!("url must name a fixed host: {}", c.url));
        }
    }
    if !matches!(
        c.method.as_str(),
        "GET" | "POST" | "DELETE" | "HEAD" | "PUT" | "PATCH"
    ) {
        return Err(format!("unknown method {}", c.method));
    }
    if c.url.contains("{secret}") {
        // A URL's host and path reach DNS resolvers, proxies and logs.
        return Err(format!(
            "`{{secret}}` may go in headers or a body, never in the url: {}",
            c.url.replace("{secret}", "{...}")
        ));
    }
    let uses_secret = c.headers.values().any(|v| v.contains("{secret}"))
        || c.body.as_deref().is_some_and(|b| b.contains("{secret}"));
    if !uses_secret {
        return Err("no `{secret}` in headers or body".into());
    }
    Ok(())
}

/// Reserved documentation and test domains (RFC 2606, RFC 6761): anyone can
/// answer for them, so no built-in rule sends a key there.
pub fn is_reserved_domain(host: &str) -> bool {
    let h = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|t| h.ends_with(t))
        || h == "localhost"
}

/// Lazy DFA cache per regex and thread: the regex crate's default, 2 MiB.
/// Measured: 256 KiB saves 16 MiB of a git/git history scan's 138 MiB but
/// costs 3.5% on the 200 MB tree benchmark, so speed wins.
const DFA_CACHE: usize = 2 << 20;

/// Compile a rule's regex exactly as the matcher does (one size limit for
/// validation and scanning); returns it with the index of its `secret` group.
///
/// Unicode is off: keys are ASCII, and `\w`, `\s`, `.` and `(?i)` over bytes
/// compile to half the automaton states of their Unicode forms (all rules:
/// 436,023 NFA states instead of 922,230), which is memory every worker
/// thread's search caches pay for again. A rule that needs Unicode writes
/// `(?u:...)`.
pub fn compile_regex(pattern: &str) -> Result<(regex::bytes::Regex, usize), String> {
    let re = regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(32 * 1024 * 1024)
        .dfa_size_limit(DFA_CACHE)
        .build()
        .map_err(|e| one_line(&e.to_string()))?;
    let group = re
        .capture_names()
        .position(|n| n == Some("secret"))
        .ok_or_else(|| "regex has no named group `secret`".to_string())?;
    Ok((re, group))
}

/// Compile a rule's extra placeholder patterns (`None` when there are none).
pub fn compile_placeholders(patterns: &[String]) -> Result<Option<regex::bytes::RegexSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    regex::bytes::RegexSet::new(patterns)
        .map(Some)
        .map_err(|e| one_line(&e.to_string()))
}

/// Structural checks. `compile` also compiles the regexes: done for user
/// files up front; the embedded rules are compiled by the test suite, and at
/// scan time only when one of their keywords occurs (start-up stays fast).
fn validate(r: &Rule, compile: bool) -> Result<(), RuleError> {
    let bad = |message: String| RuleError::Invalid {
        file: r.source.clone(),
        rule: r.id.clone(),
        message,
    };
    if r.id.is_empty()
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(bad(
            "id must be non-empty lowercase letters, digits and `-`".into(),
        ));
    }
    if r.name.trim().is_empty() || r.description.trim().is_empty() {
        return Err(bad("name and description must not be empty".into()));
    }
    if r.lint {
        if !r.keywords.is_empty()
            || !r.regex.is_empty()
            || !r.examples.is_empty()
            || !r.counterexamples.is_empty()
        {
            return Err(bad("a lint has no keywords, regex or examples".into()));
        }
        return Ok(());
    }
    if r.keywords.is_empty() || r.keywords.iter().any(|k| k.len() < 3) {
        return Err(bad(
            "needs at least one keyword, each at least 3 characters".into(),
        ));
    }
    for check in r.verify.iter().chain(&r.revoke) {
        validate_http(check).map_err(|m| bad(format!("{} check: {m}", check.provider)))?;
    }
    if r.verify.len() > 1 && r.verify.iter().any(|v| v.context.is_empty()) {
        return Err(bad(
            "a rule with several [[verify]] providers needs `context` words for each".into(),
        ));
    }
    if compile {
        compile_regex(&r.regex).map_err(|m| bad(format!("regex: {m}")))?;
        compile_placeholders(&r.placeholders)
            .map_err(|m| bad(format!("placeholder regex: {m}")))?;
    }
    if let Some(e) = r.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(bad("min_entropy must be between 0 and 8".into()));
        }
    }
    for ex in r.examples.iter().chain(&r.counterexamples) {
        template::expand(ex, "").map_err(|m| bad(format!("example `{ex}`: {m}")))?;
    }
    Ok(())
}

/// A TOML error as `line:column: message`, without the line's text (the
/// file may hold a secret, and the parser would echo it).
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    // The parser's own lines, each cleaned of quoted file content; lines
    // after the first are indented under it.
    let message = e
        .message()
        .lines()
        .map(|l| crate::model::without_quoted_values(l.trim_end()))
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n  ");
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let col = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
            format!("{line}:{col}: {message}")
        }
        None => format!(" {message}"),
    }
}

/// Rules, config, baseline and ignore files must be regular files: never a
/// FIFO (it would hang), a device, or a file under /proc, /sys or /dev
/// (`/proc/self/environ` holds the process's environment).
pub fn regular_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    let real = path.canonicalize().map_err(|e| e.to_string())?;
    if ["/proc", "/sys", "/dev"]
        .iter()
        .any(|p| real.starts_with(p))
    {
        return Err(format!(
            "{} is a system file, not a settings file",
            real.display()
        ));
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    /// Rule regexes match bytes: ASCII classes, `.` any byte; `(?u)` opts in.
    #[test]
    fn rule_regexes_are_ascii_unless_they_ask() {
        let (re, _) = super::compile_regex(r"(?P<secret>k\w{3})").unwrap();
        assert!(re.is_match(b"kab_"));
        assert!(!re.is_match("k\u{e9}t\u{e9}".as_bytes()));
        let (re, _) = super::compile_regex(r"(?P<secret>k(?u:\w){3})").unwrap();
        assert!(re.is_match("k\u{e9}t\u{e9}".as_bytes()));
        let (re, _) = super::compile_regex(r"(?P<secret>a.b)").unwrap();
        assert!(re.is_match(b"a\xffb"));
    }
}
