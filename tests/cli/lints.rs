//! Key-hygiene lints on fixture repositories built in temp directories with
//! real `git init`: nested ignores, negations, info/exclude, core.excludesFile.

use super::{git, jwt_live_key, key, keysweep, now_secs, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

fn repo() -> TempDir {
    let t = TempDir::new().unwrap();
    git(t.path(), &["init", "-q", "-b", "main"]);
    t
}

fn live(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

fn test_key(seed: &str) -> String {
    key("sk_test_{{alnum:24}}", seed)
}

/// Scan `dir` (JSON); return every finding.
fn scan(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let out = keysweep()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = crate::report_json(&out.stdout);
    doc["findings"].as_array().cloned().unwrap()
}

/// Findings of `rule`, or secret findings tagged with it (lints about one
/// secret are tags on its finding, never a second finding).
fn of<'a>(findings: &'a [Value], rule: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| {
            f["rule_id"] == rule
                || f["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == rule))
        })
        .collect()
}

fn paths(findings: &[Value], rule: &str) -> Vec<String> {
    let mut p: Vec<String> = of(findings, rule)
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

#[test]
fn env_files_follow_git_ignore_semantics() {
    let r = repo();
    let d = r.path();
    let excludes = d.join("global-excludes");
    std::fs::write(&excludes, ".env.staging\n").unwrap();
    git(
        d,
        &["config", "core.excludesFile", excludes.to_str().unwrap()],
    );
    write(
        d,
        ".gitignore",
        ".env*\n!.env.production\n!.env.example\n!.env.sample\nglobal-excludes\n",
    );
    write(d, ".git/info/exclude", ".env.local\n");
    // Tracked before the ignore rule existed: stays tracked.
    write(d, ".env.test", "DEBUG=1\n");
    git(d, &["add", "-f", ".env.test"]);
    git(d, &["commit", "-q", "-m", "tracked env"]);
    write(d, ".env", format!("STRIPE_KEY={}\n", live("root")));
    write(d, "app/.env", "X=1\n");
    write(
        d,
        ".env.production",
        format!("STRIPE_KEY={}\n", live("prod")),
    );
    write(d, ".env.local", "X=1\n");
    write(d, ".env.staging", "X=1\n");
    write(d, ".env.example", "STRIPE_KEY=sk_live_your_key_here\n");
    write(d, ".env.sample", format!("STRIPE_KEY={}\n", live("sample")));
    let f = scan(d, &["--no-ignore", "--confidence", "low"]);
    // Templates are meant to be committed: never "not ignored" (the key in
    // .env.sample is its own finding).
    assert_eq!(
        paths(&f, "env-file-not-ignored"),
        [".env.production", ".env.test"],
        "{f:#?}"
    );
    assert!(f
        .iter()
        .any(|x| x["path"] == ".env.sample" && x["rule_id"] == "stripe-secret-key"));
    let prod = of(&f, "env-file-not-ignored")
        .into_iter()
        .find(|x| x["path"] == ".env.production")
        .unwrap();
    assert_eq!(prod["severity"], "high", "holds a key");
    assert!(
        prod["message"]
            .as_str()
            .unwrap()
            .contains("append the line `.env.production`"),
        "{prod}"
    );
    let tracked = of(&f, "env-file-not-ignored")
        .into_iter()
        .find(|x| x["path"] == ".env.test")
        .unwrap();
    assert_eq!(tracked["severity"], "medium", "no secret in it");
    assert_eq!(tracked["confidence"], "low", "no secret in it");
    let msg = tracked["message"].as_str().unwrap();
    assert!(msg.contains("git rm --cached .env.test"), "{tracked}");
    assert!(!msg.contains("rotate"), "nothing to rotate: {msg}");
    // Without --no-ignore the walk skips ignored files, but the tracked one is still reported.
    let f = scan(d, &["--confidence", "low"]);
    assert_eq!(
        paths(&f, "env-file-not-ignored"),
        [".env.production", ".env.test"]
    );
    // At the default confidence, only the one that holds a key.
    assert_eq!(
        paths(&scan(d, &[]), "env-file-not-ignored"),
        [".env.production"]
    );
}

#[test]
fn env_file_not_ignored_nested_and_outside_git() {
    let r = repo();
    write(r.path(), "svc/.env", "TOKEN=abc\n");
    write(r.path(), "web/.gitignore", ".env\n");
    write(r.path(), "web/.env", "TOKEN=abc\n");
    let f = scan(r.path(), &["--confidence", "low"]);
    assert_eq!(paths(&f, "env-file-not-ignored"), ["svc/.env"]);
    assert!(
        paths(&scan(r.path(), &[]), "env-file-not-ignored").is_empty(),
        "no secret: low"
    );
    let msg = of(&f, "env-file-not-ignored")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("append the line `svc/.env`"), "{msg}");
    let plain = TempDir::new().unwrap();
    write(plain.path(), ".env", "TOKEN=abc\n");
    assert!(of(
        &scan(plain.path(), &["--confidence", "low"]),
        "env-file-not-ignored"
    )
    .is_empty());
}

#[test]
fn missing_env_ignore() {
    let r = repo();
    write(r.path(), ".env.example", "API_KEY=\n");
    let f = scan(r.path(), &[]);
    let m = of(&f, "missing-env-ignore");
    assert_eq!(m.len(), 1, "{f:#?}");
    assert_eq!(m[0]["severity"], "low");
    assert_eq!(m[0]["path"], ".gitignore");
    write(r.path(), ".gitignore", ".env\n");
    assert!(of(&scan(r.path(), &[]), "missing-env-ignore").is_empty());
    // A library that only depends on dotenv (an optional extra) is quiet...
    let npm = repo();
    write(
        npm.path(),
        "package.json",
        r#"{"dependencies": {"dotenv": "^16.0.0"}}"#,
    );
    write(
        npm.path(),
        "docs/config.md",
        "Call `require('dotenv').config()` first.\n",
    );
    write(npm.path(), "test/setup.js", "require('dotenv').config();\n");
    assert!(of(&scan(npm.path(), &[]), "missing-env-ignore").is_empty());
    // ...a project whose own code loads .env files is told.
    write(npm.path(), "src/index.js", "require('dotenv').config();\n");
    let m = scan(npm.path(), &[]);
    let m = of(&m, "missing-env-ignore");
    assert_eq!(m.len(), 1);
    assert!(m[0]["message"]
        .as_str()
        .unwrap()
        .contains("src/index.js loads .env files"));
    let none = repo();
    write(
        none.path(),
        "package.json",
        r#"{"dependencies": {"express": "^4"}}"#,
    );
    assert!(of(&scan(none.path(), &[]), "missing-env-ignore").is_empty());
}

#[test]
fn client_exposed_secrets() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(
        d,
        "web/config.env",
        format!(
            "NEXT_PUBLIC_STRIPE_SECRET={}\nNEXT_PUBLIC_STRIPE_KEY=pk_live_{}\n",
            live("next"),
            key("{{alnum:24}}", "pk")
        ),
    );
    write(
        d,
        "web/vite.config.ts",
        format!("define: {{ VITE_PAYMENT_KEY: '{}' }}\n", live("vite")),
    );
    write(
        d,
        "public/app.js",
        format!("var k=\"{}\";\n", live("bundle")),
    );
    write(
        d,
        "src/server.js",
        format!("const k = '{}';\n", live("server")),
    );
    let f = scan(d, &[]);
    assert_eq!(
        paths(&f, "client-exposed-secret"),
        ["public/app.js", "web/config.env", "web/vite.config.ts"],
        "{f:#?}"
    );
    for c in of(&f, "client-exposed-secret") {
        assert_eq!(c["severity"], "critical");
    }
    let next = of(&f, "client-exposed-secret")
        .into_iter()
        .find(|x| x["path"] == "web/config.env")
        .unwrap();
    assert_eq!(
        next["line"], 1,
        "the publishable key on line 2 is not a secret"
    );
    assert!(next["message"]
        .as_str()
        .unwrap()
        .contains("NEXT_PUBLIC_STRIPE_SECRET"));
    assert!(of(
        &scan(d, &["--disable-rule", "client-exposed-secret"]),
        "client-exposed-secret"
    )
    .is_empty());
}

