//! The second round of attacks: what a contributor controls (a commit
//! message, a file's first lines, the repository's rules and settings, an
//! inline allow, content the scanner skips, a dangling ref) must not hide a
//! key or print it. Each test sets the attack up the way an attacker would
//! (real `git commit`, real `git push` to a local bare remote, the mock
//! provider on 127.0.0.1) and asserts the exit code and that the full
//! secret appears in no output.

use super::gates::pushing_repo;
use super::mock::Mock;
use super::{git, git_output, key, keysweep, live_key as live, said, write};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

fn run(dir: &Path, args: &[&str]) -> Output {
    keysweep().current_dir(dir).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    crate::try_report_json(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", said(out)))
}

/// A GitHub-classic-shaped token (never a real one).
fn ghp(seed: &str) -> String {
    key("ghp_{{alnum:36}}", seed)
}

/// A repository with one clean commit on `main`.
fn repo() -> TempDir {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "README", "hello\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    t
}

fn head(d: &Path) -> String {
    git(d, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Every report format of one command, run in `d`: each output (report on
/// stdout, summary on stderr) must leave out every one of `secrets`; the
/// exit codes are returned.
fn no_format_prints(d: &Path, args: &[&str], secrets: &[&str]) -> Vec<i32> {
    let mut codes = Vec::new();
    for format in ["text", "json", "sarif", "github", "html"] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        let out = run(d, &all);
        let text = said(&out);
        for s in secrets {
            assert!(
                !text.contains(s),
                "--format {format} printed a secret: {text}"
            );
        }
        codes.push(out.status.code().unwrap_or(-1));
    }
    codes
}

/// Case 1: a key in a commit message (and in an annotated tag's) is found,
/// reported at the commit, and printed in no format, in the commit's
/// summary least of all.
#[test]
fn a_key_in_a_commit_message_is_found_and_never_printed() {
    let t = repo();
    let d = t.path();
    let (k1, k2) = (ghp("message"), ghp("tag-message"));
    write(d, "ci.yml", "steps: []\n");
    git(d, &["add", "-A"]);
    git(
        d,
        &["commit", "-q", "-m", &format!("ci: set GITHUB_TOKEN={k1}")],
    );
    git(d, &["tag", "-a", "v1", "-m", &format!("release with {k2}")]);
    let k3 = ghp("note");
    git(d, &["notes", "add", "-m", &format!("deployed with {k3}")]);
    let codes = no_format_prints(d, &["history"], &[&k1, &k2, &k3]);
    assert_eq!(codes, vec![1; 5]);
    let doc = json(&run(d, &["history", "--format", "json"]));
    let found: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["provenance"]["commit"].as_str().unwrap(),
            )
        })
        .collect();
    let commit = head(d);
    assert!(
        found.contains(&("(commit message)", commit.as_str())),
        "{found:?}"
    );
    assert!(
        found.contains(&("(tag message v1)", commit.as_str())),
        "{found:?}"
    );
    // A note is a blob under refs/notes/commits, named by its commit.
    assert!(found.iter().any(|(p, _)| *p == commit), "{found:?}");
    let summary = doc["findings"][0]["provenance"]["summary"]
        .as_str()
        .unwrap();
    assert!(
        summary.starts_with("ci: set GITHUB_TOKEN=ghp_****"),
        "{summary}"
    );
}

/// Case 1 at the gate: a push whose commit message holds a key is refused.
#[test]
fn a_push_with_a_key_in_a_commit_message_is_refused() {
    let (t, d) = pushing_repo();
    let k = ghp("pushed-message");
    write(&d, "app.py", "print('changed')\n");
    git(
        &d,
        &[
            "commit",
            "-q",
            "-am",
            &format!("deploy with token {k} # keysweep:allow"),
        ],
    );
    let out = git_output(&d, &["push", "origin", "main"]);
    let text = said(&out);
    assert!(!out.status.success(), "the push went through: {text}");
    assert!(text.contains("(commit message)"), "{text}");
    assert!(!text.contains(&k), "the hook printed the key");
    let remote = git_output(
        &t.path().join("remote.git"),
        &["log", "--format=%s", "main"],
    );
    assert!(!String::from_utf8_lossy(&remote.stdout).contains("deploy"));
}

/// A Git LFS pointer's header followed by anything else.
fn lfs_disguised(keys: &[String]) -> String {
    let mut s = "version https://git-lfs.github.com/spec/v1\n\
                 oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
                 size 1200000\n"
        .to_string();
    for (i, k) in keys.iter().enumerate() {
        s.push_str(&format!("STRIPE_KEY_{i}={k}\n"));
    }
    s
}

