//! `keysweep history` and `keysweep staged` on repositories built in temp
//! directories with the git CLI.

use super::{git, key, keysweep, write};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A scratch repository driven through the git CLI, with a fixed identity
/// and no user or system configuration.
struct Repo {
    dir: TempDir,
}

impl Repo {
    fn new() -> Self {
        let r = Repo {
            dir: TempDir::new().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    /// Write files and commit them; returns the commit id.
    fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (p, c) in files {
            write(self.path(), p, c);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }
}

fn live(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

/// Run keysweep `cmd` (history/staged) in `dir` with JSON output.
fn run_json(dir: &Path, cmd: &str, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = keysweep()
        .current_dir(dir)
        .arg(cmd)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = crate::try_report_json(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json ({e}): {}{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let findings = doc["findings"].as_array().cloned().unwrap_or_default();
    (out.status.code().unwrap_or(-1), findings, stderr)
}

fn find<'a>(findings: &'a [Value], rule: &str, path: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["rule_id"] == rule && f["path"] == path)
        .unwrap_or_else(|| panic!("no {rule} finding at {path} in {findings:#?}"))
}

#[test]
fn file_deleted_later_is_found_with_its_commit() {
    let r = Repo::new();
    let c1 = r.commit(
        &[(
            "config/keys.txt",
            &format!("# keys\nstripe={}\n", live("del")),
        )],
        "add keys",
    );
    r.git(&["rm", "-q", "config/keys.txt"]);
    r.commit(&[("README", "clean\n")], "remove keys");
    let (code, f, _) = run_json(r.path(), "history", &[]);
    assert_eq!(code, 1);
    let hit = find(&f, "stripe-secret-key", "config/keys.txt");
    assert_eq!(hit["line"], 2);
    assert_eq!(hit["column"], 8);
    let p = &hit["provenance"];
    assert_eq!(p["kind"], "commit");
    assert_eq!(p["commit"], c1);
    assert_eq!(p["author"], "Ada Tester");
    assert_eq!(p["email"], "ada@example.invalid");
    assert_eq!(p["date"], "2025-03-01T10:00:00+00:00");
    assert_eq!(p["summary"], "add keys");
    assert_eq!(p["in_head"], false);
}

#[test]
fn line_removed_later_is_only_in_history_and_one_finding_per_path() {
    let r = Repo::new();
    let k = live("line");
    let c1 = r.commit(&[("app.py", &format!("a = 1\nKEY = '{k}'\n"))], "add key");
    r.commit(&[("app.py", &format!("a = 2\nKEY = '{k}'\n"))], "touch");
    r.commit(&[("app.py", "a = 3\n")], "drop key");
    let (_, f, _) = run_json(r.path(), "history", &[]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["provenance"]["commit"], c1);
    assert_eq!(f[0]["provenance"]["commits"], 2);
    assert_eq!(f[0]["provenance"]["in_head"], false);
    let (_, f, _) = run_json(r.path(), "scan", &[]);
    assert!(f.is_empty(), "working tree is clean");
}

#[test]
fn secret_only_on_a_branch_or_a_tag() {
    let r = Repo::new();
    r.commit(&[("a.txt", "hello\n")], "init");
    r.git(&["checkout", "-q", "-b", "feature"]);
    let on_branch = r.commit(
        &[("b.txt", &format!("k={}\n", live("branch")))],
        "feature key",
    );
    r.git(&["checkout", "-q", "main"]);
    r.git(&["checkout", "-q", "--orphan", "tagged"]);
    let on_tag = r.commit(&[("c.txt", &format!("k={}\n", live("tag")))], "tagged key");
    r.git(&["tag", "v1", on_tag.as_str()]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tagged"]);
    // Packed refs and packed objects read the same as loose ones.
    r.git(&["gc", "-q"]);
    assert!(r.path().join(".git/packed-refs").exists());
    let (code, f, _) = run_json(r.path(), "history", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        find(&f, "stripe-secret-key", "b.txt")["provenance"]["commit"],
        on_branch
    );
    assert_eq!(
        find(&f, "stripe-secret-key", "c.txt")["provenance"]["commit"],
        on_tag
    );
    let (code, f, _) = run_json(r.path(), "history", &["--branch", "main"]);
    assert_eq!(code, 0, "{f:#?}");
    let (_, f, _) = run_json(r.path(), "history", &["--branch", "v1"]);
    assert_eq!(f.len(), 1);
}

#[test]
fn renamed_file_counts_both_paths() {
    let r = Repo::new();
    let c1 = r.commit(&[("old.cfg", &format!("token={}\n", live("mv")))], "add");
    r.git(&["mv", "old.cfg", "new.cfg"]);
    let c2 = r.commit(&[], "rename");
    let (_, f, _) = run_json(r.path(), "history", &[]);
    let old = find(&f, "stripe-secret-key", "old.cfg");
    let new = find(&f, "stripe-secret-key", "new.cfg");
    assert_eq!(old["provenance"]["commit"], c1);
    assert_eq!(old["provenance"]["in_head"], false);
    assert_eq!(new["provenance"]["commit"], c2);
    assert_eq!(new["provenance"]["in_head"], true);
    assert_eq!(new["provenance"]["paths"], 2);
}

#[test]
fn merge_commit_credits_the_branch_commit() {
    let r = Repo::new();
    r.commit(&[("a.txt", "base\n")], "base");
    r.git(&["checkout", "-q", "-b", "topic"]);
    let topic = r.commit(&[("t.txt", &format!("k={}\n", live("merge")))], "topic key");
    r.git(&["checkout", "-q", "main"]);
    r.commit(&[("m.txt", "main work\n")], "main work");
    r.git(&["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
    let (_, f, _) = run_json(r.path(), "history", &[]);
    let hit = find(&f, "stripe-secret-key", "t.txt");
    assert_eq!(hit["provenance"]["commit"], topic);
    assert_eq!(hit["provenance"]["in_head"], true);
    // The merge itself adds nothing new: a range over just the merge is clean.
    let (code, f, _) = run_json(
        r.path(),
        "history",
        &["--range", "HEAD^1..HEAD", "--rule", "stripe-secret-key"],
    );
    let topic_in_range: Vec<_> = f
        .iter()
        .filter(|x| x["provenance"]["commit"] != topic)
        .collect();
    assert!(topic_in_range.is_empty(), "{f:#?}");
    assert_eq!(code, 1, "the topic commit itself is in HEAD^1..HEAD");
    let (code, f, _) = run_json(r.path(), "history", &["--range", "topic..HEAD"]);
    assert_eq!(code, 0, "nothing new beyond topic: {f:#?}");
}

#[test]
fn env_file_committed_then_removed() {
    let r = Repo::new();
    let c1 = r.commit(
        &[
            (".env", &format!("STRIPE_KEY={}\n", live("env"))),
            (".env.example", "STRIPE_KEY=\n"),
        ],
        "add env",
    );
    r.git(&["rm", "-q", "--cached", ".env"]);
    r.commit(&[(".gitignore", ".env\n")], "untrack env");
    let (code, f, _) = run_json(r.path(), "history", &[]);
    assert_eq!(code, 1);
    let env = find(&f, "env-file-in-history", ".env");
    assert_eq!(env["provenance"]["commit"], c1);
    assert_eq!(env["provenance"]["in_head"], false);
    assert!(env["message"].as_str().unwrap().contains("rotate"), "{env}");
    assert!(!f
        .iter()
        .any(|x| x["rule_id"] == "env-file-in-history" && x["path"] == ".env.example"));
    assert_eq!(
        find(&f, "stripe-secret-key", ".env")["provenance"]["in_head"],
        false
    );
    let (_, f, _) = run_json(
        r.path(),
        "history",
        &["--disable-rule", "env-file-in-history"],
    );
    assert!(!f.iter().any(|x| x["rule_id"] == "env-file-in-history"));
}

#[test]
fn env_file_still_tracked_says_so() {
    let r = Repo::new();
    r.commit(&[(".env.production", "DEBUG=false\n")], "add env");
    // It holds no secret: low confidence, and nothing to rotate.
    let (_, f, _) = run_json(r.path(), "history", &[]);
    assert!(f.is_empty(), "hidden at the default confidence: {f:#?}");
    let (_, f, _) = run_json(r.path(), "history", &["--confidence", "low"]);
    let env = find(&f, "env-file-in-history", ".env.production");
    assert_eq!(env["provenance"]["in_head"], true);
    assert_eq!(env["confidence"], "low");
    let msg = env["message"].as_str().unwrap();
    assert!(
        msg.contains("still tracked") && !msg.contains("rotate"),
        "{msg}"
    );
    // With a key in it, it is a finding at the default confidence.
    r.commit(
        &[(".env.production", &format!("STRIPE={}\n", live("env")))],
        "key",
    );
    let (_, f, _) = run_json(r.path(), "history", &[]);
    let env = find(&f, "env-file-in-history", ".env.production");
    assert!(env["message"].as_str().unwrap().contains("rotate"));
}

#[test]
fn shallow_and_bare_clones() {
    let r = Repo::new();
    r.commit(&[("old.txt", &format!("k={}\n", live("old")))], "one");
    r.git(&["rm", "-q", "old.txt"]);
    r.commit(&[("new.txt", &format!("k={}\n", live("new")))], "two");
    let clones = TempDir::new().unwrap();
    let url = format!("file://{}", r.path().display());
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let (code, f, err) = run_json(&clones.path().join("shallow"), "history", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 1, "only the shallow tip is present: {f:#?}");
    assert_eq!(f[0]["path"], "new.txt");
    git(clones.path(), &["clone", "-q", "--bare", &url, "bare.git"]);
    let (_, f, _) = run_json(&clones.path().join("bare.git"), "history", &[]);
    assert_eq!(f.len(), 2, "{f:#?}");
    let (code, _, err) = run_json_err(&clones.path().join("bare.git"), "staged");
    assert_eq!(code, 2);
    assert!(err.contains("bare repository"), "{err}");
}

/// Objects that live elsewhere: a linked worktree reads its main
/// repository's store, a `--shared` clone borrows objects via alternates.
#[test]
fn linked_worktree_and_alternates_read_the_shared_store() {
    let r = Repo::new();
    r.commit(&[("old.txt", &format!("k={}\n", live("wt-old")))], "one");
    r.git(&["rm", "-q", "old.txt"]);
    r.commit(&[("new.txt", &format!("k={}\n", live("wt-new")))], "two");
    let others = TempDir::new().unwrap();
    let linked = others.path().join("linked");
    r.git(&["worktree", "add", "-q", linked.to_str().unwrap()]);
    let (code, f, err) = run_json(&linked, "history", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 2, "{f:#?}");
    let url = r.path().to_str().unwrap().to_string();
    git(others.path(), &["clone", "-q", "--shared", &url, "shared"]);
    let shared = others.path().join("shared");
    assert!(shared.join(".git/objects/info/alternates").exists());
    let (code, f, err) = run_json(&shared, "history", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 2, "{f:#?}");
    find(&f, "stripe-secret-key", "old.txt");
}

fn run_json_err(dir: &Path, cmd: &str) -> (i32, String, String) {
    let out = keysweep().current_dir(dir).arg(cmd).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn not_a_repository_is_exit_2() {
    let t = TempDir::new().unwrap();
    for cmd in ["history", "staged"] {
        let (code, out, err) = run_json_err(t.path(), cmd);
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.starts_with("keysweep: error: .: not a git repository"),
            "{err}"
        );
    }
    let out = keysweep()
        .args(["history", "/no/such/repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn range_reports_only_added_lines() {
    let r = Repo::new();
    let old = live("range-old");
    r.commit(&[("svc.py", &format!("OLD = '{old}'\n"))], "old key");
    let base = r.git(&["rev-parse", "HEAD"]).trim().to_string();
    r.commit(
        &[("svc.py", &format!("OLD = '{old}'\nx = 1\n"))],
        "unrelated edit",
    );
    let adds = r.commit(
        &[
            (
                "svc.py",
                &format!("OLD = '{old}'\nx = 1\nNEW = '{}'\n", live("range-new")),
            ),
            (
                "other.txt",
                &format!("k={}\n", key("ghp_{{alnum:36}}", "r")),
            ),
        ],
        "new keys",
    );
    let (code, f, _) = run_json(r.path(), "history", &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert_eq!(f.len(), 2, "{f:#?}");
    let new = find(&f, "stripe-secret-key", "svc.py");
    assert_eq!(new["line"], 3);
    assert_eq!(new["provenance"]["commit"], adds);
    find(&f, "github-pat-classic", "other.txt");
    let (code, _, err) = run_json_err(r.path(), "history");
    assert_eq!(code, 1, "{err}");
    let out = keysweep()
        .current_dir(r.path())
        .args(["history", "--range", "nope..HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--range nope..HEAD"));
}

#[test]
fn staged_is_the_pre_commit_check() {
    let r = Repo::new();
    let old = live("staged-old");
    r.commit(
        &[("app.js", &format!("const k = '{old}';\n"))],
        "existing key",
    );
    // Clean staging: exit 0.
    let (code, f, _) = run_json(r.path(), "staged", &[]);
    assert_eq!(code, 0, "{f:#?}");
    // An unrelated edit to a file that already holds a key: only added lines count.
    write(
        r.path(),
        "app.js",
        format!("const k = '{old}';\nconst y = 2;\n"),
    );
    r.git(&["add", "app.js"]);
    let (code, f, _) = run_json(r.path(), "staged", &[]);
    assert_eq!(code, 0, "{f:#?}");
    // A new key staged: exit 1, reported at its line, as staged.
    write(
        r.path(),
        "app.js",
        format!(
            "const k = '{old}';\nconst y = 2;\nconst n = '{}';\n",
            live("staged-new")
        ),
    );
    r.git(&["add", "app.js"]);
    let (code, f, _) = run_json(r.path(), "staged", &[]);
    assert_eq!(code, 1);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 3);
    assert_eq!(f[0]["provenance"]["kind"], "staged");
    // Unstaged changes do not count; the index does.
    r.git(&["reset", "-q", "app.js"]);
    let (code, _, _) = run_json(r.path(), "staged", &[]);
    assert_eq!(code, 0);
    // A new file in a fresh repository (no HEAD yet).
    let fresh = Repo::new();
    write(fresh.path(), "k.env", format!("K={}\n", live("fresh")));
    fresh.git(&["add", "k.env"]);
    let (code, f, _) = run_json(fresh.path(), "staged", &[]);
    assert_eq!(code, 1, "{f:#?}");
}

#[test]
fn since_filters_commits_by_date() {
    let r = Repo::new();
    r.commit(&[("a.txt", &format!("k={}\n", live("since")))], "old");
    let (code, _, _) = run_json(r.path(), "history", &["--since", "2025-03-02"]);
    assert_eq!(code, 0);
    let (code, _, _) = run_json(r.path(), "history", &["--since", "2025-02-28"]);
    assert_eq!(code, 1);
    let (code, _, err) = run_json_err(r.path(), "history");
    assert_eq!(code, 1, "{err}");
    let out = keysweep()
        .current_dir(r.path())
        .args(["history", "--since", "last week"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn all_objects_finds_commits_no_ref_reaches() {
    let r = Repo::new();
    r.commit(&[("a.txt", "base\n")], "base");
    r.commit(
        &[("gone.txt", &format!("k={}\n", live("dangling")))],
        "oops",
    );
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let (code, _, _) = run_json(r.path(), "history", &[]);
    assert_eq!(code, 0, "force-pushed-away commit is not reachable");
    let (code, f, _) = run_json(r.path(), "history", &["--all-objects"]);
    assert_eq!(code, 1);
    assert_eq!(
        find(&f, "stripe-secret-key", "gone.txt")["provenance"]["summary"],
        "oops"
    );
    // A blob staged once but never committed is found as unreachable.
    write(r.path(), "tmp.txt", format!("k={}\n", live("blob-only")));
    r.git(&["add", "tmp.txt"]);
    r.git(&["reset", "-q", "tmp.txt"]);
    let (_, f, _) = run_json(r.path(), "history", &["--all-objects"]);
    assert!(
        f.iter().any(|x| x["provenance"]["kind"] == "unreachable"),
        "{f:#?}"
    );
}

#[test]
fn submodules_lfs_binary_large_and_odd_paths_are_noted() {
    let r = Repo::new();
    let base = r.commit(&[("a.txt", "base\n")], "base");
    write(
        r.path(),
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12\n",
    );
    write(r.path(), "blob.dat", b"\0\x01\x02binary");
    write(
        r.path(),
        "big.txt",
        format!("{}\nk={}\n", "z".repeat(5000), live("big")),
    );
    let odd = r.path().join(std::ffi::OsStr::new(unsafe_name()));
    std::fs::write(&odd, format!("k={}\n", live("odd"))).unwrap();
    r.git(&["add", "-A"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{base},vendor/sub"),
    ]);
    r.git(&["commit", "-q", "-m", "odd things"]);
    let out = keysweep()
        .current_dir(r.path())
        .args(["history", "--max-file-size", "4K", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = crate::report_json(&out.stdout);
    let skipped = doc["summary"]["skipped"].as_array().unwrap();
    let reason = |p: &str| {
        skipped
            .iter()
            .find(|s| s["path"] == p)
            .map(|s| s["reason"].clone())
    };
    assert_eq!(
        reason("vendor/sub"),
        Some("submodule".into()),
        "{skipped:#?}"
    );
    assert_eq!(reason("model.bin"), Some("lfs_pointer".into()));
    assert_eq!(reason("blob.dat"), Some("binary".into()));
    assert_eq!(reason("big.txt"), Some("too_large".into()));
    let paths = crate::finding_paths(&doc);
    assert_eq!(paths, ["caf\\xE9.txt"]);
}

/// Two files whose names differ only in bytes that are not UTF-8 are two
/// files: two findings, in the tree and in history.
#[cfg(unix)]
#[test]
fn paths_that_differ_only_in_invalid_bytes_stay_apart() {
    use std::os::unix::ffi::OsStrExt;
    let r = Repo::new();
    let k = live("bytes");
    for name in [&b"key\xff.env"[..], &b"key\xfe.env"[..]] {
        let p = r.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(p, format!("K={k}\n")).unwrap();
    }
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "two names"]);
    let stripe = |f: &Vec<Value>| -> Vec<String> {
        let mut v: Vec<String> = f
            .iter()
            .filter(|f| f["rule_id"] == "stripe-secret-key")
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let (code, f, err) = run_json(r.path(), "history", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(stripe(&f), ["key\\xFE.env", "key\\xFF.env"]);
    let out = keysweep()
        .current_dir(r.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = crate::report_json(&out.stdout);
    let f = doc["findings"].as_array().unwrap().clone();
    assert_eq!(stripe(&f), ["key\\xFE.env", "key\\xFF.env"]);
}

#[cfg(unix)]
fn unsafe_name() -> &'static std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(b"caf\xe9.txt")
}

#[test]
fn a_missing_object_fails_closed() {
    let r = Repo::new();
    r.commit(&[("a.txt", &format!("k={}\n", live("corrupt")))], "one");
    let blob = r.git(&["rev-parse", "HEAD:a.txt"]).trim().to_string();
    let obj: PathBuf = r
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(obj).unwrap();
    let (code, out, err) = run_json_err(r.path(), "history");
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("could not be read"), "{err}");
}

#[test]
fn history_sarif_and_text_show_provenance() {
    let r = Repo::new();
    r.commit(&[("k.txt", &format!("k={}\n", live("sarif")))], "add key");
    let out = keysweep()
        .current_dir(r.path())
        .args(["history", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2025-03-01T10:00:00+00:00 Ada Tester <ada@example.invalid>: add key; still in the tree at HEAD"), "{text}");
    let out = keysweep()
        .current_dir(r.path())
        .args(["history", "--format", "sarif"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["results"][0]["properties"]["provenance"]["kind"],
        "commit"
    );
    super::output::validate_sarif(&String::from_utf8_lossy(&out.stdout));
}

/// A SHA-256 repository is refused with a clear one-line error (exit 2).
#[test]
fn sha256_repositories_get_a_clear_error() {
    let t = TempDir::new().unwrap();
    let made = std::process::Command::new("git")
        .current_dir(t.path())
        .args(["init", "-q", "--object-format=sha256", "r"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("note: this git cannot make SHA-256 repositories; nothing to check");
        return;
    }
    for cmd in ["history", "staged"] {
        let out = keysweep()
            .current_dir(t.path().join("r"))
            .arg(cmd)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("SHA-256 repository"), "{cmd}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// `GIT_DIR`/`GIT_WORK_TREE` and `GIT_INDEX_FILE` are read the way git
/// reads them, from any directory.
#[test]
fn git_environment_variables_choose_the_repository_and_index() {
    let r = Repo::new();
    let k = live("env");
    r.commit(&[("a.py", &format!("KEY = '{k}'\n"))], "key");
    let elsewhere = TempDir::new().unwrap();
    let out = keysweep()
        .current_dir(elsewhere.path())
        .env("GIT_DIR", r.path().join(".git"))
        .env("GIT_WORK_TREE", r.path())
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An alternate index: only what it stages counts.
    write(
        r.path(),
        "b.py",
        format!("KEY2 = '{}'\n", live("alt-index")),
    );
    let alt = r.path().join(".git/alt-index");
    std::fs::copy(r.path().join(".git/index"), &alt).unwrap();
    let status = std::process::Command::new("git")
        .current_dir(r.path())
        .env("GIT_INDEX_FILE", &alt)
        .args(["add", "b.py"])
        .status()
        .unwrap();
    assert!(status.success());
    let staged = |index: Option<&Path>| {
        let mut c = keysweep();
        c.current_dir(r.path()).arg("staged");
        if let Some(i) = index {
            c.env("GIT_INDEX_FILE", i);
        }
        c.output().unwrap().status.code()
    };
    assert_eq!(staged(None), Some(0), "the default index stages nothing");
    assert_eq!(
        staged(Some(&alt)),
        Some(1),
        "the alternate index stages the key"
    );
    // Relative to the current directory, as git reads it.
    assert_eq!(staged(Some(Path::new(".git/alt-index"))), Some(1));
}
