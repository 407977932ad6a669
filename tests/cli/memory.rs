//! The per-file cap (`--max-findings-per-file`): at most the cap of findings
//! per file and rule, the rest counted in every summary (text, JSON, SARIF,
//! HTML), the run failing as before, and a history still reporting each
//! kept secret's first commit. Sizes and timings live in `bench/`.

use super::{git, keysweep, live_key as live, said, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// `n` distinct synthetic keys, sorted (the cap keeps those that sort first).
fn keys(tag: &str, n: usize) -> Vec<String> {
    let mut k: Vec<String> = (0..n).map(|i| live(&format!("{tag}{i}"))).collect();
    k.sort();
    k
}

/// Lines `K0=...` for `keys`, in the order given.
fn env_body(keys: &[&String]) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| format!("K{i}={k}\n"))
        .collect()
}

fn run(d: &Path, args: &[&str]) -> (i32, String, String) {
    let out = keysweep().current_dir(d).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn secrets(doc: &Value) -> Vec<String> {
    let mut s: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

/// 150 keys of one rule in one file: 100 reported, 50 counted, exit 1, and
/// no full key anywhere (reported or not).
#[test]
fn a_file_over_the_cap_reports_the_cap_and_counts_the_rest() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let all = keys("cap", 150);
    // Not in sorted order: which are kept must not depend on position.
    let mut shuffled: Vec<&String> = all.iter().collect();
    shuffled.reverse();
    shuffled.rotate_left(40);
    write(d, "keys.env", env_body(&shuffled));
    let (code, out, err) = run(d, &["scan", ".", "--format", "json", "--show-secrets"]);
    assert_eq!(code, 1, "{err}");
    let doc = crate::report_json(&out);
    assert_eq!(secrets(&doc), all[..100], "the 100 that sort first");
    let capped = &doc["summary"]["capped"];
    assert_eq!(capped["limit"], 100);
    assert_eq!(capped["findings"], 50);
    assert_eq!(capped["files"][0]["path"], "keys.env");
    assert_eq!(capped["files"][0]["rule_id"], "stripe-secret-key");
    assert_eq!(capped["files"][0]["findings"], 50);
    assert!(
        err.contains("capped 50 more finding(s): at most 100 are kept per file and rule"),
        "{err}"
    );
    assert!(
        err.contains("keys.env (stripe-secret-key): 50 more"),
        "{err}"
    );
    // Without --show-secrets: no full key in any format or the summary.
    for format in ["text", "json", "sarif", "html", "github"] {
        let (code, out, err) = run(d, &["scan", ".", "--format", format]);
        assert_eq!(code, 1, "{format}: {err}");
        for k in &all {
            assert!(
                !out.contains(k.as_str()) && !err.contains(k.as_str()),
                "{format}: a full key"
            );
        }
        if format == "sarif" {
            let log: Value = serde_json::from_str(&out).unwrap();
            let run = &log["runs"][0];
            assert_eq!(run["results"].as_array().unwrap().len(), 100);
            assert_eq!(run["properties"]["capped"]["findings"], 50);
            let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
            assert!(
                notes.contains("50 more findings not in this log"),
                "{notes}"
            );
        }
    }
    // 0 keeps them all.
    let (code, out, _) = run(
        d,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--max-findings-per-file",
            "0",
        ],
    );
    assert_eq!(code, 1);
    let doc = crate::report_json(&out);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 150);
    assert_eq!(doc["summary"]["capped"]["findings"], 0);
    assert_eq!(doc["summary"]["capped"]["limit"], 0);
}

/// The cap is per file and per rule: two files under it, one rule over it
/// beside one under it.
#[test]
fn the_cap_counts_per_file_and_rule() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let a = keys("pa", 3);
    let b = keys("pb", 3);
    write(d, "a.env", env_body(&a.iter().collect::<Vec<_>>()));
    let mut body = env_body(&b.iter().collect::<Vec<_>>());
    body.push_str(&format!(
        "GH={}\n",
        super::key("ghp_{{alnum:36}}", "gh-cap")
    ));
    write(d, "b.env", body);
    let (code, out, err) = run(
        d,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--max-findings-per-file",
            "2",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc = crate::report_json(&out);
    let mut got: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(doc["summary"]["capped"]["findings"], 2);
    assert_eq!(
        doc["summary"]["capped"]["files"].as_array().unwrap().len(),
        2
    );
}

