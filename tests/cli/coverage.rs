//! Nothing asked for is skipped quietly: shallow clones, unreadable git
//! objects, tracked files under ignore rules, paths named on the command
//! line, one path's history.

use super::{git, keysweep, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

use super::{live_key as live, said};

fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A shallow clone says so, and a range past its boundary is an error.
#[test]
fn shallow_clones_are_never_silently_partial() {
    let t = TempDir::new().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    git(&src, &["init", "-q", "-b", "main"]);
    let k = live("old-key");
    write(&src, "old.py", format!("KEY = '{k}'\n"));
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "old"]);
    let base = head(&src);
    for i in 0..3 {
        write(&src, "n.txt", format!("{i}\n"));
        git(&src, &["add", "-A"]);
        git(&src, &["commit", "-q", "-m", "more"]);
    }
    let url = format!("file://{}", src.display());
    git(t.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let sh = t.path().join("shallow");
    let out = keysweep()
        .current_dir(&sh)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = crate::report_json(&out.stdout);
    assert_eq!(doc["summary"]["shallow"], true, "{}", said(&out));
    assert!(said(&out).contains("shallow clone"));
    let out = keysweep()
        .current_dir(&sh)
        .args(["history", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["shallow"], true);
    // The base is not in the clone.
    let out = keysweep()
        .current_dir(&sh)
        .args(["history", "--range", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("fetch-depth: 0"), "{}", said(&out));
    // The base is there (fetched on its own) but the range runs past the
    // boundary, into history the clone does not have.
    git(&src, &["tag", "old", &base]);
    git(
        &sh,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "refs/tags/old:refs/tags/old",
        ],
    );
    let out = keysweep()
        .current_dir(&sh)
        .args(["history", "--range", "old..HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("shallow clone's boundary"),
        "{}",
        said(&out)
    );
    assert!(said(&out).contains("fetch-depth: 0"), "{}", said(&out));
    git(&sh, &["fetch", "-q", "--deepen", "1"]);
    // A range fully inside the clone is fine.
    let out = keysweep()
        .current_dir(&sh)
        .args(["history", "--range", "HEAD~1..HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}

/// A missing object: exit 2, but the report lists everything read and the
/// object that was not.
#[test]
fn history_with_a_missing_object_reports_what_it_read() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    let k1 = live("readable");
    let k2 = live("lost");
    write(d, "kept.py", format!("KEY = '{k1}'\n"));
    write(d, "lost.py", format!("KEY = '{k2}'\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "two keys"]);
    let blob = git(d, &["rev-parse", "HEAD:lost.py"]).trim().to_string();
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    std::fs::remove_file(&obj).unwrap();
    let out = keysweep()
        .current_dir(d)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let doc: Value = crate::try_report_json(&out.stdout).expect("a full report");
    let paths = crate::finding_paths(&doc);
    assert_eq!(paths, ["kept.py"]);
    let incomplete = doc["summary"]["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["object"], blob.as_str());
    assert_eq!(incomplete[0]["paths"][0], "lost.py");
    let text = said(&out);
    assert!(
        text.contains("incomplete") && text.contains(&blob),
        "{text}"
    );
    // The report file is written too.
    let out = keysweep()
        .current_dir(d)
        .args(["history", "--format", "sarif", "--output", "r.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    super::output::validate_sarif(&std::fs::read_to_string(d.join("r.sarif")).unwrap());
}

/// A tracked file is scanned even when an ignore rule covers it; untracked
/// ignored paths are counted and listed with --verbose.
#[test]
fn tree_scan_reads_what_git_tracks() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    let k = live("tracked");
    write(d, "config/settings.py", format!("KEY = '{k}'\n"));
    write(d, "vendor/lib.py", format!("KEY = '{k}'\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "tracked"]);
    write(d, ".gitignore", "config/\n*.log\n");
    write(d, "vendor/.ignore", "*\n");
    write(d, "debug.log", format!("KEY = '{k}'\n"));
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let doc: Value = crate::report_json(&out.stdout);
    let mut paths = crate::finding_paths(&doc);
    paths.sort();
    assert_eq!(paths, ["config/settings.py", "vendor/lib.py"]);
    let ignored = doc["summary"]["ignored"].as_array().unwrap();
    assert!(ignored.iter().any(|p| p == "debug.log"), "{ignored:?}");
    assert!(said(&out).contains("ignored"));
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--verbose"])
        .output()
        .unwrap();
    assert!(said(&out).contains("debug.log (ignored)"), "{}", said(&out));
    // From a subdirectory, by another spelling.
    let out = keysweep()
        .current_dir(d.join("vendor"))
        .args(["scan", "../"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("config/settings.py"), "{}", said(&out));
}

/// Paths named on the command line are never skipped with exit 0.
#[test]
fn named_inputs_are_never_skipped_quietly() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "a.py", "x = 1\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "a"]);
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "missing.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(said(&out).contains("missing.py"));
    #[cfg(unix)]
    {
        let fifo = d.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let out = keysweep()
            .current_dir(d)
            .args(["scan", "pipe"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", said(&out));
        assert!(said(&out).contains("not a regular file"));
        std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
        let out = keysweep()
            .current_dir(d)
            .args(["scan", "dangling"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", said(&out));
        std::fs::remove_file(&fifo).unwrap();
        std::fs::remove_file(d.join("dangling")).unwrap();
    }
    // `history FILE` is an error that says how to scan a path's history.
    let out = keysweep()
        .current_dir(d)
        .args(["history", "a.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("keysweep history -- a.py"),
        "{}",
        said(&out)
    );
}

/// `history -- PATH` scans that path's history only, even after the file is
/// gone, and from a subdirectory.
#[test]
fn history_of_one_path() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "src/one.py", format!("KEY = '{}'\n", live("one")));
    write(d, "src/two.py", format!("KEY = '{}'\n", live("two")));
    write(d, "other.py", format!("KEY = '{}'\n", live("other")));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "keys"]);
    git(d, &["rm", "-q", "src/one.py"]);
    git(d, &["commit", "-q", "-m", "rm"]);
    let paths = |dir: &Path, args: &[&str]| -> Vec<String> {
        let out = keysweep()
            .current_dir(dir)
            .args(["history", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        let doc: Value = crate::report_json(&out.stdout);
        let mut v: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "stripe-secret-key")
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(paths(d, &["--", "src/one.py"]), ["src/one.py"]);
    assert_eq!(paths(d, &["--", "src"]), ["src/one.py", "src/two.py"]);
    assert_eq!(paths(&d.join("src"), &["--", "two.py"]), ["src/two.py"]);
    assert_eq!(paths(d, &[]).len(), 3);
}
