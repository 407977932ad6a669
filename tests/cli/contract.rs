//! Output and argument contracts tools rely on (issue 21, first part), each
//! run through the binary: exit codes that survive a closed stdout,
//! `--output -`, size limits at the edge, and errors said once.

use super::{keysweep, live_key as live, said, write};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use tempfile::TempDir;

#[test]
fn a_closed_stdout_still_exits_1_and_prints_the_summary() {
    let t = TempDir::new().unwrap();
    let body: String = (0..3000)
        .map(|i| format!("K{i}={}\n", live(&format!("pipe{i}"))))
        .collect();
    write(t.path(), "many.env", body);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("keysweep"))
        .current_dir(t.path())
        .env_remove("NO_COLOR")
        .args([
            "scan",
            ".",
            "--color",
            "never",
            "--max-findings-per-file",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("many.env"), "{first}");
    // The reader is gone (as `| head -1` does); the rest of the report has
    // nowhere to go.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3000 finding(s)"), "{err}");
}

#[test]
fn output_dash_means_stdout() {
    let t = TempDir::new().unwrap();
    write(t.path(), "a.py", format!("K = '{}'\n", live("dash")));
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "json", "--output", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let doc: serde_json::Value = crate::report_json(&out.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert!(!t.path().join("-").exists(), "a file named - was written");
}

#[test]
fn max_file_size_at_the_maximum_still_reads_files() {
    let t = TempDir::new().unwrap();
    write(t.path(), "a.py", format!("K = '{}'\n", live("max")));
    for size in ["18446744073709551615", "16E"] {
        let out = keysweep()
            .current_dir(t.path())
            .args(["scan", ".", "--max-file-size", size])
            .output()
            .unwrap();
        let code = out.status.code();
        if size == "16E" {
            assert_eq!(code, Some(2), "an unknown unit is refused: {}", said(&out));
        } else {
            assert_eq!(code, Some(1), "the file was read as empty: {}", said(&out));
        }
    }
}

#[test]
fn error_messages_are_said_once() {
    let t = TempDir::new().unwrap();
    let out = keysweep()
        .current_dir(t.path())
        .args(["rules", "check", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.starts_with("keysweep: error: nope.toml"), "{err}");
}

#[test]
fn revoke_rejects_the_verification_flags_it_would_ignore() {
    for flag in ["--only-verified", "--fail-on-live", "--verify"] {
        let out = keysweep()
            .args(["revoke", "0123456789abcdef0123456789abcdef", flag])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", said(&out));
        assert!(
            said(&out).contains("unexpected argument"),
            "{flag}: {}",
            said(&out)
        );
    }
    // What revoke does use is still there.
    let out = keysweep().args(["revoke", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--verify-endpoint") && help.contains("--verify-timeout"),
        "{help}"
    );
}

#[test]
fn each_skipped_path_is_listed_once() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    super::git(d, &["init", "-q", "-b", "main"]);
    for (i, n) in [3000, 4000].iter().enumerate() {
        let text: String = (0..*n)
            .map(|j| format!("{:x}", (j * 7919 + i) % 16))
            .collect();
        write(d, "big.txt", text);
        super::git(d, &["add", "-A"]);
        super::git(d, &["commit", "-q", "-m", "version"]);
    }
    let out = keysweep()
        .current_dir(d)
        .args(["history", "--max-file-size", "1K", "--color", "never"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped 2 file(s) at 1 path(s): 2 too large"),
        "{err}"
    );
    assert_eq!(err.matches("  big.txt (too large").count(), 1, "{err}");
    assert!(!err.contains("))"), "{err}");
}

/// `-j 1000` where the process cannot have that many threads (here: an
/// address-space limit too small for their stacks, which holds for root as
/// well, unlike a process-count limit): one line naming the flag, exit 2,
/// for the tree walk and the history walk alike. The same limit with four
/// threads scans normally, so the limit itself is not what fails.
#[test]
fn threads_that_cannot_start_are_an_error_not_a_panic() {
    let t = TempDir::new().unwrap();
    write(t.path(), "a.txt", "nothing here\n");
    let bin = assert_cmd::cargo::cargo_bin("keysweep");
    let run = |args: &str| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -v 600000 && exec '{}' {args}",
                bin.display()
            ))
            .current_dir(t.path())
            .output()
            .unwrap()
    };
    let fine = run("scan -j 4 .");
    assert_eq!(fine.status.code(), Some(0), "{}", said(&fine));
    super::git(t.path(), &["init", "-q"]);
    super::git(t.path(), &["add", "-A"]);
    super::git(t.path(), &["commit", "-qm", "one"]);
    for args in ["scan -j 1000 .", "history -j 1000 ."] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args}: {}", said(&out));
        assert!(
            err.starts_with("keysweep: error: --threads 1000: cannot start 1000 threads"),
            "{args}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// One progress display across the commit walk and the blob scan, on a
/// terminal only (a pty from `script`), with whole-number rates; nothing of
/// it when stderr is a pipe.
#[cfg(unix)]
#[test]
fn progress_shows_the_walk_and_the_scan_only_on_a_terminal() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    super::git(d, &["init", "-q"]);
    let text = "some ordinary text for the scanner to read\n".repeat(50);
    for c in 0..40 {
        for f in 0..10 {
            write(d, &format!("d{c}/f{f}.txt"), format!("{c} {f}\n{text}"));
        }
        super::git(d, &["add", "-A"]);
        super::git(d, &["commit", "-qm", &format!("commit {c}")]);
    }
    let bin = assert_cmd::cargo::cargo_bin("keysweep");
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("'{}' history .", bin.display()),
            "/dev/null",
        ])
        .current_dir(d)
        .env("TERM", "xterm")
        .output()
        .expect("script(1) from util-linux runs");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{tty}");
    for phase in ["listing commits", "walking commits", "scanning blobs"] {
        assert!(tty.contains(phase), "{phase}: {tty}");
    }
    assert!(tty.contains("/40 ("), "the commits counted: {tty}");
    assert!(tty.contains("/400, "), "the blobs counted: {tty}");
    let long_rate = regex::Regex::new(r"\.\d{2,}/s").unwrap();
    assert!(!long_rate.is_match(&tty), "{tty}");
    let piped = keysweep().current_dir(d).arg("history").output().unwrap();
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(!err.contains("commits") && !err.contains('\r'), "{err}");
}