#[test]
fn key_reused_across_environments() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let shared = test_key("shared");
    write(d, ".env.development", format!("STRIPE_KEY={shared}\n"));
    write(d, ".env.production", format!("STRIPE_KEY={shared}\n"));
    write(
        d,
        "config/staging.yml",
        format!("stripe:\n  key: {shared}\n"),
    );
    write(
        d,
        "config/development.yml",
        format!("stripe:\n  key: {}\n", test_key("own")),
    );
    let f = scan(d, &["--no-ignore"]);
    let r = of(&f, "key-reused-across-environments");
    assert_eq!(r.len(), 1, "{f:#?}");
    let msg = r[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("3 environments (development, staging, production)"),
        "{msg}"
    );
    assert!(
        msg.contains(".env.development:1")
            && msg.contains(".env.production:1")
            && msg.contains("config/staging.yml:2"),
        "{msg}"
    );
}

#[test]
fn live_keys_in_tests_and_test_keys_in_production() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(
        d,
        "tests/test_billing.py",
        format!("KEY = '{}'\n", live("t1")),
    );
    write(
        d,
        "src/billing.test.ts",
        format!("const k = '{}';\n", test_key("t2")),
    );
    write(d, "src/billing.py", format!("KEY = '{}'\n", live("t3")));
    write(
        d,
        "config/production.yml",
        format!("stripe_key: {}\n", test_key("p1")),
    );
    write(
        d,
        "config/development.yml",
        format!("stripe_key: {}\n", test_key("p2")),
    );
    let f = scan(d, &[]);
    assert_eq!(
        paths(&f, "live-key-in-test"),
        ["tests/test_billing.py"],
        "{f:#?}"
    );
    assert_eq!(
        paths(&f, "test-key-in-production"),
        ["config/production.yml"]
    );
    // One finding per secret and place: the lint is a tag on it.
    let at_test: Vec<&Value> = f
        .iter()
        .filter(|x| x["path"] == "tests/test_billing.py")
        .collect();
    assert_eq!(at_test.len(), 1, "{f:#?}");
    assert_eq!(at_test[0]["rule_id"], "stripe-secret-key");
    assert_eq!(at_test[0]["tags"][0], "live-key-in-test");
    assert!(f.iter().all(|x| x["rule_id"] != "live-key-in-test"));
}

