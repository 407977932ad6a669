//! Working-tree scans: what is found, what is skipped, exit codes, bad input.

use super::{acme_rules, key, keysweep, scan_in, write};
use std::path::Path;
use tempfile::TempDir;

fn live(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

#[test]
fn finds_key_in_hidden_env_file_and_redacts_it() {
    let t = TempDir::new().unwrap();
    let k = live("env");
    write(t.path(), ".env", format!("STRIPE_SECRET_KEY={k}\n"));
    let (code, out, err) = scan_in(t.path(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(".env"), "{out}");
    assert!(out.contains("stripe-secret-key"), "{out}");
    assert!(
        out.contains(&format!("sk_live_****{}", &k[k.len() - 4..])),
        "{out}"
    );
    assert!(!out.contains(&k), "secret printed unredacted: {out}");
    assert!(err.contains("1 finding(s): 1 critical"), "{err}");
}

#[test]
fn show_secrets_prints_the_key() {
    let t = TempDir::new().unwrap();
    let k = live("show");
    write(t.path(), "config.py", format!("KEY = '{k}'\n"));
    let (code, out, _) = scan_in(t.path(), &["--show-secrets"]);
    assert_eq!(code, 1);
    assert!(out.contains(&k));
}

#[test]
fn exit_codes_follow_fail_on_and_exit_zero() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "a.env",
        format!("K={}\n", key("sk_test_{{alnum:24}}", "t")),
    );
    assert_eq!(scan_in(t.path(), &[]).0, 1);
    assert_eq!(scan_in(t.path(), &["--fail-on", "medium"]).0, 1);
    assert_eq!(scan_in(t.path(), &["--fail-on", "high"]).0, 0);
    assert_eq!(scan_in(t.path(), &["--exit-zero"]).0, 0);
    let clean = TempDir::new().unwrap();
    write(clean.path(), "main.rs", "fn main() {}\n");
    let (code, _, err) = scan_in(clean.path(), &[]);
    assert_eq!(code, 0);
    assert!(err.contains("no findings"), "{err}");
}

#[test]
fn honours_nested_gitignore_and_no_ignore() {
    let t = TempDir::new().unwrap();
    write(t.path(), ".gitignore", "secret.txt\n");
    write(t.path(), "sub/.gitignore", "*.log\n");
    write(t.path(), "secret.txt", format!("k={}\n", live("a")));
    write(t.path(), "sub/app.log", format!("k={}\n", live("b")));
    write(t.path(), "sub/app.txt", format!("k={}\n", live("c")));
    write(t.path(), ".ignore", "vendor/\n");
    write(t.path(), "vendor/x.txt", format!("k={}\n", live("d")));
    let (_, out, _) = scan_in(t.path(), &["--format", "json"]);
    let v: serde_json::Value = crate::report_json(&out);
    let paths = crate::finding_paths(&v);
    assert_eq!(paths, ["sub/app.txt"]);
    let (_, out, _) = scan_in(t.path(), &["--format", "json", "--no-ignore"]);
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 4, "{out}");
}

