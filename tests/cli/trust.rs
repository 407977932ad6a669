//! Untrusted repositories cannot steer, silence or leak: the scanned
//! repository's own config, ranges that edit it, lines with several keys,
//! parse errors over files that hold keys, control characters in names and
//! commit metadata, and where verification may connect.

use super::mock::Mock;
use super::{git, git_output, key, keysweep, write};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

/// The verification tests' rules (an `acme-token` rule whose check goes to
/// a `.invalid` host unless overridden).
use super::verify::RULES as ACME_RULES;

use super::{live_key as live, said};

fn run(dir: &Path, args: &[&str]) -> Output {
    keysweep().current_dir(dir).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    crate::try_report_json(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", said(out)))
}

/// A repository's config cannot send keys anywhere: its endpoints and
/// providers are refused with one line naming the file and key, and the
/// mock it points at sees nothing.
#[test]
fn repository_config_cannot_choose_where_keys_go() {
    let mock = Mock::start();
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    let kbits = key("acme_{{lower:20}}", "hostile");
    write(d, "app.env", format!("K={kbits}\n"));
    write(
        d,
        ".keysweep.toml",
        format!(
            "[verify]\nendpoints = {{ acme-token = \"{}\" }}\nproviders = {{ acme-token = \"acme\" }}\n",
            mock.url("/steal/{secret}")
        ),
    );
    let rules = TempDir::new().unwrap();
    write(rules.path(), "acme.toml", ACME_RULES);
    let rules_path = rules.path().join("acme.toml");
    let out = run(
        d,
        &[
            "scan",
            ".",
            "--rules",
            rules_path.to_str().unwrap(),
            "--verify",
            "--format",
            "json",
            "--verify-timeout",
            "2",
        ],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(".keysweep.toml: [verify] endpoints/providers") && text.contains("(ignored)"),
        "{text}"
    );
    assert!(
        mock.seen().is_empty(),
        "the repository's endpoint got a request"
    );
    let doc = json(&out);
    let acme = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "acme-token")
        .unwrap();
    assert_eq!(acme["verification"]["status"], "unknown");
}

/// Files a repository's config names must stay inside it.
#[test]
fn repository_config_cannot_load_files_from_outside() {
    let t = TempDir::new().unwrap();
    let d = t.path().join("repo");
    std::fs::create_dir_all(&d).unwrap();
    git(&d, &["init", "-q"]);
    write(t.path(), "outside.toml", ACME_RULES);
    #[cfg(unix)]
    std::os::unix::fs::symlink(t.path().join("outside.toml"), d.join("link.toml")).unwrap();
    write(
        &d,
        ".keysweep.toml",
        "rules = [\"../outside.toml\", \"/proc/self/environ\", \"link.toml\"]\nbaseline = \"/etc/passwd\"\n",
    );
    let out = run(&d, &["scan", "."]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for refused in ["rules ", "baseline /etc/passwd"] {
        assert!(text.contains(refused), "{refused}: {text}");
    }
    assert!(text.contains("a path with `..`"), "{text}");
    assert!(text.contains("outside the repository"), "{text}");
    assert!(!text.contains("PATH="), "the environment was read: {text}");
    // Named by the user, a special file is still refused, with one line.
    let out = run(
        &d,
        &["scan", ".", "--no-config", "--rules", "/proc/self/environ"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(said(&out).contains("system file"), "{}", said(&out));
    assert!(!said(&out).contains("PATH="));
}

/// What a repository's config suppresses is counted and named by source,
/// in the summary and the JSON run data.
#[test]
fn repository_suppressions_are_visible() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    write(d, "app.py", format!("K = '{}'\n", live("allowed")));
    write(d, ".keysweep.toml", "[allow]\npaths = [\"**\"]\n");
    let out = run(d, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out);
    let suppressed = doc["summary"]["suppressed"].as_object().unwrap();
    assert!(
        suppressed
            .keys()
            .any(|k| k.contains("repository config") && k.ends_with("allow.paths")),
        "{suppressed:?}"
    );
    assert!(said(&out).contains("by repository config"));
    // --no-config ignores it.
    assert_eq!(run(d, &["scan", ".", "--no-config"]).status.code(), Some(1));
}

/// A pull request's head cannot allowlist its own key: the range is
/// scanned with the base commit's settings, and the edit is reported.
#[test]
fn a_range_cannot_allowlist_itself() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "README", "hello\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    let base = git(d, &["rev-parse", "HEAD"]).trim().to_string();
    write(
        d,
        ".keysweep.toml",
        "[allow]\npaths = [\"**\"]\nsecrets = [\".*\"]\n",
    );
    write(d, "app.py", format!("K = '{}'\n", live("pr")));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "add a key and allow everything"]);
    let out = run(
        d,
        &[
            "history",
            "--range",
            &format!("{base}..HEAD"),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let doc = json(&out);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"stripe-secret-key"), "{rules:?}");
    assert!(rules.contains(&"settings-changed-in-range"), "{rules:?}");
}