/// Flags that would do nothing in a combination are refused by the parser
/// (exit 2, one usage error naming them), never ignored: --quiet with
/// --verbose, --exit-zero with --fail-on or --fail-on-live, --fail-on with
/// --fail-on-live, the verification options without verification, and
/// --verify-concurrency for revoke (one call).
#[test]
fn flags_that_do_nothing_are_rejected_by_the_parser() {
    let t = TempDir::new().unwrap();
    write(t.path(), "a.txt", "nothing\n");
    let refused: &[(&[&str], &str)] = &[
        (
            &["scan", ".", "--quiet", "--verbose"],
            "'--quiet' cannot be used with '--verbose'",
        ),
        (
            &["scan", ".", "--exit-zero", "--fail-on", "high"],
            "'--exit-zero' cannot be used with '--fail-on",
        ),
        (
            &["history", "--exit-zero", "--fail-on-live"],
            "'--exit-zero' cannot be used with '--fail-on-live'",
        ),
        (
            &["staged", "--fail-on", "high", "--fail-on-live"],
            "cannot be used with '--fail-on-live'",
        ),
        (
            &["scan", ".", "--verify-timeout", "5"],
            "<--verify|--only-verified|--fail-on-live>",
        ),
        (
            &["history", "--verify-concurrency", "4"],
            "<--verify|--only-verified|--fail-on-live>",
        ),
        (
            &["pre-push", "--verify-endpoint", "r=http://127.0.0.1:1"],
            "<--verify|--only-verified|--fail-on-live>",
        ),
        (
            &["scan", ".", "--verify-provider", "stripe-secret-key=stripe"],
            "<--verify|--only-verified|--fail-on-live>",
        ),
        (
            &["revoke", "--verify-concurrency", "3", "0123"],
            "unexpected argument '--verify-concurrency'",
        ),
        (&["scan", ".", "--annotate", "github"], "--output"),
    ];
    for (args, says) in refused {
        let out = keysweep()
            .current_dir(t.path())
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", said(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // With verification on, the same options are taken.
    for args in [
        &["scan", ".", "--verify", "--verify-timeout", "5"][..],
        &["scan", ".", "--only-verified", "--verify-concurrency", "2"],
        &["scan", ".", "--quiet"],
        &["scan", ".", "--fail-on", "high"],
    ] {
        let out = keysweep()
            .current_dir(t.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", said(&out));
    }
}

/// Numeric arguments at their edges: a one-line error naming the flag
/// (exit 2) where a value cannot be honoured, and no wrap-around where it
/// can (`--max-key-age` at the maximum once made every key stale; `-j` at
/// the maximum once panicked allocating).
#[test]
fn numeric_arguments_are_bounded_with_one_line_errors() {
    let t = TempDir::new().unwrap();
    let max = u64::MAX.to_string();
    let now = super::now_secs();
    write(
        t.path(),
        "old.env",
        format!(
            "INFEREXAI_API_KEY={}\n",
            super::jwt_live_key("user_1", "key-1", now - 10 * 86_400, "edge")
        ),
    );
    for (args, says) in [
        (
            vec!["-j", max.as_str()],
            format!("--threads {max}: at most 1024"),
        ),
        (
            vec!["-j", "1025"],
            "--threads 1025: at most 1024".to_string(),
        ),
        (
            vec!["--verify", "--verify-concurrency", max.as_str()],
            format!("--verify-concurrency {max}: at most 1024"),
        ),
        (
            vec!["--verify", "--verify-timeout", max.as_str()],
            format!("--verify-timeout {max}: at most 3600 seconds"),
        ),
    ] {
        let out = keysweep()
            .current_dir(t.path())
            .arg("scan")
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim(), format!("keysweep: error: {says}"), "{args:?}");
    }
    let tags = |age: &str| -> Vec<String> {
        let out = keysweep()
            .current_dir(t.path())
            .args(["scan", ".", "--format", "json", "--max-key-age", age])
            .output()
            .unwrap();
        let doc = crate::report_json(&out.stdout);
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                let mut all = vec![f["rule_id"].as_str().unwrap().to_string()];
                all.extend(
                    f["tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().to_string()),
                );
                all
            })
            .collect()
    };
    assert!(tags("5").contains(&"stale-key".to_string()));
    assert!(
        !tags(&max).contains(&"stale-key".to_string()),
        "a 10-day-old key is not older than the maximum"
    );
}

