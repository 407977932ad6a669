//! Report identity tools build on (issue 21): SARIF results distinct per
//! location with GitHub's line hash, URIs relative to the repository root
//! from any directory, run kinds told apart, GitHub's result cap; tree-mode
//! paths, fingerprints, baselines and ignore files that do not depend on how
//! the scan was invoked.

use super::{git, key, keysweep, live_key as live, said, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// A repository with one commit of `files`.
fn repo(files: &[(&str, String)]) -> TempDir {
    let t = TempDir::new().unwrap();
    git(t.path(), &["init", "-q", "-b", "main"]);
    for (path, body) in files {
        write(t.path(), path, body);
    }
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-qm", "add files"]);
    t
}

/// Run keysweep in `dir`; the exit code and stdout parsed as JSON.
fn run_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = keysweep().current_dir(dir).args(args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "{args:?}: {}", said(&out));
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", said(&out)));
    if args.contains(&"json") {
        crate::validate_report(&doc);
    }
    (code, doc)
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

#[test]
fn sarif_results_are_distinct_per_location() {
    // One secret on five identical long lines (each line's first 100
    // characters are its own), then on a line of its own.
    let k = live("three");
    let long = format!("PAYMENTS_SERVICE_PRODUCTION_SECRET_KEY_DO_NOT_SHARE_OUTSIDE_THE_TEAM_OR_PASTE_ANYWHERE={k}\n");
    let body = format!("{}short = '{k}'\n", long.repeat(5));
    let t = repo(&[("app.py", body)]);
    let (code, sarif) = run_json(t.path(), &["scan", ".", "--format", "sarif"]);
    assert_eq!(code, 1);
    let rs = results(&sarif);
    assert_eq!(rs.len(), 6, "{sarif:#}");
    let ours: Vec<&str> = rs
        .iter()
        .map(|r| r["partialFingerprints"]["keysweep/v2"].as_str().unwrap())
        .collect();
    let distinct: std::collections::HashSet<_> = ours.iter().collect();
    assert_eq!(distinct.len(), 6, "{ours:?}");
    let (fp, _) = ours[0].split_once(':').unwrap();
    for (i, o) in ours.iter().enumerate() {
        assert_eq!(
            *o,
            format!("{fp}:{}", i + 1),
            "the secret's fingerprint and its occurrence"
        );
    }
    // GitHub's line hash: identical line starts share the hash and are
    // counted (`hash:1` .. `hash:5`); the last line is different.
    let hashes: Vec<&str> = rs
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    let (h, _) = hashes[0].split_once(':').unwrap();
    assert!(h.chars().all(|c| c.is_ascii_hexdigit()), "{h}");
    for (i, hash) in hashes[..5].iter().enumerate() {
        assert_eq!(*hash, format!("{h}:{}", i + 1));
    }
    assert!(!hashes[5].starts_with(h), "{hashes:?}");
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root_from_any_directory() {
    let t = repo(&[("src/gh.js", format!("const k = '{}';\n", live("gh")))]);
    let root = t.path().canonicalize().unwrap();
    let elsewhere = TempDir::new().unwrap();
    let abs_src = root.join("src");
    let runs: [(&Path, &str); 4] = [
        (&root, "."),
        (&root, "src"),
        (&abs_src, "."),
        (elsewhere.path(), abs_src.to_str().unwrap()),
    ];
    for (dir, target) in runs {
        let (_, sarif) = run_json(dir, &["scan", target, "--format", "sarif"]);
        let loc = &results(&sarif)[0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            loc["uri"],
            "src/gh.js",
            "scan {target} from {}",
            dir.display()
        );
        assert_eq!(loc["uriBaseId"], "%SRCROOT%");
        let base = &sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"];
        assert_eq!(
            base.as_str().unwrap(),
            format!("file://{}/", root.display()),
            "scan {target} from {}",
            dir.display()
        );
    }
}

#[test]
fn run_automation_ids_tell_tree_history_range_and_staged_apart() {
    let t = repo(&[("a.py", format!("K = '{}'\n", live("runs")))]);
    write(t.path(), "c.py", format!("K = '{}'\n", live("range")));
    git(t.path(), &["add", "c.py"]);
    git(t.path(), &["commit", "-qm", "second"]);
    write(t.path(), "b.py", format!("K = '{}'\n", live("staged")));
    git(t.path(), &["add", "b.py"]);
    let kinds = [
        (vec!["scan", "."], "keysweep/tree/"),
        (vec!["history"], "keysweep/history/"),
        (
            vec!["history", "--range", "HEAD~1..HEAD"],
            "keysweep/range/",
        ),
        (vec!["staged"], "keysweep/staged/"),
    ];
    for (args, id) in kinds {
        let mut args = args.clone();
        args.extend(["--format", "sarif"]);
        let out = keysweep()
            .current_dir(t.path())
            .args(&args)
            .output()
            .unwrap();
        let sarif: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", said(&out)));
        assert_eq!(sarif["runs"][0]["automationDetails"]["id"], id, "{args:?}");
    }
}

#[test]
fn sarif_results_are_capped_at_githubs_limit() {
    let t = TempDir::new().unwrap();
    // Five medium findings first in path order, then 25,000 critical ones.
    let tests: String = (0..5)
        .map(|i| format!("T{i}={}\n", key("sk_test_{{alnum:24}}", &format!("t{i}"))))
        .collect();
    write(t.path(), "a.env", tests);
    let lives: String = (0..25_000)
        .map(|i| format!("K{i}={}\n", live(&format!("cap{i}"))))
        .collect();
    write(t.path(), "b.env", lives);
    let out = keysweep()
        .current_dir(t.path())
        // All 25,000 in one file: the per-file cap would keep 100.
        .args([
            "scan",
            ".",
            "--format",
            "sarif",
            "--max-findings-per-file",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("holds the 25000 most severe of 25005 findings"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rs = results(&sarif);
    assert_eq!(rs.len(), 25_000);
    assert!(
        rs.iter().all(|r| r["ruleId"] == "stripe-secret-key"),
        "the most severe are kept"
    );
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("25005 findings, 25000 in this log")),
        "{notes:?}"
    );
}

/// `(path, fingerprint)` of every finding in a JSON report.
fn identities(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["lint"].as_bool().unwrap())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn tree_paths_and_fingerprints_do_not_depend_on_spelling() {
    let t = repo(&[("sub/x.py", format!("K = '{}'\n", live("spell")))]);
    let root = t.path().canonicalize().unwrap();
    let sub = root.join("sub");
    let elsewhere = TempDir::new().unwrap();
    let (_, first) = run_json(&root, &["scan", ".", "--format", "json"]);
    let want = identities(&first);
    assert_eq!(want.len(), 1);
    assert_eq!(want[0].0, "sub/x.py");
    let abs_file = sub.join("x.py");
    let abs_root = root.to_str().unwrap();
    let runs: [(&Path, &str); 7] = [
        (&root, "sub"),
        (&root, "./sub/x.py"),
        (&root, "sub/../sub/x.py"),
        (&sub, "."),
        (&sub, "x.py"),
        (elsewhere.path(), abs_file.to_str().unwrap()),
        (elsewhere.path(), abs_root),
    ];
    for (dir, target) in runs {
        let (_, doc) = run_json(dir, &["scan", target, "--format", "json"]);
        assert_eq!(
            identities(&doc),
            want,
            "scan {target} from {}",
            dir.display()
        );
    }
    // Outside a repository: relative to the directory scanned.
    let plain = TempDir::new().unwrap();
    write(
        plain.path(),
        "conf/y.py",
        format!("K = '{}'\n", live("plain")),
    );
    let abs = plain.path().canonicalize().unwrap();
    let (_, a) = run_json(plain.path(), &["scan", ".", "--format", "json"]);
    let (_, b) = run_json(
        elsewhere.path(),
        &["scan", abs.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(identities(&a)[0].0, "conf/y.py");
    assert_eq!(identities(&a), identities(&b));
}

#[test]
fn baselines_match_however_the_scan_was_invoked() {
    let t = repo(&[("sub/x.py", format!("K = '{}'\n", live("base")))]);
    let root = t.path().canonicalize().unwrap();
    let out = keysweep()
        .current_dir(&root)
        .args(["scan", ".", "--write-baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let baseline = root.join("baseline.json");
    let elsewhere = TempDir::new().unwrap();
    let sub = root.join("sub");
    let runs: [(&Path, &str); 3] = [
        (&sub, "."),
        (&sub, "x.py"),
        (elsewhere.path(), root.to_str().unwrap()),
    ];
    for (dir, target) in runs {
        let out = keysweep()
            .current_dir(dir)
            .args(["scan", target, "--baseline", baseline.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "scan {target} from {}: {}",
            dir.display(),
            said(&out)
        );
        assert!(said(&out).contains("1 by baseline"), "{}", said(&out));
    }
}

#[test]
fn ignore_files_are_rooted_at_their_own_directory_from_any_directory() {
    let t = repo(&[
        ("x.py", format!("K = '{}'\n", live("top"))),
        ("sub/x.py", format!("K = '{}'\n", live("sub"))),
        // Anchored: only the x.py beside this file.
        ("sub/.keysweepignore", "/x.py\n".to_string()),
        ("rootignore", "sub/x.py\n".to_string()),
    ]);
    let root = t.path().canonicalize().unwrap();
    let sub = root.join("sub");
    let paths =
        |doc: &Value| -> Vec<String> { identities(doc).into_iter().map(|(p, _)| p).collect() };
    let own = sub.join(".keysweepignore");
    let top = root.join("rootignore");
    let elsewhere = TempDir::new().unwrap();
    for (dir, args) in [
        (&root, vec!["scan", "."]),
        (&sub, vec!["scan", ".."]),
        (&sub, vec!["history", ".."]),
        (&root, vec!["history"]),
    ] {
        for ignore in [&own, &top] {
            let mut a = args.clone();
            a.extend([
                "--format",
                "json",
                "--ignore-file",
                ignore.to_str().unwrap(),
            ]);
            let (_, doc) = run_json(dir, &a);
            assert_eq!(paths(&doc), ["x.py"], "{a:?} from {}", dir.display());
        }
    }
    // A scanned path outside the current directory: no panic, and the
    // ignore file still applies.
    let (_, doc) = run_json(
        elsewhere.path(),
        &[
            "scan",
            root.to_str().unwrap(),
            "--format",
            "json",
            "--ignore-file",
            own.to_str().unwrap(),
        ],
    );
    assert_eq!(paths(&doc), ["x.py"]);
    // An ignore file outside the scanned tree is rooted at the scan's base.
    let shared = elsewhere.path().join("shared-ignore");
    std::fs::write(&shared, "sub/\n").unwrap();
    let (_, doc) = run_json(
        &sub,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--ignore-file",
            shared.to_str().unwrap(),
        ],
    );
    assert_eq!(paths(&doc), Vec::<String>::new());
}