/// Redaction holds for every secret on the line, in every format.
#[test]
fn a_line_with_two_keys_redacts_both() {
    let t = TempDir::new().unwrap();
    let (a, b) = (live("first"), key("ghp_{{alnum:36}}", "second"));
    write(t.path(), "keys.env", format!("KEYS='{a} {b}'\n"));
    for format in ["text", "json", "sarif", "github"] {
        let out = run(t.path(), &["scan", ".", "--format", format]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(&a) && !text.contains(&b), "{format}: {text}");
        if format == "sarif" {
            super::output::validate_sarif(&text);
        }
    }
    let out = run(
        t.path(),
        &["scan", ".", "--format", "json", "--show-secrets"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&a));
}

/// Parse errors name the file, line and column, never the text.
#[test]
fn parse_errors_never_print_file_content() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let k = live("parse");
    write(d, "cfg.toml", format!("fail_on = \"{k}\"\n"));
    write(
        d,
        "rules.toml",
        format!("[[rules]]\nid = \"{k}\"\nseverity = 3\n"),
    );
    write(d, "baseline.json", format!("{{\"version\": \"{k}\"}}"));
    write(d, "ignore.txt", format!("{k}\n[\n"));
    write(d, ".env", format!("STRIPE={k}\n"));
    for args in [
        vec!["scan", ".", "--config", "cfg.toml"],
        vec!["scan", ".", "--config", ".env"],
        vec!["scan", ".", "--no-config", "--rules", "rules.toml"],
        vec!["scan", ".", "--no-config", "--baseline", "baseline.json"],
        vec!["rules", "check", "rules.toml"],
    ] {
        let out = run(d, &args);
        let text = said(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(!text.contains(&k), "{args:?} printed the key: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
}

/// Control characters in names and commit metadata are escaped in every
/// format; JSON and SARIF stay valid.
#[cfg(unix)]
#[test]
fn control_characters_never_reach_the_reader() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    let name = "evil\u{1b}[31m\tname.env";
    write(d, name, format!("K={}\n", live("ctrl")));
    git(d, &["add", "-A"]);
    let out = std::process::Command::new("git")
        .current_dir(d)
        .args(["commit", "-q", "-m", "msg \u{1b}]0;pwned\u{7} end"])
        .env("GIT_AUTHOR_NAME", "Mallory \u{1b}[2J")
        .env("GIT_AUTHOR_EMAIL", "m@example.invalid")
        .env("GIT_COMMITTER_NAME", "m")
        .env("GIT_COMMITTER_EMAIL", "m@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    for format in ["text", "json", "sarif", "github"] {
        let out = run(d, &["history", "--format", format]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!text.contains('\u{1b}'), "{format}: raw escape in {text:?}");
        assert!(!text.contains('\u{7}'), "{format}: raw bell");
        match format {
            "json" => {
                let doc: Value = crate::report_json(&text);
                assert_eq!(doc["findings"][0]["path"], name);
            }
            "sarif" => super::output::validate_sarif(&text),
            "github" => assert!(text.contains("%1B"), "{text}"),
            _ => {}
        }
    }
    let _ = git_output(d, &["status"]);
}

/// A rule's endpoint that resolves to loopback (or another private
/// address) is refused; loopback only where the command line names it.
#[test]
fn verification_refuses_local_addresses_unless_named() {
    let mock = Mock::start();
    let t = TempDir::new().unwrap();
    let port = mock.addr.port();
    let rules = ACME_RULES.replace(
        "https://api.acme.invalid/v1/me",
        &format!("https://localhost:{port}/v1/me"),
    );
    write(t.path(), "acme.toml", &rules);
    write(
        t.path(),
        "app.env",
        format!("K={}\n", key("acme_{{lower:20}}", "loop")),
    );
    let out = run(
        t.path(),
        &[
            "scan",
            ".",
            "--rules",
            "acme.toml",
            "--verify",
            "--format",
            "json",
        ],
    );
    let doc = json(&out);
    let v = &doc["findings"][0]["verification"];
    assert_eq!(v["status"], "unknown", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("loopback"), "{v}");
    assert!(mock.seen().is_empty());
    // Named on the command line, the local mock is used.
    let out = run(
        t.path(),
        &[
            "scan",
            ".",
            "--rules",
            "acme.toml",
            "--verify",
            "--format",
            "json",
            "--verify-endpoint",
            &format!("acme-token={}", mock.url("/live")),
        ],
    );
    assert_eq!(json(&out)["findings"][0]["verification"]["status"], "live");
    // A trusted config file may not name a local endpoint either.
    write(
        t.path(),
        "cfg.toml",
        format!(
            "[verify]\nendpoints = {{ acme-token = \"{}\" }}\n",
            mock.url("/live")
        ),
    );
    let before = mock.seen().len();
    let out = run(
        t.path(),
        &[
            "scan",
            ".",
            "--rules",
            "acme.toml",
            "--verify",
            "--config",
            "cfg.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        json(&out)["findings"][0]["verification"]["status"],
        "unknown"
    );
    assert_eq!(mock.seen().len(), before, "a config file reached loopback");
}

/// Fingerprints are keyed per repository: stable across runs, different in
/// a repository with another root commit; an old unkeyed baseline still
/// matches, with a note.
#[test]
fn fingerprints_are_keyed_by_repository() {
    let k = live("keyed");
    let repo = |seed: &str| {
        let t = TempDir::new().unwrap();
        git(t.path(), &["init", "-q"]);
        write(t.path(), "root.txt", seed);
        git(t.path(), &["add", "-A"]);
        git(t.path(), &["commit", "-q", "-m", seed]);
        write(t.path(), "app.py", format!("K = '{k}'\n"));
        t
    };
    let fp = |d: &Path| -> String {
        json(&run(d, &["scan", ".", "--format", "json"]))["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (repo("one"), repo("two"));
    assert_eq!(fp(a.path()), fp(a.path()), "stable");
    assert_ne!(fp(a.path()), fp(b.path()), "keyed by repository");
    let plain = TempDir::new().unwrap();
    write(plain.path(), "app.py", format!("K = '{k}'\n"));
    let legacy = fp(plain.path());
    write(
        a.path(),
        "old-baseline.json",
        format!("{{\"version\": 1, \"findings\": [{{\"fingerprint\": \"{legacy}\", \"rule_id\": \"stripe-secret-key\", \"path\": \"app.py\"}}]}}"),
    );
    let out = run(a.path(), &["scan", ".", "--baseline", "old-baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(
        said(&out).contains("old, unkeyed fingerprints"),
        "{}",
        said(&out)
    );
}
