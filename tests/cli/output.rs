//! Report formats: snapshots of text, JSON and SARIF; SARIF validated against
//! the official 2.1.0 schema; GitHub annotations; `--output`; colour.

use super::{key, keysweep, scan_in, write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A small fixed tree: the same keys on every run (seeded generators).
fn sample_tree() -> TempDir {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        ".env",
        format!(
            "# local settings\nSTRIPE_SECRET_KEY={}\nINFINITYBLUE_API_KEY={}\n",
            key("sk_live_{{alnum:24}}", "snap-1"),
            key("{{alnum:40}}", "snap-2")
        ),
    );
    write(
        t.path(),
        "src/client.js",
        format!(
            "const res = await fetch(url, {{\n  headers: {{ 'Authorization': 'Bearer {}' }},\n}});\n",
            key("{{base64url:48}}", "snap-3")
        ),
    );
    write(
        t.path(),
        "tests/fixture.py",
        format!("TEST_KEY = '{}'\n", key("sk_test_{{alnum:24}}", "snap-4")),
    );
    t
}

const SNAPSHOT_RULES: &[&str] = &[
    "--rule",
    "stripe-secret-key",
    "--rule",
    "stripe-test-secret-key",
    "--rule",
    "generic-api-key",
    "--rule",
    "generic-bearer-token",
];

fn run(t: &TempDir, format: &str) -> String {
    let mut args = vec!["--format", format, "--color", "never"];
    args.extend_from_slice(SNAPSHOT_RULES);
    let (code, out, err) = scan_in(t.path(), &args);
    assert_eq!(code, 1, "{err}");
    out
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r#""elapsed_seconds": [0-9.]+"#,
        r#""elapsed_seconds": "[elapsed]""#,
    );
    s.add_filter(
        &format!(r#""{}""#, regex_escape(env!("CARGO_PKG_VERSION"))),
        r#""[version]""#,
    );
    // The scanned directory (a fresh temporary one) as SARIF's %SRCROOT%.
    s.add_filter(r#""file:///[^"]*/""#, r#""file:///[root]/""#);
    s
}

fn regex_escape(s: &str) -> String {
    s.replace('.', r"\.")
}

#[test]
fn text_report_snapshot() {
    let t = sample_tree();
    settings().bind(|| insta::assert_snapshot!("text", run(&t, "text")));
}

#[test]
fn json_report_snapshot() {
    let t = sample_tree();
    let out = run(&t, "json");
    let v: serde_json::Value = crate::report_json(&out);
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["files_scanned"], 3);
    assert_eq!(v["summary"]["findings_by_severity"]["critical"], 1);
    settings().bind(|| insta::assert_snapshot!("json", out));
}

#[test]
fn sarif_report_snapshot_and_schema() {
    let t = sample_tree();
    let out = run(&t, "sarif");
    validate_sarif(&out);
    settings().bind(|| insta::assert_snapshot!("sarif", out));
}

#[test]
fn sarif_has_what_github_needs() {
    let t = sample_tree();
    let (_, out, _) = scan_in(t.path(), &["--format", "sarif"]);
    validate_sarif(&out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() > 40, "all rules in effect are listed");
    for r in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                r[field]["text"].as_str().is_some_and(|s| !s.is_empty()),
                "{field} in {r}"
            );
        }
        let sev: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for res in results {
        let fp = &res["partialFingerprints"];
        assert!(fp["keysweep/v2"]
            .as_str()
            .is_some_and(|s| s.ends_with(":1")));
        assert!(fp["primaryLocationLineHash"].is_string());
        assert_eq!(
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://"),
            "relative uri: {uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn sarif_for_a_clean_tree_and_for_skips_is_valid() {
    let t = TempDir::new().unwrap();
    write(t.path(), "x.bin", b"\0\0\0binary");
    write(t.path(), "big.txt", "y".repeat(2048));
    let (code, out, _) = scan_in(t.path(), &["--format", "sarif", "--max-file-size", "1K"]);
    assert_eq!(code, 0);
    validate_sarif(&out);
}

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json")
}

/// Validate a SARIF document against the official 2.1.0 schema.
pub fn validate_sarif(doc: &str) {
    let path = schema_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        panic!(
            "SARIF schema not found at {}: the repository ships the official \
             sarif-schema-2.1.0.json there (tests/data/README.md)",
            path.display()
        );
    };
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let instance: serde_json::Value = serde_json::from_str(doc).expect("SARIF output is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn github_annotations() {
    let t = sample_tree();
    let (code, out, _) = scan_in(t.path(), &["--format", "github"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("::error file=.env,line=2,col=19,title=keysweep%3A "),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::warning file=tests/fixture.py,line=1,col=13,")),
        "{out}"
    );
    assert!(!out.contains(&key("sk_live_{{alnum:24}}", "snap-1")));
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    let t = sample_tree();
    let (code, out, err) = scan_in(t.path(), &["--format", "json", "--output", "report.json"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("finding(s)"), "{err}");
    let doc: serde_json::Value =
        crate::report_json(std::fs::read(t.path().join("report.json")).unwrap());
    assert_eq!(doc["findings"].as_array().unwrap().len(), 4);
    let (code, _, err) = scan_in(t.path(), &["--output", "no/such/dir/r.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("--output no/such/dir/r.txt"), "{err}");
}

#[test]
fn colour_is_opt_in_off_a_terminal() {
    let t = sample_tree();
    let (_, plain, _) = scan_in(t.path(), &[]);
    assert!(!plain.contains('\x1b'));
    let (_, coloured, _) = scan_in(t.path(), &["--color", "always"]);
    assert!(coloured.contains("\x1b["));
    let out = keysweep()
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .args(["scan", "--color", "auto"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn every_format_redacts_unless_asked() {
    let t = sample_tree();
    let secret = key("sk_live_{{alnum:24}}", "snap-1");
    for format in ["text", "json", "sarif", "github"] {
        let (_, out, _) = scan_in(t.path(), &["--format", format]);
        assert!(!out.contains(&secret), "{format} leaked the secret");
        let (_, out, _) = scan_in(t.path(), &["--format", format, "--show-secrets"]);
        assert!(out.contains(&secret), "{format} did not show the secret");
    }
}

#[test]
fn scan_help_snapshot() {
    let out = keysweep()
        .env("COLUMNS", "100")
        .args(["scan", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("scan_help", String::from_utf8_lossy(&out.stdout));
}

#[cfg(unix)]
#[test]
fn output_files_are_replaced_atomically_and_special_files_written_through() {
    let t = sample_tree();
    let d = t.path();
    write(d, "report.json", "old report");
    std::fs::hard_link(d.join("report.json"), d.join("old-link.json")).unwrap();
    let (code, _, _) = scan_in(d, &["--format", "json", "--output", "report.json"]);
    assert_eq!(code, 1);
    let new: serde_json::Value = crate::report_json(std::fs::read(d.join("report.json")).unwrap());
    assert_eq!(new["version"], 1);
    // A rename replaced the directory entry: the old inode was never truncated.
    assert_eq!(
        std::fs::read_to_string(d.join("old-link.json")).unwrap(),
        "old report"
    );
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".keysweep-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
    // /dev/stdout is written through, not replaced.
    let out = keysweep()
        .current_dir(d)
        .args([
            "scan",
            "--format",
            "json",
            "--output",
            "/dev/stdout",
            "--quiet",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = crate::report_json(&out.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 4);
}
