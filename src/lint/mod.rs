//! Key-hygiene lints: findings about how keys are kept, not about one key.
//!
//! The provider docs all give the same advice (keep `.env` out of git, one
//! key per environment, no keys in browser code or notebook output, rotate
//! on a schedule); each piece of advice is a lint with a fixed rule id. Lints
//! are code, but their metadata (name, severity, description) lives with
//! every other rule in `rules/lints.toml` (`lint = true`), so they are listed,
//! selected and disabled like any rule and appear in every report.
//!
//! [`Lints`] watches the pipeline (every blob and its findings, from any
//! worker thread) and, once the scan is done, adds its findings:
//! finding-based lints for every source, and the git-ignore lints
//! (`env-file-not-ignored`, `missing-env-ignore`) for working-tree scans.

mod gitignore;
mod notebook;

pub use notebook::notebook_outputs;
pub mod paths;

pub use crate::model::is_env_file;
use crate::model::{
    base_name, decode_jwt_claims, is_dotenv_name, is_template, iso_date, EnvCommitted, Finding,
    Severity,
};
use crate::rules::{KeyMode, Rule};
use crate::sources::Blob;
use paths::Environment;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

/// Rule id: a range changes keysweep's own settings (config, baseline,
/// ignore file).
pub const SETTINGS_CHANGED: &str = "settings-changed-in-range";
/// Rule id: a `.env` file was committed at some point in history.
pub const ENV_FILE_IN_HISTORY: &str = "env-file-in-history";
/// Rule id: a `.env` file in a work tree that git does not ignore, or tracks.
pub const ENV_FILE_NOT_IGNORED: &str = "env-file-not-ignored";
/// Rule id: a secret assigned to a browser-shipped variable or in a bundle.
pub const CLIENT_EXPOSED_SECRET: &str = "client-exposed-secret";
/// Rule id: one secret in the config of several environments.
pub const KEY_REUSED: &str = "key-reused-across-environments";
/// Rule id: a live key in test code.
pub const LIVE_KEY_IN_TEST: &str = "live-key-in-test";
/// Rule id: a test key in production config.
pub const TEST_KEY_IN_PRODUCTION: &str = "test-key-in-production";
/// Rule id: a key older than the rotation window.
pub const STALE_KEY: &str = "stale-key";
/// Rule id: a secret in a notebook's output cells.
pub const SECRET_IN_NOTEBOOK_OUTPUT: &str = "secret-in-notebook-output";
/// Rule id: dotenv is used but `.env` is not ignored.
pub const MISSING_ENV_IGNORE: &str = "missing-env-ignore";

/// Where one secret was seen, per environment: (path, line).
type PlacesByEnv<'a> = BTreeMap<Environment, BTreeSet<(&'a str, usize)>>;

/// A dotenv-style file the scan read.
#[derive(Debug, Clone)]
struct EnvSeen {
    path: String,
    has_secret: bool,
}

/// The lints in effect and what they collect while a scan runs.
#[derive(Debug)]
pub struct Lints {
    severities: HashMap<String, Severity>,
    modes: HashMap<String, KeyMode>,
    browser_safe: HashSet<String>,
    generic: HashSet<String>,
    lint_ids: HashSet<String>,
    max_key_age_days: u64,
    now: i64,
    /// A tree scan's paths as given, and the directory its report names
    /// paths from.
    tree_roots: Option<(Vec<PathBuf>, PathBuf)>,
    env_seen: Mutex<Vec<EnvSeen>>,
    /// A source file (not a test or a doc) that loads `.env` files.
    loads_dotenv: Mutex<Option<String>>,
    notebook: Mutex<Vec<Finding>>,
}

impl Lints {
    /// The lints among `rules` (the rules in effect), with the rotation
    /// window for `stale-key`. `now` is seconds since the epoch.
    pub fn new(rules: &[Rule], max_key_age_days: u64, now: i64) -> Self {
        Lints {
            severities: rules
                .iter()
                .filter(|r| r.lint)
                .map(|r| (r.id.clone(), r.severity))
                .collect(),
            modes: rules
                .iter()
                .filter_map(|r| r.mode.map(|m| (r.id.clone(), m)))
                .collect(),
            browser_safe: rules
                .iter()
                .filter(|r| r.browser_safe)
                .map(|r| r.id.clone())
                .collect(),
            generic: rules
                .iter()
                .filter(|r| r.generic)
                .map(|r| r.id.clone())
                .collect(),
            lint_ids: rules
                .iter()
                .filter(|r| r.lint)
                .map(|r| r.id.clone())
                .collect(),
            max_key_age_days,
            now,
            tree_roots: None,
            env_seen: Mutex::new(Vec::new()),
            loads_dotenv: Mutex::new(None),
            notebook: Mutex::new(Vec::new()),
        }
    }

