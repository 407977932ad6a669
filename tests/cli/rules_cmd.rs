//! `keysweep rules list` and `keysweep rules check`.

use super::{acme_rules, keysweep, write};
use tempfile::TempDir;

#[test]
fn list_shows_every_rule_with_severity_and_keywords() {
    let out = keysweep().args(["rules", "list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("stripe-secret-key")
            && l.contains("critical")
            && l.contains("[sk_live_]")),
        "{text}"
    );
    let out = keysweep()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"private-key") && ids.contains(&"generic-api-key"));
}

#[test]
fn check_passes_a_good_file_and_names_a_failing_example() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "mine.toml",
        acme_rules(r#""token = acme_{{lower:20}}""#, r#""acme_{{lower:5}}""#),
    );
    keysweep()
        .current_dir(t.path())
        .args(["rules", "check", "mine.toml"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "ok: 1 rule(s), 2 example(s) passed",
        ));

    write(t.path(), "broken.toml", acme_rules(r#""acme_short""#, ""));
    let out = keysweep()
        .current_dir(t.path())
        .args(["rules", "check", "broken.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL broken.toml: rule `acme-token`: example 1 should produce exactly 1 finding, got 0: \"acme_short\""), "{text}");
}

#[test]
fn check_reports_malformed_files_with_exit_2() {
    let t = TempDir::new().unwrap();
    write(t.path(), "bad.toml", "[[rules]]\nid = \"Bad Id\"\n");
    let out = keysweep()
        .current_dir(t.path())
        .args(["rules", "check", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("keysweep: error: bad.toml:1:1: "), "{err}");
    let out = keysweep()
        .args(["rules", "check", "/no/such/rules.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    keysweep().args(["rules", "check"]).assert().code(2);
}

#[test]
fn the_shipped_rules_check_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    keysweep().args(["rules", "check", dir]).assert().success();
}
