//! One integration-test binary: runs the real `keysweep` binary on trees built
//! in fresh temp directories. Keys are generated at test time with the same
//! generators rule examples use, so no key-shaped literal lives in this repo.

mod archives;
mod attacks;
mod binary;
mod bounds;
mod contract;
mod counting;
mod coverage;
mod decoding;
mod gates;
mod history;
mod hostile;
mod html;
mod identity;
mod install;
mod layout;
mod lints;
mod memory;
mod mock;
mod output;
mod passwords;
mod precision;
mod providers;
mod rules_cmd;
mod scan;
mod schema;
mod trust;
mod verify;
mod workflow;

use assert_cmd::Command;
use std::path::Path;
use std::sync::OnceLock;

/// A synthetic key from a generator template, e.g. `sk_live_{{alnum:24}}`.
pub fn key(template: &str, seed: &str) -> String {
    keysweep::rules::expand_template(template, seed).expect("valid template")
}

/// A synthetic Stripe-style live key (`sk_live_` and 24 characters).
pub fn live_key(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

/// A run's stdout and stderr together, for assertions and messages.
pub fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The binary under test, with colour and environment pinned down.
pub fn keysweep() -> Command {
    let mut c = Command::cargo_bin("keysweep").expect("binary built");
    c.env_remove("NO_COLOR");
    c
}

/// Write `contents` to `root/rel`, creating parent directories.
pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, contents).expect("write");
}

/// The `path` of every finding in a JSON report, in report order.
pub fn finding_paths(doc: &serde_json::Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| f["path"].as_str().expect("a path"))
        .collect()
}

/// Run a scan in `dir` with `args`; return (exit code, stdout, stderr).
pub fn scan_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = keysweep()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .output()
        .expect("run keysweep");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A custom rules file with one `acme-token` rule and the given example lists
/// (TOML array bodies, e.g. `"acme_{{lower:20}}"`).
pub fn acme_rules(examples: &str, counterexamples: &str) -> String {
    format!(
        r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "An ACME internal token."
severity = "low"
keywords = ["acme_"]
regex = '\b(?P<secret>acme_[a-z0-9]{{20}})\b'
examples = [{examples}]
counterexamples = [{counterexamples}]
"#
    )
}

/// Run git in `dir` with a fixed identity and dates and no user or system
/// configuration; the raw output.
pub fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ada Tester")
        .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
        .env("GIT_COMMITTER_NAME", "Ada Tester")
        .env("GIT_COMMITTER_EMAIL", "ada@example.invalid")
        .env("GIT_AUTHOR_DATE", "2025-03-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-03-01T10:00:00Z")
        .output()
        .expect("git runs")
}

/// Run git in `dir`; it must succeed; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A synthetic InferexAI-style key: `sk-live-` and an HS256 JWT with these
/// claims and a random (seeded) signature.
pub fn jwt_live_key(sub: &str, jti: &str, iat: i64, seed: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(format!(r#"{{"sub":"{sub}","jti":"{jti}","iat":{iat}}}"#));
    format!(
        "sk-live-{header}.{payload}.{}",
        key("{{base64url:43}}", seed)
    )
}

/// The JSON report schema the repository ships (`schema/report-v1.json`),
/// compiled once for the whole test binary.
fn report_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report-v1.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema/report-v1.json compiles")
    })
}

/// Panic unless `doc` is a valid version-1 JSON report.
pub fn validate_report(doc: &serde_json::Value) {
    let errors: Vec<String> = report_validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON report does not match schema/report-v1.json:\n{}",
        errors.join("\n")
    );
}

/// A keysweep JSON report (`--format json` output): parsed, and validated
/// against `schema/report-v1.json`, so every report the suite reads is
/// checked against the documented schema.
pub fn report_json(bytes: impl AsRef<[u8]>) -> serde_json::Value {
    let bytes = bytes.as_ref();
    try_report_json(bytes).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// [`report_json`] for output that may not be a report at all (a run that
/// failed before writing one): not JSON is an `Err`; JSON that does not
/// match the schema still panics.
pub fn try_report_json(bytes: impl AsRef<[u8]>) -> serde_json::Result<serde_json::Value> {
    let doc = serde_json::from_slice(bytes.as_ref())?;
    validate_report(&doc);
    Ok(doc)
}
