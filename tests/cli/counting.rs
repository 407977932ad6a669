//! Everything a history walk meets is accounted for (issue 21): symlinks,
//! submodules, LFS pointers and refs to non-commits are counted and listed
//! once each, however many commits hold them; and blobs other branches
//! reach are never called unreachable.

use super::{git, keysweep, live_key as live, said, write};
use serde_json::Value;
use tempfile::TempDir;

fn history_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = keysweep()
        .current_dir(dir)
        .arg("history")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    crate::report_json(&out.stdout)
}

#[cfg(unix)]
#[test]
fn everything_met_in_history_is_counted_once() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "real.txt", "hello\n");
    std::os::unix::fs::symlink("real.txt", d.join("link.txt")).unwrap();
    write(
        d,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "one"]);
    let head = git(d, &["rev-parse", "HEAD"]).trim().to_string();
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{head},vendor/sub"),
        ],
    );
    git(d, &["commit", "-qm", "submodule"]);
    // The same symlink, LFS pointer and submodule changed in a later commit.
    std::fs::remove_file(d.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("other.txt", d.join("link.txt")).unwrap();
    write(
        d,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:5d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 999\n",
    );
    let first = git(d, &["rev-parse", "HEAD~1"]).trim().to_string();
    git(
        d,
        &[
            "update-index",
            "--cacheinfo",
            &format!("160000,{first},vendor/sub"),
        ],
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "change them all"]);
    let blob = git(d, &["rev-parse", "HEAD:real.txt"]).trim().to_string();
    git(d, &["tag", "blob-tag", &blob]);
    let tree = git(d, &["rev-parse", "HEAD^{tree}"]).trim().to_string();
    git(d, &["tag", "tree-tag", &tree]);

    let doc = history_json(d, &[]);
    let skipped: Vec<(String, String)> = doc["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("link.txt", "symlink"),
        ("model.bin", "lfs_pointer"),
        ("refs/tags/blob-tag", "non_commit_ref"),
        ("refs/tags/tree-tag", "non_commit_ref"),
        ("vendor/sub", "submodule"),
    ]
    .iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    let mut got = skipped.clone();
    got.sort();
    assert_eq!(got, want, "each met once: {skipped:?}");

    // The text summary counts them by kind and lists each path once.
    let out = keysweep()
        .current_dir(d)
        .args(["history", "--verbose", "--color", "never"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let counts = err
        .lines()
        .find(|l| l.starts_with("skipped 5 "))
        .unwrap_or_else(|| panic!("{err}"));
    for part in [
        "1 git lfs pointer",
        "1 symlink",
        "2 ref to a non-commit",
        "1 submodule, not descended",
    ] {
        assert!(counts.contains(part), "{part}: {counts}");
    }
    assert!(!err.contains("descended))"), "{err}");
    for (path, _) in &want {
        let listed = err
            .lines()
            .filter(|l| l.trim_start().starts_with(path.as_str()))
            .count();
        assert_eq!(listed, 1, "{path} listed once: {err}");
    }
}

#[test]
fn other_branches_blobs_are_not_called_unreachable() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "a.py", format!("K = '{}'\n", live("main")));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "on main"]);
    git(d, &["checkout", "-qb", "feature"]);
    write(d, "b.py", format!("K = '{}'\n", live("feature")));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "on feature"]);
    git(d, &["checkout", "-q", "main"]);
    // A blob nothing reaches: written to the store, never committed.
    write(d, "loose.py", format!("K = '{}'\n", live("loose")));
    git(d, &["hash-object", "-w", "loose.py"]);
    std::fs::remove_file(d.join("loose.py")).unwrap();

    let doc = history_json(d, &["--branch", "main", "--all-objects"]);
    let kinds: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["provenance"]["kind"].as_str().unwrap().to_string(),
                f["provenance"]["summary"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let of = |p: &str| kinds.iter().find(|k| k.0 == p).cloned();
    assert_eq!(
        of("b.py").map(|k| (k.1, k.2)),
        Some(("commit".to_string(), "on feature".to_string())),
        "{kinds:?}"
    );
    assert_eq!(of("a.py").map(|k| k.1), Some("commit".to_string()));
    let unreachable: Vec<_> = kinds.iter().filter(|k| k.1 == "unreachable").collect();
    assert_eq!(unreachable.len(), 1, "only the loose blob: {kinds:?}");
    // Without --all-objects, --branch main does not read the feature branch.
    let doc = history_json(d, &["--branch", "main"]);
    let paths = crate::finding_paths(&doc);
    assert_eq!(paths, ["a.py"]);
}