/// Case 2: three LFS-pointer lines at the top of a file do not hide it
/// from the commit hook, the push hook, `--range` or `history`; a real
/// pointer is still passed over (and `--fail-on-skipped` fails on it).
#[test]
fn an_lfs_header_does_not_hide_a_file_from_any_gate() {
    let keys: Vec<String> = (0..50).map(|i| live(&format!("lfs-{i}"))).collect();
    let (_t, d) = pushing_repo();
    let out = run(&d, &["install-hook"]);
    assert!(out.status.success(), "{}", said(&out));
    let base = head(&d);
    write(&d, ".env.production", lfs_disguised(&keys));
    git(&d, &["add", "-A"]);
    let out = git_output(&d, &["commit", "-m", "lfs"]);
    assert!(!out.status.success(), "the commit hook let it through");
    assert!(!said(&out).contains(&keys[0]));
    git(&d, &["commit", "-q", "--no-verify", "-m", "lfs"]);
    let out = git_output(&d, &["push", "origin", "main"]);
    assert!(!out.status.success(), "the push hook let it through");
    assert!(!said(&out).contains(&keys[0]));
    let range = format!("{base}..HEAD");
    for args in [&["history", "--range", &range][..], &["history"][..]] {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = run(&d, &all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", said(&out));
        let doc = json(&out);
        let n = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "stripe-secret-key")
            .count();
        assert_eq!(n, keys.len(), "{args:?}");
        assert!(!said(&out).contains(&keys[7]));
    }
    // A real pointer: skipped, and listed; a required check can fail on it.
    write(
        &d,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\n\
         oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
         size 12\n",
    );
    git(&d, &["rm", "-q", "--cached", ".env.production"]);
    std::fs::remove_file(d.join(".env.production")).unwrap();
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-q", "--no-verify", "-m", "pointer"]);
    let range = format!("{}..HEAD", git(&d, &["rev-parse", "HEAD~1"]).trim());
    let out = run(&d, &["history", "--range", &range]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run(&d, &["history", "--range", &range, "--fail-on-skipped"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("model.bin: git lfs pointer"),
        "{}",
        said(&out)
    );
}

/// Case 3: a repository rule shaped like a built-in one, at a higher
/// severity, neither replaces the built-in finding nor switches off
/// `--fail-on-live` or `--only-verified`.
#[test]
fn a_repository_rule_cannot_shadow_a_built_in_one() {
    let mock = Mock::start();
    let t = repo();
    let d = t.path();
    write(
        d,
        "ks-rules.toml",
        r#"
[[rules]]
id = "our-github-token"
name = "Our GitHub token"
description = "Ours."
severity = "critical"
keywords = ["ghp_"]
regex = '\b(?P<secret>ghp_[A-Za-z0-9]{36})\b'
"#,
    );
    write(d, ".keysweep.toml", "rules = [\"ks-rules.toml\"]\n");
    let k = ghp("shadow");
    write(d, "deploy.sh", format!("export GITHUB_TOKEN={k}\n"));
    let ep = format!("github-pat-classic={}", mock.url("/live"));
    let base = [
        "scan",
        ".",
        "--verify",
        "--verify-endpoint",
        &ep,
        "--format",
        "json",
    ];
    let mut args = base.to_vec();
    args.push("--fail-on-live");
    let out = run(d, &args);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(!said(&out).contains(&k));
    let doc = json(&out);
    let rules: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["verification"]["status"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert!(rules.contains(&("github-pat-classic", "live")), "{rules:?}");
    assert!(
        rules.iter().any(|(r, _)| *r == "our-github-token"),
        "{rules:?}"
    );
    let mut args = base.to_vec();
    args.push("--only-verified");
    let doc = json(&run(d, &args));
    assert_eq!(doc["findings"][0]["rule_id"], "github-pat-classic");
    assert_eq!(mock.seen().len(), 2, "the built-in endpoint was asked");
}

/// Case 4: an inline allow the pull request adds does not silence its own
/// key: the key is reported, tagged, and SARIF shows the suppression as
/// rejected; an allow the base already had still applies; a marker inside
/// a string literal is no allow anywhere.
#[test]
fn an_inline_allow_added_by_the_range_does_not_apply() {
    let t = repo();
    let d = t.path();
    let reviewed = live("reviewed-fixture");
    write(
        d,
        "fixture.py",
        format!("K = '{reviewed}'  # keysweep:allow\n"),
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "reviewed fixture"]);
    let base = head(d);
    let k = live("self-allowed");
    write(
        d,
        "fixture.py",
        format!("K = '{reviewed}'  # keysweep:allow\nJ = '{k}'  # keysweep:allow\n"),
    );
    write(d, "README", "hello again\n");
    // A new file: every line of it is one the range adds.
    let k2 = live("self-allowed-new-file");
    write(
        d,
        "new_fixture.py",
        format!("K = '{k2}'  # keysweep:allow\n"),
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "add keys and allow them"]);
    let range = format!("{base}..HEAD");
    let out = run(d, &["history", "--range", &range, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    let at: Vec<(&str, u64)> = findings
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        at,
        [("fixture.py", 2), ("new_fixture.py", 1)],
        "{findings:?}"
    );
    for f in findings {
        assert_eq!(f["tags"][0], "allow-added-in-range");
    }
    let out = run(d, &["history", "--range", &range, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["status"], "rejected", "{result}");
    assert!(!said(&out).contains(&k) && !said(&out).contains(&k2));
    // In the work tree the developer's own allow applies, in a comment only.
    let out = run(d, &["scan", "fixture.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    write(
        d,
        "in_string.py",
        format!("K = '{k}'; NOTE = '# keysweep:allow'\n"),
    );
    let out = run(d, &["scan", "in_string.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    write(d, "go.go", format!("var k = \"{k}\" # keysweep:allow\n"));
    let out = run(d, &["scan", "go.go"]);
    assert_eq!(out.status.code(), Some(1), "`#` is no comment in Go");
}

/// Case 5: `--config` naming the repository's own file reads the base's
/// copy in a range; a new branch's push reads the remote default branch's
/// settings, not the pushed commits'.
#[test]
fn a_range_or_push_cannot_allowlist_itself_through_config() {
    let t = repo();
    let d = t.path();
    let base = head(d);
    write(d, ".keysweep.toml", "[allow]\npaths = [\"**\"]\n");
    let k = live("config-route");
    write(d, "app.py", format!("K = '{k}'\n"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "allow everything"]);
    let range = format!("{base}..HEAD");
    let out = run(
        d,
        &["history", "--range", &range, "--config", ".keysweep.toml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(text.contains("not in the base commit"), "{text}");
    assert!(text.contains("settings-changed-in-range"), "{text}");
    assert!(!text.contains(&k));
    // A baseline the range writes for its own key, named with --baseline:
    // read from the base, where it is not.
    let out = run(d, &["scan", "app.py", "--write-baseline", "own.json"]);
    assert!(out.status.success(), "{}", said(&out));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "baseline my own key"]);
    let out = run(
        d,
        &[
            "history",
            "--range",
            &range,
            "--baseline",
            "own.json",
            "--no-config",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("--baseline own.json: not in the base commit"));
    // A --config file outside the repository is the user's own: it applies.
    let own = TempDir::new().unwrap();
    write(own.path(), "ks.toml", "[allow]\npaths = [\"app.py\"]\n");
    let cfg = own.path().join("ks.toml");
    let out = run(
        d,
        &[
            "history",
            "--range",
            &range,
            "--config",
            cfg.to_str().unwrap(),
            "--disable-rule",
            "settings-changed-in-range",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // A new branch pushed with an allow-all config and a key: refused.
    let (_r, w) = pushing_repo();
    git(&w, &["checkout", "-q", "-b", "feature"]);
    write(
        &w,
        ".keysweep.toml",
        "[allow]\npaths = [\"**\"]\nsecrets = [\".*\"]\n",
    );
    let k = live("new-branch-config");
    write(&w, "leak.py", format!("K = '{k}'\n"));
    git(&w, &["add", "-A"]);
    git(&w, &["commit", "-q", "-m", "feature"]);
    let out = git_output(&w, &["push", "origin", "feature"]);
    assert!(
        !out.status.success(),
        "the push went through: {}",
        said(&out)
    );
    assert!(!said(&out).contains(&k));
}

/// Case 6: skipped content can fail a run; a repository may turn the check
/// on but not off.
#[test]
fn skipped_content_can_fail_the_run() {
    let t = repo();
    let d = t.path();
    let base = head(d);
    let k = live("too-large");
    let mut big = format!("K={k}\n");
    big.push_str(&"x".repeat(3000));
    write(d, "big.env", big);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "big"]);
    let range = format!("{base}..HEAD");
    let args = ["history", "--range", &range, "--max-file-size", "1000"];
    let out = run(d, &args);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let mut with = args.to_vec();
    with.push("--fail-on-skipped");
    let out = run(d, &with);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(text.contains("big.env: too large"), "{text}");
    assert!(!text.contains(&k));
    // The working tree's config turns it on for a tree scan.
    write(d, ".keysweep.toml", "fail_on_skipped = true\n");
    let out = run(d, &["scan", ".", "--max-file-size", "1000"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    // ... and cannot turn the flag off.
    write(d, ".keysweep.toml", "fail_on_skipped = false\n");
    let out = run(
        d,
        &["scan", ".", "--max-file-size", "1000", "--fail-on-skipped"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("may not turn the check off"));
}

/// Case 8: a ref to an object that is not there is incomplete history.
#[test]
fn a_ref_to_a_missing_object_is_incomplete_history() {
    let t = repo();
    let d = t.path();
    let ghost = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(d.join(".git/refs/heads/ghost"), format!("{ghost}\n")).unwrap();
    let out = run(d, &["history", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let doc = json(&out);
    let incomplete = doc["summary"]["incomplete"].as_array().unwrap();
    assert!(
        incomplete.iter().any(|u| u["object"] == ghost
            && u["paths"][0].as_str().unwrap().contains("refs/heads/ghost")),
        "{incomplete:?}"
    );
}

/// Case 9: a `.keysweep.toml` that is a symlink out of the repository is
/// refused unread; bidirectional controls in a name are shown escaped.
#[test]
fn symlinked_config_and_bidi_names() {
    let outside = TempDir::new().unwrap();
    write(
        outside.path(),
        "secret.toml",
        "not = toml = at all, with a secret line\n",
    );
    let t = repo();
    let d = t.path();
    std::os::unix::fs::symlink(outside.path().join("secret.toml"), d.join(".keysweep.toml"))
        .unwrap();
    let k = live("bidi");
    write(d, "invoice\u{202E}txt.env", format!("K={k}\n"));
    let out = run(d, &["scan", "."]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("outside the repository (ignored)"), "{text}");
    assert!(!text.contains("secret line"), "{text}");
    assert!(!text.contains('\u{202E}'), "{text}");
    assert!(text.contains("invoice\\u{202E}txt.env"), "{text}");
    let out = run(d, &["scan", ".", "--format", "html"]);
    assert!(!said(&out).contains('\u{202E}'));
}

/// A path deeper than the system allows (built by `cd` into each new
/// directory) is listed as unreadable, and fails the run under
/// `--fail-on-skipped`.
#[test]
fn a_path_too_deep_to_open_fails_under_fail_on_skipped() {
    let t = TempDir::new().unwrap();
    let k = live("deep");
    let seg = "d".repeat(200);
    let script = format!(
        "for i in $(seq 25); do mkdir {seg} && cd -P {seg} || exit 1; done; echo 'K={k}' > k.env"
    );
    let made = std::process::Command::new("bash")
        .current_dir(t.path())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(made.success());
    let out = run(t.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("unreadable"), "{}", said(&out));
    let out = run(t.path(), &["scan", ".", "--fail-on-skipped"]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("--fail-on-skipped"), "{text}");
    assert!(!text.contains(&k), "{text}");
}

/// Case 9: a run killed (SIGKILL) while it writes `--output` leaves no
/// file behind: the report is written to an unnamed file until complete.
/// The test waits until the process holds a file open in the output
/// directory (the report being written), then kills it.
#[cfg(target_os = "linux")]
#[test]
fn sigkill_during_output_leaves_no_temporary_file() {
    let t = TempDir::new().unwrap();
    let src = t.path().join("src");
    let out_dir = t.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("K{i} = '{}'\n", live(&format!("kill-{i}"))));
    }
    write(&src, "many.py", &body);
    let bin = assert_cmd::cargo::cargo_bin("keysweep");
    let mut child = std::process::Command::new(bin)
        .current_dir(&src)
        .args(["scan", ".", "--format", "html", "--output"])
        .arg(out_dir.join("report.html"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let fds = format!("/proc/{}/fd", child.id());
    let canon = out_dir.canonicalize().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut caught = false;
    while std::time::Instant::now() < deadline {
        let open_in_out = std::fs::read_dir(&fds).ok().is_some_and(|entries| {
            entries
                .flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .any(|target| target.starts_with(&canon))
        });
        if open_in_out {
            child.kill().unwrap();
            caught = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = child.wait();
    assert!(caught, "never saw the report being written");
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