    /// Enable the git-ignore lints for a working-tree scan of `roots` (as
    /// given), whose paths are reported relative to `base`.
    pub fn with_tree_roots(mut self, roots: Vec<PathBuf>, base: PathBuf) -> Self {
        self.tree_roots = Some((roots, base));
        self
    }

    fn on(&self, id: &str) -> Option<Severity> {
        self.severities.get(id).copied()
    }

    /// See one scanned blob and its findings (any worker thread).
    pub fn observe(&self, blob: &Blob<'_>, findings: &[Finding]) {
        if self.tree_roots.is_some() && self.on(MISSING_ENV_IGNORE).is_some() {
            self.watch_dotenv_loads(blob);
        }
        for place in blob.places {
            let name = base_name(&place.path);
            if self.tree_roots.is_some() && is_dotenv_name(name) {
                let has_secret = findings.iter().any(|f| f.path == place.path);
                lock(&self.env_seen).push(EnvSeen {
                    path: place.path.clone(),
                    has_secret,
                });
            }
            if let Some(sev) = self.on(SECRET_IN_NOTEBOOK_OUTPUT) {
                if name.to_ascii_lowercase().ends_with(".ipynb")
                    && findings.iter().any(|f| f.path == place.path)
                {
                    let here: Vec<&Finding> =
                        findings.iter().filter(|f| f.path == place.path).collect();
                    let mut out = notebook::output_findings(blob.data, &here, sev);
                    lock(&self.notebook).append(&mut out);
                }
            }
        }
    }

    /// Note the first project source file that loads `.env` files (a
    /// `load_dotenv()`, `require('dotenv').config()`, `godotenv.Load()`
    /// call); a library that only depends on dotenv does not count.
    fn watch_dotenv_loads(&self, blob: &Blob<'_>) {
        let Some(place) = blob.places.first() else {
            return;
        };
        if lock(&self.loads_dotenv).is_some()
            || paths::is_test_path(&place.path)
            || crate::model::is_docs_like(&place.path)
        {
            return;
        }
        const CALLS: &[&[u8]] = &[
            b"load_dotenv(",
            b"dotenv.config(",
            b"dotenv').config(",
            b"dotenv\").config(",
            b"dotenv/config",
            b"godotenv.Load(",
            b"Dotenv.load",
            b"DotNetEnv.Env.Load(",
            b"Dotenv::createImmutable(",
            b"dotenvy::dotenv(",
            b"dotenv::dotenv(",
        ];
        if CALLS
            .iter()
            .any(|c| memchr::memmem::find(blob.data, c).is_some())
        {
            let mut first = lock(&self.loads_dotenv);
            if first.is_none() {
                *first = Some(place.path.clone());
            }
        }
    }