#[test]
fn stale_jwt_keys() {
    let now = now_secs();
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "fresh.env",
        format!(
            "INFEREXAI_API_KEY={}\n",
            jwt_live_key("user_42", "key-fresh", now - 10 * 86_400, "fresh")
        ),
    );
    write(
        t.path(),
        "old.env",
        format!(
            "INFEREXAI_API_KEY={}\n",
            jwt_live_key("user_42", "key-old", now - 200 * 86_400, "old")
        ),
    );
    let f = scan(t.path(), &[]);
    let stale = of(&f, "stale-key");
    assert_eq!(stale.len(), 1, "{f:#?}");
    assert_eq!(stale[0]["path"], "old.env");
    let msg = stale[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("(200 days ago)")
            && msg.contains("sub user_42")
            && msg.contains("jti key-old"),
        "{msg}"
    );
    let f = scan(t.path(), &["--max-key-age", "7d"]);
    assert_eq!(paths(&f, "stale-key"), ["fresh.env", "old.env"]);
}

#[test]
fn secrets_in_notebook_output_cells() {
    let t = TempDir::new().unwrap();
    let in_source = live("src");
    let in_output = live("out");
    let nb = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Billing"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
             "source": [format!("stripe.api_key = '{in_source}'")]},
            {"cell_type": "code", "execution_count": 2, "metadata": {},
             "source": ["print(os.environ['STRIPE_KEY'])"],
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [format!("{in_output}\n")]}]}
        ]
    });
    write(
        t.path(),
        "billing.ipynb",
        serde_json::to_string_pretty(&nb).unwrap(),
    );
    write(t.path(), "broken.ipynb", format!("{{ not json {in_output}"));
    let f = scan(t.path(), &[]);
    let out = of(&f, "secret-in-notebook-output");
    assert_eq!(out.len(), 1, "{f:#?}");
    assert_eq!(out[0]["path"], "billing.ipynb");
    assert!(out[0]["message"]
        .as_str()
        .unwrap()
        .contains("output of cell 2, execution count 2"));
    let line = out[0]["line"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(t.path().join("billing.ipynb")).unwrap();
    assert!(text.lines().nth(line - 1).unwrap().contains(&in_output));
    assert_eq!(
        of(&f, "stripe-secret-key").len(),
        3,
        "source, output and the broken file"
    );
}

#[test]
fn lints_are_listed_and_in_sarif() {
    let out = keysweep().args(["rules", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "env-file-not-ignored",
        "client-exposed-secret",
        "key-reused-across-environments",
        "live-key-in-test",
        "test-key-in-production",
        "stale-key",
        "secret-in-notebook-output",
        "missing-env-ignore",
        "env-file-in-history",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing from rules list"
        );
    }
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "public/app.js",
        format!("var k=\"{}\";\n", live("sarif")),
    );
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8_lossy(&out.stdout).into_owned();
    super::output::validate_sarif(&sarif);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let rules: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"client-exposed-secret"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["properties"]["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == "client-exposed-secret"))));
}
