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
        .args(["scan", ".", "--color", "never"])
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