#[test]
fn never_descends_into_dot_git() {
    let t = TempDir::new().unwrap();
    write(t.path(), ".git/config", format!("token={}\n", live("g")));
    write(t.path(), ".git/objects/ab/cd", format!("{}\n", live("h")));
    let (code, out, _) = scan_in(t.path(), &["--no-ignore"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn skips_binary_and_large_files_and_lists_them() {
    let t = TempDir::new().unwrap();
    // A binary without a printable string of 8 characters: nothing to scan
    // (a binary with strings is scanned, see `binary.rs`).
    write(t.path(), "app.bin", b"\x7fELF\0\0\0\x01short\x02");
    write(
        t.path(),
        "big.txt",
        format!("{}\n{}", "x".repeat(4096), live("big")),
    );
    let (code, _, err) = scan_in(t.path(), &["--max-file-size", "1K"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("skipped 2 file(s): 1 binary, 1 too large")
            || err.contains("skipped 2 file(s): 1 too large, 1 binary"),
        "{err}"
    );
    assert!(err.contains("app.bin (binary)"), "{err}");
    assert!(err.contains("big.txt (too large: 4.0 KiB)"), "{err}");
}

#[test]
fn a_100_mb_file_is_skipped_not_read() {
    let t = TempDir::new().unwrap();
    let f = std::fs::File::create(t.path().join("huge.dat")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let (code, _, err) = scan_in(t.path(), &["--format", "json"]);
    assert_eq!(code, 0);
    assert!(err.contains("huge.dat (too large: 100.0 MiB)"), "{err}");
}

#[test]
fn decodes_utf16_with_bom() {
    let t = TempDir::new().unwrap();
    let text = format!("$env:STRIPE_KEY = \"{}\"\r\n", live("u16"));
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    write(t.path(), "le.ps1", le);
    write(t.path(), "be.ps1", be);
    let (code, out, _) = scan_in(t.path(), &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 2, "{out}");
    assert_eq!(v["findings"][0]["column"], 20);
}

#[test]
fn invalid_utf8_around_a_key_does_not_hide_it() {
    let t = TempDir::new().unwrap();
    let mut data = b"caf\xe9 \xff\xfe key=".to_vec();
    data.extend(live("inv").as_bytes());
    data.extend(b" \xc3\n");
    write(t.path(), "latin1.txt", data);
    let (code, out, _) = scan_in(t.path(), &[]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn inline_allow_suppresses_and_is_counted() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "payments.py",
        format!(
            "KEY = '{}'  # keysweep:allow test fixture\nOTHER = '{}'\n",
            live("x"),
            live("y")
        ),
    );
    let (code, out, err) = scan_in(t.path(), &[]);
    assert_eq!(code, 1);
    assert!(out.contains("payments.py"));
    assert_eq!(out.matches("stripe-secret-key").count(), 1, "{out}");
    assert!(
        err.contains("suppressed 1 finding(s) by inline keysweep:allow"),
        "{err}"
    );
}

#[test]
fn provider_doc_placeholders_are_not_findings() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/provider-doc-placeholders.md");
    let (code, out, err) = scan_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[fixture.to_str().unwrap(), "--no-ignore"],
    );
    assert_eq!(code, 0, "placeholders reported:\n{out}{err}");
    assert!(err.contains("scanned 1 file"), "{err}");
}

#[test]
fn provider_pages_in_shared_are_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/providers");
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    let (code, out, err) = scan_in(&dir, &["."]);
    assert_eq!(code, 0, "provider doc pages produced findings:\n{out}{err}");
}

#[test]
fn missing_path_is_a_one_line_error_with_exit_2() {
    let t = TempDir::new().unwrap();
    let (code, out, err) = scan_in(t.path(), &["nope/missing"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "keysweep: error: nope/missing: no such file or directory"
    );
}

#[test]
fn bad_flags_exit_2() {
    let t = TempDir::new().unwrap();
    assert_eq!(scan_in(t.path(), &["--max-file-size", "lots"]).0, 2);
    assert_eq!(scan_in(t.path(), &["--format", "xml"]).0, 2);
    assert_eq!(scan_in(t.path(), &["--threads", "0"]).0, 2);
    let (code, _, err) = scan_in(t.path(), &["--rule", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule id `no-such-rule`"), "{err}");
}

#[test]
fn broken_symlink_is_a_warning_not_an_error() {
    let t = TempDir::new().unwrap();
    write(t.path(), "ok.txt", "hello\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(t.path().join("gone"), t.path().join("dangling")).unwrap();
    let (code, _, err) = scan_in(t.path(), &[]);
    assert_eq!(code, 0, "{err}");
    #[cfg(unix)]
    assert!(err.contains("warning:  dangling (broken symlink)"), "{err}");
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new().unwrap();
    write(t.path(), "locked.txt", "k\n");
    let p = t.path().join("locked.txt");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        eprintln!("skipping: running as a user who can read mode-000 files (root)");
        return;
    }
    let (code, _, err) = scan_in(t.path(), &[]);
    assert_eq!(code, 0);
    assert!(err.contains("locked.txt (unreadable"), "{err}");
}

#[test]
fn symlinks_are_counted_and_followed_only_with_follow() {
    let t = TempDir::new().unwrap();
    let outside = TempDir::new().unwrap();
    write(outside.path(), "target.env", format!("K={}\n", live("sym")));
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("target.env"), t.path().join("link.env"))
        .unwrap();
    let (code, _, err) = scan_in(t.path(), &[]);
    assert_eq!(code, 0);
    assert!(err.contains("1 symlink"), "{err}");
    let (code, out, _) = scan_in(t.path(), &["--follow"]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn deep_trees_and_many_paths() {
    let t = TempDir::new().unwrap();
    let deep: String = (0..120).map(|i| format!("d{i}/")).collect();
    write(
        t.path(),
        &format!("{deep}leak.txt"),
        format!("k={}\n", live("deep")),
    );
    write(t.path(), "a/one.txt", format!("k={}\n", live("one")));
    write(t.path(), "b/two.txt", format!("k={}\n", live("two")));
    let (code, out, _) = scan_in(t.path(), &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
    let (_, out, _) = scan_in(t.path(), &["a", "b/two.txt", "--format", "json"]);
    let v: serde_json::Value = crate::report_json(&out);
    let paths = crate::finding_paths(&v);
    assert_eq!(paths, ["a/one.txt", "b/two.txt"]);
}

#[test]
fn output_is_identical_across_thread_counts() {
    let t = TempDir::new().unwrap();
    for i in 0..40 {
        write(
            t.path(),
            &format!("dir{}/f{i}.env", i % 7),
            format!(
                "A={}\nB={}\n",
                live(&format!("a{i}")),
                key("ghp_{{alnum:36}}", &i.to_string())
            ),
        );
    }
    let (_, one, _) = scan_in(t.path(), &["--threads", "1", "--format", "json", "--quiet"]);
    let (_, many, _) = scan_in(t.path(), &["--threads", "4", "--format", "json", "--quiet"]);
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("elapsed_seconds"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&one), strip(&many));
}

#[test]
fn rule_selection_and_custom_rules() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "a.txt",
        format!("{}\n{}\n", live("sel"), key("sk_test_{{alnum:24}}", "sel")),
    );
    let (_, out, _) = scan_in(
        t.path(),
        &["--rule", "stripe-test-secret-key", "--format", "json"],
    );
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["rule_id"], "stripe-test-secret-key");
    let (_, out, _) = scan_in(
        t.path(),
        &["--disable-rule", "stripe-secret-key", "--format", "json"],
    );
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);

    write(
        t.path(),
        "rules/acme.toml",
        acme_rules(r#""acme_{{lower:20}}""#, ""),
    );
    write(
        t.path(),
        "b.txt",
        format!("{}\n", key("acme_{{lower:20}}", "acme")),
    );
    let (code, out, _) = scan_in(t.path(), &["b.txt", "--rules", "rules", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["findings"][0]["rule_id"], "acme-token");
}

#[test]
fn invalid_rules_file_names_the_file() {
    let t = TempDir::new().unwrap();
    write(t.path(), "bad.toml", "[[rules]]\nid = \"x\"\nname = 3\n");
    let (code, _, err) = scan_in(t.path(), &["--rules", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("keysweep: error: --rules bad.toml: bad.toml:3:8: "),
        "{err}"
    );
    assert!(err.contains("3:8:"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    write(t.path(), "noregex.toml", "[[rules]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = '(abc'\n");
    let (code, _, err) = scan_in(t.path(), &["--rules", "noregex.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("noregex.toml: rule `x`: regex"), "{err}");
}

#[test]
fn terminal_escapes_in_names_and_lines_are_escaped() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "evil\x1b[2J.txt",
        format!("\x1b]0;pwned\x07 k={}\n", live("esc")),
    );
    let (code, out, _) = scan_in(t.path(), &["--color", "never"]);
    assert_eq!(code, 1);
    assert!(!out.contains('\x1b'), "raw escape in output: {out:?}");
    assert!(out.contains("evil\\u{1b}[2J.txt"), "{out}");
}

#[test]
fn help_and_version_exit_0() {
    keysweep().arg("--help").assert().success();
    keysweep().args(["scan", "--help"]).assert().success();
    keysweep().arg("--version").assert().success();
}