    /// Add the lint findings to `findings` (the scan's, before sorting);
    /// `committed` are the `.env` files a history scan found committed.
    pub fn finish(
        &self,
        findings: &mut Vec<Finding>,
        committed: &[EnvCommitted],
        settings_changed: &[EnvCommitted],
    ) {
        let mut out = Vec::new();
        if let Some(severity) = self.on(SETTINGS_CHANGED) {
            out.extend(
                settings_changed
                    .iter()
                    .map(|c| settings_change(c, severity)),
            );
        }
        if let Some(severity) = self.on(ENV_FILE_IN_HISTORY) {
            out.extend(committed.iter().map(|c| env_file_in_history(c, severity)));
        }
        // Lints about one secret tag that secret's finding (one finding per
        // secret and place, never a second one beside it).
        for f in findings.iter_mut() {
            if self.lint_ids.contains(&f.rule_id) {
                continue;
            }
            let mut tags = Vec::new();
            self.per_finding(f, &mut tags);
            for (rule, severity, message) in tags {
                tag(f, rule, severity, message);
            }
        }
        let secrets: Vec<&Finding> = findings
            .iter()
            .filter(|f| !self.lint_ids.contains(&f.rule_id))
            .collect();
        self.reuse(&secrets, &mut out);
        out.append(&mut lock(&self.notebook));
        if let Some((roots, base)) = &self.tree_roots {
            let seen = lock(&self.env_seen).clone();
            let loader = lock(&self.loads_dotenv).clone();
            gitignore::check(
                roots,
                base,
                &seen,
                loader.as_deref(),
                self.on(ENV_FILE_NOT_IGNORED),
                self.on(MISSING_ENV_IGNORE),
                &mut out,
            );
        }
        // A .env file history committed that held no secret keysweep
        // recognises: still worth knowing, but not a key to rotate.
        for f in out.iter_mut().filter(|f| f.rule_id == ENV_FILE_IN_HISTORY) {
            let held = findings
                .iter()
                .any(|s| s.path == f.path && !s.secret.is_empty());
            if !held {
                f.confidence = crate::model::Confidence::Low;
                f.confidence_reasons = vec!["no secret was found in it".to_string()];
                if let Some(m) = &mut f.message {
                    *m = m
                        .replace(" and rotate every key it holds", "")
                        .replace(": rotate every key it held", "");
                }
            }
        }
        findings.append(&mut out);
    }

