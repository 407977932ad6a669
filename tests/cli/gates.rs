//! The commit and push gates, driven the way users drive them: real `git
//! commit` (every way git commits) and real `git push` to a local bare
//! remote, through the hooks `keysweep install-hook` writes; the pre-commit
//! framework's hook through the framework itself when it is installed.

use super::{git, git_output, keysweep, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

use super::{live_key as live, said};

/// A repository with one clean commit and keysweep's pre-commit hook.
fn hooked_repo() -> TempDir {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "app.py", "print('hello')\n");
    write(d, "notes.txt", "notes\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    install(d, &[]);
    t
}

fn install(d: &Path, args: &[&str]) {
    let out = keysweep()
        .current_dir(d)
        .arg("install-hook")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
}

/// Run `git` in `dir`, expecting the hook to refuse it: the output names
/// the rule and never the key.
fn refused(dir: &Path, args: &[&str], k: &str) {
    let out = git_output(dir, args);
    let text = said(&out);
    assert!(!out.status.success(), "git {args:?} went through: {text}");
    assert!(text.contains("stripe-secret-key"), "git {args:?}: {text}");
    assert!(!text.contains(k), "the hook printed the key");
}

fn allowed(dir: &Path, args: &[&str]) {
    let out = git_output(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", said(&out));
}

fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn commit_with_git_add() {
    let t = hooked_repo();
    let k = live("add");
    write(t.path(), "app.py", format!("KEY = '{k}'\n"));
    git(t.path(), &["add", "app.py"]);
    refused(t.path(), &["commit", "-m", "x"], &k);
}

/// The bug this gate was rebuilt for: `git commit -a` commits a temporary
/// index (GIT_INDEX_FILE), not `.git/index`.
#[test]
fn commit_all_is_blocked() {
    let t = hooked_repo();
    let before = head(t.path());
    let k = live("commit-a");
    write(t.path(), "app.py", format!("KEY = '{k}'\n"));
    refused(t.path(), &["commit", "-am", "x"], &k);
    assert_eq!(head(t.path()), before, "no commit was made");
}

#[test]
fn commit_of_a_path_only_and_include() {
    let t = hooked_repo();
    let k = live("paths");
    write(t.path(), "app.py", format!("KEY = '{k}'\n"));
    refused(t.path(), &["commit", "-m", "x", "app.py"], &k);
    refused(t.path(), &["commit", "-m", "x", "--only", "app.py"], &k);
    // --include adds the path to what is already staged.
    write(t.path(), "notes.txt", "more notes\n");
    git(t.path(), &["add", "notes.txt"]);
    refused(t.path(), &["commit", "-m", "x", "--include", "app.py"], &k);
    // Committing only the clean path leaves the key out: allowed.
    allowed(
        t.path(),
        &["commit", "-q", "-m", "notes", "--only", "notes.txt"],
    );
}

/// Partial staging: only what is staged counts, both ways.
#[test]
fn partially_staged_changes() {
    let t = hooked_repo();
    let d = t.path();
    let k = live("partial");
    write(
        d,
        "app.py",
        format!("print('hello')\nprint('more')\nKEY = '{k}'\n"),
    );
    // Stage just the harmless line.
    let patch = "--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n print('hello')\n+print('more')\n";
    write(d, "harmless.patch", patch);
    git(d, &["apply", "--cached", "harmless.patch"]);
    std::fs::remove_file(d.join("harmless.patch")).unwrap();
    allowed(d, &["commit", "-q", "-m", "harmless line only"]);
    // Now stage the key line.
    let patch = format!(
        "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n print('hello')\n print('more')\n+KEY = '{k}'\n"
    );
    write(d, "key.patch", patch);
    git(d, &["apply", "--cached", "key.patch"]);
    std::fs::remove_file(d.join("key.patch")).unwrap();
    refused(d, &["commit", "-m", "key line"], &k);
}

#[test]
fn amend_is_blocked() {
    let t = hooked_repo();
    let k = live("amend");
    write(t.path(), "app.py", format!("KEY = '{k}'\n"));
    refused(t.path(), &["commit", "--amend", "-a", "-m", "amended"], &k);
    refused(t.path(), &["commit", "--amend", "-a", "--no-edit"], &k);
}

#[test]
fn first_commit_on_an_unborn_head() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    install(d, &[]);
    let k = live("unborn");
    write(d, "app.py", format!("KEY = '{k}'\n"));
    git(d, &["add", "-A"]);
    refused(d, &["commit", "-m", "first"], &k);
    write(d, "app.py", "print('clean')\n");
    git(d, &["add", "-A"]);
    allowed(d, &["commit", "-q", "-m", "first"]);
}

#[test]
fn linked_worktree_commits_are_checked() {
    let t = hooked_repo();
    let wt = TempDir::new().unwrap();
    let wt_path = wt.path().join("wt");
    git(
        t.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            wt_path.to_str().unwrap(),
        ],
    );
    let k = live("worktree");
    write(&wt_path, "app.py", format!("KEY = '{k}'\n"));
    refused(&wt_path, &["commit", "-am", "in the worktree"], &k);
    write(&wt_path, "app.py", "print('fine')\n");
    allowed(&wt_path, &["commit", "-q", "-am", "in the worktree"]);
}