/// A cap never makes a run pass: the findings it left out were never
/// filtered, so when every kept one is suppressed (here by a baseline) the
/// run still fails, and says why.
#[test]
fn capped_findings_fail_the_run_when_the_kept_ones_are_suppressed() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let all = keys("decoy", 3);
    write(d, "keys.env", env_body(&all.iter().collect::<Vec<_>>()));
    let cap = ["--max-findings-per-file", "2"];
    let (code, _, err) = run(
        d,
        &[&["scan", ".", "--write-baseline", "base.json"][..], &cap].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("the baseline leaves out the 1 finding(s)"),
        "{err}"
    );
    let (code, out, err) = run(
        d,
        &[
            &["scan", ".", "--format", "json", "--baseline", "base.json"][..],
            &cap,
        ]
        .concat(),
    );
    assert_eq!(code, 1, "the capped key fails the run: {err}");
    let doc = crate::report_json(&out);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["summary"]["capped"]["findings"], 1);
    // --exit-zero still means exit 0.
    let (code, _, _) = run(
        d,
        &[
            &["scan", ".", "--baseline", "base.json", "--exit-zero"][..],
            &cap,
        ]
        .concat(),
    );
    assert_eq!(code, 0);
}

/// Commit `body` as `settings.py` (not a `.env` file: no lint finding).
fn commit(d: &Path, body: &str, message: &str) -> String {
    write(d, "settings.py", body);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", message]);
    git(d, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A history keeps, at each path, the secrets that sort first over all
/// versions, each with its first commit: a later version that holds a kept
/// secret without the others does not become its introduction, and a
/// secret left out of two versions is counted once.
#[test]
fn a_history_keeps_each_kept_secrets_first_commit() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    let k = keys("hist", 3);
    let (b, y, z) = (&k[0], &k[1], &k[2]);
    // Version 1: Z first, B last; a cap of 2 by position would keep Z and
    // Y here and meet B only in version 2.
    let v1 = env_body(&[z, y, b]);
    let c1 = commit(d, &v1, "three keys");
    let c2 = commit(d, &env_body(&[b]), "only B");
    let c3 = commit(d, &v1, "all three again");
    let (code, out, err) = run(
        d,
        &[
            "history",
            "--format",
            "json",
            "--show-secrets",
            "--max-findings-per-file",
            "2",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc = crate::report_json(&out);
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{out}");
    let of = |s: &str| {
        found
            .iter()
            .find(|f| f["secret"] == s)
            .unwrap_or_else(|| panic!("no finding for a kept key: {out}"))
    };
    assert_eq!(
        of(b)["provenance"]["commit"],
        c1.as_str(),
        "B's first commit"
    );
    assert_eq!(of(b)["provenance"]["commits"], 3);
    assert_eq!(of(y)["provenance"]["commit"], c1.as_str());
    assert_eq!(of(y)["provenance"]["commits"], 2);
    assert!(!out.contains(z.as_str()), "Z is left out");
    // Z was left out of the blob versions 1 and 3 share: one finding.
    assert_eq!(
        doc["summary"]["capped"]["findings"], 1,
        "{}",
        doc["summary"]
    );
    assert!(err.contains("capped 1 more finding(s)"), "{err}");
    let _ = c2;
    let _ = c3;
    // Without the cap, the same first commits, and Z too.
    let (_, out, _) = run(
        d,
        &[
            "history",
            "--format",
            "json",
            "--show-secrets",
            "--max-findings-per-file",
            "0",
        ],
    );
    let doc = crate::report_json(&out);
    let all = doc["findings"].as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|f| f["provenance"]["commit"] == c1.as_str()));
}

/// A history whose versions of one path each stay under the cap but hold
/// more distinct secrets together: the path keeps the cap, those that sort
/// first, and counts the rest.
#[test]
fn a_history_caps_a_path_over_all_its_versions() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    let k = keys("grow", 4);
    let c1 = commit(d, &env_body(&[&k[3], &k[1]]), "two");
    commit(d, &env_body(&[&k[2], &k[0]]), "two others");
    let (code, out, err) = run(
        d,
        &[
            "history",
            "--format",
            "json",
            "--show-secrets",
            "--max-findings-per-file",
            "2",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc = crate::report_json(&out);
    assert_eq!(secrets(&doc), k[..2]);
    let k1 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["secret"] == k[1].as_str())
        .unwrap();
    assert_eq!(k1["provenance"]["commit"], c1.as_str());
    assert_eq!(doc["summary"]["capped"]["findings"], 2);
    let out = said(
        &keysweep()
            .current_dir(d)
            .args(["history", "--max-findings-per-file", "2"])
            .output()
            .unwrap(),
    );
    assert!(
        out.contains("settings.py (stripe-secret-key): 2 more"),
        "{out}"
    );
}