    fn per_finding(&self, f: &Finding, out: &mut Vec<(&'static str, Severity, String)>) {
        let generic = self.generic.contains(&f.rule_id);
        if let Some(sev) = self.on(CLIENT_EXPOSED_SECRET) {
            if !self.browser_safe.contains(&f.rule_id) {
                let variable = paths::client_variable(&f.context_before);
                let why = match (&variable, paths::is_client_bundle(&f.path) && !generic) {
                    (Some(v), _) => Some(format!(
                        "is assigned to {v}, which the bundler inlines into browser code"
                    )),
                    (None, true) => Some("is in JavaScript shipped to browsers".to_string()),
                    _ => None,
                };
                if let Some(why) = why {
                    out.push((CLIENT_EXPOSED_SECRET, sev, format!(
                        "the key {why}: every visitor can read it. Call the API from server code and rotate the key"
                    )));
                }
            }
        }
        match self.modes.get(&f.rule_id) {
            Some(KeyMode::Live) if paths::is_test_path(&f.path) => {
                if let Some(sev) = self.on(LIVE_KEY_IN_TEST) {
                    out.push((LIVE_KEY_IN_TEST, sev,
                        "a live key in test code: use a test-mode key or a mock, and rotate this one".to_string(),
                    ));
                }
            }
            Some(KeyMode::Test)
                if paths::environment_of(&f.path) == Some(Environment::Production) =>
            {
                if let Some(sev) = self.on(TEST_KEY_IN_PRODUCTION) {
                    out.push((TEST_KEY_IN_PRODUCTION, sev,
                        "a test-mode key in production config: production would run against the sandbox".to_string(),
                    ));
                }
            }
            _ => {}
        }
        if let Some(sev) = self.on(STALE_KEY) {
            if let Some(claims) = decode_jwt_claims(f.secret.as_bytes()) {
                if let Some(iat) = claims.get("iat").and_then(serde_json::Value::as_i64) {
                    let age_days = self.now.saturating_sub(iat).div_euclid(86_400);
                    if u64::try_from(age_days).is_ok_and(|d| d > self.max_key_age_days) {
                        let mut about =
                            vec![format!("issued {} ({age_days} days ago)", iso_date(iat))];
                        for claim in ["sub", "jti"] {
                            if let Some(v) = claims.get(claim) {
                                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                                about.push(format!("{claim} {v}"));
                            }
                        }
                        out.push((
                            STALE_KEY,
                            sev,
                            format!(
                                "key older than the {}-day rotation window: {}. Rotate it",
                                self.max_key_age_days,
                                about.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }

    fn reuse(&self, secrets: &[&Finding], out: &mut Vec<Finding>) {
        let Some(sev) = self.on(KEY_REUSED) else {
            return;
        };
        // secret -> environment -> places
        let mut by_secret: BTreeMap<&str, PlacesByEnv<'_>> = BTreeMap::new();
        let mut first: HashMap<&str, &Finding> = HashMap::new();
        for f in secrets {
            if f.secret.is_empty() {
                continue;
            }
            if let Some(env) = paths::environment_of(&f.path) {
                by_secret
                    .entry(&f.secret)
                    .or_default()
                    .entry(env)
                    .or_default()
                    .insert((&f.path, f.line));
                let keep = first.entry(&f.secret).or_insert(f);
                if f.sort_key() < keep.sort_key() {
                    *keep = f;
                }
            }
        }
        for (secret, envs) in by_secret {
            if envs.len() < 2 {
                continue;
            }
            let places: Vec<String> = envs
                .iter()
                .flat_map(|(env, ps)| {
                    ps.iter()
                        .map(move |(p, l)| format!("{p}:{l} ({})", env.as_str()))
                })
                .collect();
            let names: Vec<&str> = envs.keys().map(|e| e.as_str()).collect();
            let at = first[secret];
            out.push(lint_at(
                at,
                KEY_REUSED,
                sev,
                format!(
                "the same key is used in {} environments ({}): {}. Create one key per environment",
                envs.len(),
                names.join(", "),
                places.join(", ")
            ),
            ));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Tag a secret's finding with a lint about it: the lint's id, at least
/// its severity, and its advice added to the message.
fn tag(f: &mut Finding, rule: &str, severity: Severity, message: String) {
    if !f.tags.iter().any(|t| t == rule) {
        f.tags.push(rule.to_string());
    }
    f.severity = f.severity.max(severity);
    f.message = Some(match f.message.take() {
        Some(m) => format!("{m}; {message}"),
        None => message,
    });
}

/// A lint finding at the place of a secret finding.
fn lint_at(f: &Finding, rule: &str, severity: Severity, message: String) -> Finding {
    Finding {
        rule_id: rule.to_string(),
        severity,
        fingerprint: String::new(), // made by the pipeline
        message: Some(message),
        ..f.clone()
    }
}

/// `settings-changed-in-range`: a commit in the range edits a settings file.
fn settings_change(c: &EnvCommitted, severity: Severity) -> Finding {
    let mut f = env_file_in_history(c, severity);
    let short = &c.commit.commit[..c.commit.commit.len().min(12)];
    f.rule_id = SETTINGS_CHANGED.to_string();
    f.confidence = crate::model::Confidence::Medium;
    f.confidence_reasons = vec!["keysweep's own settings changed in the range".to_string()];
    f.message = Some(format!(
        "commit {short} ({}) changes {}, one of keysweep's settings files: review it. The range was scanned with the base commit's settings, so the change cannot allowlist itself",
        c.commit.summary, c.path
    ));
    f
}

/// `env-file-in-history`: a `.env` file some commit added.
fn env_file_in_history(c: &EnvCommitted, severity: Severity) -> Finding {
    let info = &c.commit;
    let short = &info.commit[..info.commit.len().min(12)];
    let status = if c.tracked {
        "still tracked at HEAD: untrack it (git rm --cached), add it to .gitignore and rotate every key it holds"
    } else {
        "deleted since, but every clone still has it: rotate every key it held"
    };
    let message = format!(
        "{} was committed in {short} ({}); {status}",
        c.path, info.summary
    );
    Finding {
        provenance: crate::model::Provenance::Commit(crate::model::GitProvenance {
            commit: info.clone(),
            blob: String::new(),
            in_head: c.tracked,
            commits: 1,
            paths: 1,
        }),
        ..file_finding(&c.path, ENV_FILE_IN_HISTORY, severity, message)
    }
}

/// A lint finding about a whole file (no secret).
pub(crate) fn file_finding(path: &str, rule: &str, severity: Severity, message: String) -> Finding {
    Finding {
        rule_id: rule.to_string(),
        severity,
        secret: String::new(),
        path: path.to_string(),
        line: 1,
        column: 1,
        context_before: String::new(),
        context_after: String::new(),
        fingerprint: String::new(), // made by the pipeline
        provenance: crate::model::Provenance::File,
        message: Some(message),
        provider: None,
        verification: None,
        key_info: None,
        confidence: crate::model::Confidence::High,
        confidence_reasons: Vec::new(),
        tags: Vec::new(),
        redacted_context: None,
        archive: None,
        encoding: None,
        line_hash: None,
    }
}