/// The dotfiles set-up: a bare repository with --git-dir/--work-tree.
#[test]
fn bare_repository_with_a_separate_work_tree() {
    let t = TempDir::new().unwrap();
    let bare = t.path().join("dots.git");
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    git(t.path(), &["init", "-q", "--bare", "dots.git"]);
    install(&bare, &[]);
    assert!(bare.join("hooks/pre-commit").exists());
    let gd = format!("--git-dir={}", bare.display());
    let wt = format!("--work-tree={}", home.display());
    write(&home, ".bashrc", "alias ll='ls -l'\n");
    allowed(&home, &[&gd, &wt, "add", ".bashrc"]);
    allowed(&home, &[&gd, &wt, "commit", "-q", "-m", "bashrc"]);
    let k = live("dotfiles");
    write(&home, ".profile", format!("export STRIPE_KEY={k}\n"));
    allowed(&home, &[&gd, &wt, "add", ".profile"]);
    refused(&home, &[&gd, &wt, "commit", "-m", "profile"], &k);
}

/// Split and sparse indexes are read, not refused (exit 2 would block every
/// commit in such a repository).
#[test]
fn split_and_sparse_indexes() {
    let t = hooked_repo();
    let d = t.path();
    git(d, &["update-index", "--split-index"]);
    write(d, "notes.txt", "edited\n");
    allowed(d, &["commit", "-q", "-am", "split index, clean"]);
    let k = live("split");
    write(d, "app.py", format!("KEY = '{k}'\n"));
    refused(d, &["commit", "-am", "split index, key"], &k);

    let t = hooked_repo();
    let d = t.path();
    write(d, "deep/inside/a.txt", "a\n");
    write(d, "other/b.txt", "b\n");
    git(d, &["add", "-A"]);
    allowed(d, &["commit", "-q", "-m", "dirs"]);
    git(d, &["sparse-checkout", "init", "--cone", "--sparse-index"]);
    git(d, &["sparse-checkout", "set", "deep"]);
    assert!(git(d, &["ls-files", "--sparse", "-s"]).contains("040000"));
    write(d, "deep/inside/a.txt", "edited\n");
    allowed(d, &["commit", "-q", "-am", "sparse index, clean"]);
    let k = live("sparse");
    write(d, "deep/inside/a.txt", format!("KEY = '{k}'\n"));
    refused(d, &["commit", "-am", "sparse index, key"], &k);
}