/// A parse error is printed as the parser gives it, line by line, after
/// `file:line:col:`, with nothing of the file's content (a half-written
/// key stays unprinted); grammar tokens the parser expected are kept.
#[test]
fn parse_errors_keep_the_parsers_lines_without_file_content() {
    let t = TempDir::new().unwrap();
    let k = live("toml");
    write(t.path(), "bad.toml", "[[rules]]\nid = \"x\"\nname = \n");
    write(
        t.path(),
        "sec.toml",
        format!("[[rules]]\nid = \"x\"\nname = \"{k}\n"),
    );
    write(t.path(), "cfg.toml", format!("fail_on = \"{k}\"\n"));
    let run = |args: &[&str]| {
        let out = keysweep()
            .current_dir(t.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", said(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["rules", "check", "bad.toml"]);
    assert_eq!(
        err, "keysweep: error: bad.toml:3:8: invalid string\n  expected `\"`, `'`\n",
        "{err}"
    );
    let err = run(&["scan", ".", "--config", "bad.toml"]);
    assert!(
        err.starts_with("keysweep: error: bad.toml:3:8: invalid string\n  expected"),
        "{err}"
    );
    for args in [
        &["rules", "check", "sec.toml"][..],
        &["scan", ".", "--config", "cfg.toml"],
    ] {
        let err = run(args);
        assert!(!err.contains(&k[8..]), "{args:?} echoed the file: {err}");
        assert!(err.starts_with("keysweep: error: "), "{err}");
        assert!(err.contains(".toml:"), "{err}");
    }
}