/// Staged findings as JSON (the hook's view, without committing).
fn staged_json(d: &Path) -> Value {
    let out = keysweep()
        .current_dir(d)
        .args(["staged", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    crate::report_json(&out.stdout)
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

/// A modified UTF-16 file diffs as text (not dropped as binary), and a
/// lone-CR file gets the matcher's line numbers.
#[test]
fn added_lines_are_diffed_on_decoded_text() {
    let t = hooked_repo();
    let d = t.path();
    write(d, "setup.ps1", utf16le("$a = 1\r\n$b = 2\r\n"));
    write(d, "old.cfg", "a=1\rb=2\r");
    git(d, &["add", "-A"]);
    allowed(d, &["commit", "-q", "-m", "utf-16 and lone-CR files"]);
    let k = live("utf16");
    write(
        d,
        "setup.ps1",
        utf16le(&format!("$a = 1\r\n$key = '{k}'\r\n$b = 2\r\n")),
    );
    let k2 = live("lone-cr");
    write(d, "old.cfg", format!("a=1\rb=2\rkey={k2}\r"));
    git(d, &["add", "-A"]);
    let doc = staged_json(d);
    let lines: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(lines.contains(&("setup.ps1".into(), 2)), "{lines:?}");
    assert!(lines.contains(&("old.cfg".into(), 3)), "{lines:?}");
    refused(d, &["commit", "-m", "keys"], &k);
}

/// A bare remote and a clone of it with keysweep's pre-push hook (and the
/// remote's default branch known, as a clone has it).
pub(crate) fn pushing_repo() -> (TempDir, std::path::PathBuf) {
    let t = TempDir::new().unwrap();
    git(
        t.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let d = t.path().join("work");
    std::fs::create_dir_all(&d).unwrap();
    git(&d, &["init", "-q", "-b", "main"]);
    git(&d, &["remote", "add", "origin", "../remote.git"]);
    write(&d, "app.py", "print('hello')\n");
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-q", "-m", "base"]);
    git(&d, &["push", "-q", "origin", "main"]);
    git(&d, &["remote", "set-head", "origin", "main"]);
    install(&d, &["--pre-push"]);
    assert!(d.join(".git/hooks/pre-push").exists());
    (t, d)
}

fn remote_head(t: &TempDir, branch: &str) -> Option<String> {
    let out = git_output(&t.path().join("remote.git"), &["rev-parse", branch]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A key that one pushed commit adds and a later one removes is in the
/// pushed history: the push is refused, with how to rewrite it.
#[test]
fn pre_push_refuses_a_key_anywhere_in_the_pushed_commits() {
    let (t, d) = pushing_repo();
    let before = remote_head(&t, "main");
    let k = live("push");
    write(&d, "app.py", format!("KEY = '{k}'\n"));
    git(&d, &["commit", "-q", "--no-verify", "-am", "add key"]);
    write(&d, "app.py", "print('hello')\n");
    git(&d, &["commit", "-q", "--no-verify", "-am", "remove key"]);
    let out = git_output(&d, &["push", "origin", "main"]);
    let text = said(&out);
    assert!(!out.status.success(), "the push went through: {text}");
    assert!(text.contains("push refused"), "{text}");
    assert!(text.contains("git rebase -i"), "{text}");
    assert!(!text.contains(&k), "the hook printed the key");
    assert_eq!(remote_head(&t, "main"), before, "the remote did not move");
}

#[test]
fn pre_push_allows_clean_pushes_new_branches_and_deletions() {
    let (t, d) = pushing_repo();
    write(&d, "app.py", "print('clean change')\n");
    git(&d, &["commit", "-q", "-am", "clean"]);
    allowed(&d, &["push", "-q", "origin", "main"]);
    assert_eq!(remote_head(&t, "main"), Some(head(&d)));
    // A new branch: only its own commits are scanned.
    git(&d, &["checkout", "-q", "-b", "feature"]);
    write(&d, "feature.txt", "feature\n");
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-q", "-m", "feature"]);
    allowed(&d, &["push", "-q", "origin", "feature"]);
    // Deleting it sends nothing.
    allowed(&d, &["push", "-q", "origin", "--delete", "feature"]);
    assert_eq!(remote_head(&t, "feature"), None);
    // A new branch that adds a key: refused.
    git(&d, &["checkout", "-q", "-b", "leaky"]);
    let k = live("new-branch");
    write(&d, "leak.py", format!("KEY = '{k}'\n"));
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-q", "-m", "leak"]);
    refused(&d, &["push", "origin", "leaky"], &k);
    assert_eq!(remote_head(&t, "leaky"), None);
}

/// The pre-push command reads git's ref lines itself (a tag, several refs).
#[test]
fn pre_push_command_reads_refs_from_stdin() {
    let (_t, d) = pushing_repo();
    let base = head(&d);
    let k = live("stdin");
    write(&d, "app.py", format!("KEY = '{k}'\n"));
    git(&d, &["commit", "-q", "--no-verify", "-am", "key"]);
    let tip = head(&d);
    let zero = "0".repeat(40);
    let run = |input: String| {
        keysweep()
            .current_dir(&d)
            .args(["pre-push", "origin", "../remote.git"])
            .write_stdin(input)
            .output()
            .unwrap()
    };
    let out = run(format!("refs/heads/main {tip} refs/heads/main {base}\n"));
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let out = run(format!("(delete) {zero} refs/heads/gone {base}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("nothing to scan"));
    let out = run(format!("refs/heads/main {base} refs/heads/main {base}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run("not a ref line\n".into());
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
}

fn have_pre_commit() -> bool {
    let found = std::process::Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: pre-commit is not installed; .ci/run installs it for this test");
    }
    found
}

/// The hooks in `.pre-commit-hooks.yaml`, run by the real framework as a
/// local repository whose entry is this binary (language: system, so the
/// framework does not build keysweep).
#[test]
fn pre_commit_framework_hook_checks_what_it_is_asked_about() {
    if !have_pre_commit() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let exe = assert_cmd::cargo::cargo_bin("keysweep");
    let mut local = Vec::new();
    for hook in hooks.as_sequence().unwrap() {
        if hook["language"] == "system" {
            continue;
        }
        let mut h = hook.clone();
        let entry =
            h["entry"]
                .as_str()
                .unwrap()
                .replacen("keysweep", &exe.display().to_string(), 1);
        h["entry"] = entry.into();
        h["language"] = "system".into();
        local.push(h);
    }
    let config = serde_yaml::to_string(&serde_yaml::Value::Mapping(
        [(
            "repos".into(),
            serde_yaml::Value::Sequence(vec![serde_yaml::Value::Mapping(
                [
                    ("repo".into(), "local".into()),
                    ("hooks".into(), serde_yaml::Value::Sequence(local)),
                ]
                .into_iter()
                .collect(),
            )]),
        )]
        .into_iter()
        .collect(),
    ))
    .unwrap();
    let t = TempDir::new().unwrap();
    git(
        t.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let d = t.path().join("work");
    std::fs::create_dir_all(&d).unwrap();
    git(&d, &["init", "-q", "-b", "main"]);
    git(&d, &["remote", "add", "origin", "../remote.git"]);
    write(&d, ".pre-commit-config.yaml", config);
    write(&d, "app.py", "print('hello')\n");
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-q", "-m", "base"]);
    git(&d, &["push", "-q", "origin", "main"]);
    let home = t.path().join("pre-commit-home");
    let pc = |args: &[&str]| {
        std::process::Command::new("pre-commit")
            .current_dir(&d)
            .args(args)
            .env("PRE_COMMIT_HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.invalid")
            .output()
            .unwrap()
    };
    let out = pc(&["install", "-t", "pre-commit", "-t", "pre-push"]);
    assert!(out.status.success(), "{}", said(&out));
    // In a commit: `git commit -a` through the framework is refused.
    let k = live("framework");
    write(&d, "app.py", format!("KEY = '{k}'\n"));
    refused(&d, &["commit", "-am", "key"], &k);
    // A committed key: --all-files and a ref range both fail, never "Passed".
    git(&d, &["commit", "-q", "--no-verify", "-am", "key"]);
    let out = pc(&["run", "--all-files"]);
    assert!(!out.status.success(), "--all-files passed: {}", said(&out));
    assert!(said(&out).contains("Failed"), "{}", said(&out));
    write(&d, "app.py", "print('removed')\n");
    git(&d, &["commit", "-q", "--no-verify", "-am", "remove"]);
    let out = pc(&["run", "--from-ref", "HEAD~2", "--to-ref", "HEAD"]);
    assert!(!out.status.success(), "the range passed: {}", said(&out));
    // The tree is clean now, but the push sends the key's commit.
    let out = pc(&["run", "--all-files"]);
    assert!(out.status.success(), "{}", said(&out));
    let out = git_output(&d, &["push", "origin", "main"]);
    assert!(
        !out.status.success(),
        "the push went through: {}",
        said(&out)
    );
    assert!(!said(&out).contains(&k));
}
