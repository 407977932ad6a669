//! `--verify` and `keysweep revoke` against a mock provider on 127.0.0.1
//! (random port, stopped when the test ends).

pub(crate) use super::mock::Mock;
use super::{key, keysweep, write};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tempfile::TempDir;

pub(crate) const RULES: &str = r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "An ACME API token."
severity = "high"
keywords = ["acme_"]
regex = '\b(?P<secret>acme_[a-z0-9]{20})\b'
examples = ["acme_{{lower:20}}"]

[[rules.verify]]
provider = "acme"
url = "https://api.acme.invalid/v1/me"
headers = { Authorization = "Bearer {secret}" }
code_path = "error.code"
answers = [
  { status = 200, result = "live" },
  { status = 401, code = "invalid_api_key", result = "invalid" },
  { status = 401, code = "api_key_expired", result = "expired" },
  { status = 403, result = "revoked" },
]

[rules.revoke]
provider = "acme"
method = "POST"
url = "https://api.acme.invalid/v1/keys/revoke"
body = '{"key": "{secret}"}'

[[rules]]
id = "shared-token"
name = "Shared-prefix token"
description = "A key shape two providers use."
severity = "high"
keywords = ["shr_"]
regex = '\b(?P<secret>shr_[a-z0-9]{20})\b'
examples = ["shr_{{lower:20}}"]

[[rules.verify]]
provider = "alpha"
context = ["alpha.invalid", "ALPHA_"]
url = "https://alpha.invalid/v1/me"
headers = { Authorization = "Bearer {secret}" }

[[rules.verify]]
provider = "beta"
context = ["beta.invalid", "BETA_"]
url = "https://beta.invalid/v1/me"
headers = { Authorization = "Bearer {secret}" }
"#;

fn acme(seed: &str) -> String {
    key("acme_{{lower:20}}", seed)
}

fn tree(files: &[(&str, String)]) -> TempDir {
    let t = TempDir::new().unwrap();
    write(t.path(), "rules.toml", RULES);
    for (p, c) in files {
        write(t.path(), p, c);
    }
    t
}

/// Scan with the test rules; (exit code, findings of rule, stdout+stderr).
fn run(dir: &Path, rule: &str, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = keysweep()
        .current_dir(dir)
        .args([
            "scan",
            "--rules",
            "rules.toml",
            "--rule",
            rule,
            "--format",
            "json",
            "--exit-zero",
        ])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let code = out.status.code().unwrap_or(-1);
    let findings = crate::try_report_json(&out.stdout)
        .map(|d| d["findings"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    (code, findings, text)
}

fn endpoint(mock: &Mock, rule: &str, path: &str) -> String {
    format!("{rule}={}", mock.url(path))
}

#[test]
fn nothing_is_sent_without_verify() {
    let mock = Mock::start();
    let t = tree(&[("a.env", format!("K={}\n", acme("quiet")))]);
    // The endpoint set in the user's config: still nothing without --verify.
    let url = endpoint(&mock, "acme-token", "/live");
    let (_, url) = url.split_once('=').unwrap();
    let config = t.path().join("user.toml");
    std::fs::write(
        &config,
        format!("[verify]\nendpoints = {{ \"acme-token\" = \"{url}\" }}\n"),
    )
    .unwrap();
    let (_, f, text) = run(
        t.path(),
        "acme-token",
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(f.len(), 1, "{text}");
    assert!(f[0]["verification"].is_null());
    // On the command line, an endpoint without --verify is refused.
    let (code, _, text) = run(
        t.path(),
        "acme-token",
        &["--verify-endpoint", &endpoint(&mock, "acme-token", "/live")],
    );
    assert_eq!(code, 2, "{text}");
    assert!(mock.seen().is_empty(), "no request without --verify");
}

#[test]
fn each_documented_answer_maps_to_its_status() {
    let mock = Mock::start();
    let k = acme("status");
    let t = tree(&[("a.env", format!("K={k}\n")), ("b.env", format!("K={k}\n"))]);
    for (path, status) in [
        ("/live", "live"),
        ("/invalid", "invalid"),
        ("/expired", "expired"),
        ("/revoked", "revoked"),
        ("/error", "unknown"),
    ] {
        let before = mock.seen().len();
        let (_, f, text) = run(
            t.path(),
            "acme-token",
            &[
                "--verify",
                "--verify-endpoint",
                &endpoint(&mock, "acme-token", path),
            ],
        );
        assert_eq!(f.len(), 2);
        for x in &f {
            assert_eq!(x["verification"]["status"], status, "{path}: {x}");
            assert_eq!(x["verification"]["provider"], "acme");
        }
        let sent = &mock.seen()[before..];
        let expected = if path == "/error" { 3 } else { 1 };
        assert_eq!(
            sent.len(),
            expected,
            "{path}: one request per unique key (plus retries on 5xx)"
        );
        assert_eq!(sent[0].path, path, "sent only to the rule's endpoint");
        assert_eq!(sent[0].method, "GET");
        assert_eq!(
            sent[0].header("authorization"),
            Some(format!("Bearer {k}").as_str())
        );
        assert!(!text.contains(&k), "{path}: the secret leaked into output");
    }
}

#[test]
fn retries_after_429_and_gives_up_on_timeouts() {
    let mock = Mock::start();
    let t = tree(&[("a.env", format!("K={}\n", acme("retry")))]);
    let (_, f, _) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-endpoint",
            &endpoint(&mock, "acme-token", "/flaky"),
        ],
    );
    assert_eq!(f[0]["verification"]["status"], "live");
    assert!(f[0]["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("after 1 retry"));
    assert_eq!(mock.seen().len(), 2);
    let k = acme("slow");
    let t = tree(&[("a.env", format!("K={k}\n"))]);
    let started = std::time::Instant::now();
    let (_, f, text) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-timeout",
            "1",
            "--verify-endpoint",
            &endpoint(&mock, "acme-token", "/slow"),
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout cut the request short"
    );
    assert_eq!(f[0]["verification"]["status"], "unknown");
    assert!(
        f[0]["verification"]["detail"]
            .as_str()
            .unwrap()
            .contains("request failed"),
        "{text}"
    );
    assert!(!text.contains(&k));
}

#[test]
fn redirects_are_not_followed() {
    let mock = Mock::start();
    let t = tree(&[("a.env", format!("K={}\n", acme("redirect")))]);
    let (_, f, _) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-endpoint",
            &endpoint(&mock, "acme-token", "/redirect"),
        ],
    );
    assert_eq!(f[0]["verification"]["status"], "unknown");
    assert!(f[0]["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("redirect to collector.invalid not followed"));
    assert_eq!(mock.seen().len(), 1);
}

#[test]
fn shared_key_shapes_need_context_or_a_choice() {
    let mock = Mock::start();
    let k = key("shr_{{lower:20}}", "shared");
    let t = tree(&[("a.env", format!("TOKEN={k}\n"))]);
    let alpha = endpoint(&mock, "shared-token", "/live");
    let (_, f, _) = run(
        t.path(),
        "shared-token",
        &["--verify", "--verify-endpoint", &alpha],
    );
    assert_eq!(f[0]["verification"]["status"], "unknown");
    assert!(f[0]["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("ambiguous provider"));
    assert!(mock.seen().is_empty(), "an ambiguous key is sent nowhere");
    let (_, f, _) = run(
        t.path(),
        "shared-token",
        &[
            "--verify",
            "--verify-endpoint",
            &alpha,
            "--verify-provider",
            "shared-token=beta",
        ],
    );
    assert_eq!(f[0]["verification"]["provider"], "beta");
    assert_eq!(mock.seen().len(), 1);
    let named = tree(&[(
        "a.env",
        format!("ALPHA_URL=https://alpha.invalid/v1\nTOKEN={k}\n"),
    )]);
    let (_, f, _) = run(
        named.path(),
        "shared-token",
        &["--verify", "--verify-endpoint", &alpha],
    );
    assert_eq!(f[0]["provider"], "alpha");
    assert_eq!(f[0]["verification"]["status"], "live");
    assert_eq!(mock.seen().len(), 2);
    let bad = run(
        t.path(),
        "shared-token",
        &["--verify", "--verify-provider", "shared-token=gamma"],
    );
    assert_eq!(bad.0, 2);
}

#[test]
fn concurrency_is_capped() {
    let mock = Mock::start();
    let files: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("f{i}.env"),
                format!("K={}\n", acme(&format!("busy{i}"))),
            )
        })
        .collect();
    let refs: Vec<(&str, String)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let t = tree(&refs);
    let (_, f, _) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-concurrency",
            "2",
            "--verify-endpoint",
            &endpoint(&mock, "acme-token", "/busy"),
        ],
    );
    assert_eq!(f.len(), 6);
    assert_eq!(mock.seen().len(), 6);
    let max = mock.state.max_in_flight.load(Ordering::SeqCst);
    assert!((1..=2).contains(&max), "max in flight {max}");
}

#[test]
fn only_verified_and_fail_on_live() {
    let mock = Mock::start();
    let live_key = format!("acme_{}live", key("{{lower:16}}", "a"));
    let dead_key = format!("acme_{}dead", key("{{lower:16}}", "b"));
    let t = tree(&[("a.env", format!("A={live_key}\nB={dead_key}\n"))]);
    let ep = endpoint(&mock, "acme-token", "/bykey");
    let (_, f, _) = run(
        t.path(),
        "acme-token",
        &["--only-verified", "--verify-endpoint", &ep],
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["line"], 1);
    let out = keysweep()
        .current_dir(t.path())
        .args([
            "scan",
            "--rules",
            "rules.toml",
            "--rule",
            "acme-token",
            "--fail-on-live",
            "--verify-endpoint",
            &ep,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("LIVE"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("verification: 1 live, 1 invalid"));
    let dead = tree(&[("a.env", format!("B={dead_key}\n"))]);
    let out = keysweep()
        .current_dir(dead.path())
        .args([
            "scan",
            "--rules",
            "rules.toml",
            "--rule",
            "acme-token",
            "--fail-on-live",
            "--verify-endpoint",
            &ep,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "findings, but none live");
}

#[test]
fn sarif_carries_verification_and_live_is_an_error() {
    let mock = Mock::start();
    let t = tree(&[("a.env", format!("K={}\n", acme("sarif")))]);
    let out = keysweep()
        .current_dir(t.path())
        .args([
            "scan",
            "--rules",
            "rules.toml",
            "--rule",
            "acme-token",
            "--format",
            "sarif",
            "--verify",
            "--verify-endpoint",
            &endpoint(&mock, "acme-token", "/live"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    super::output::validate_sarif(&text);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["level"], "error");
    assert_eq!(r["properties"]["verification"]["status"], "live");
}

#[test]
fn endpoints_must_be_https_or_loopback() {
    let t = tree(&[("a.env", format!("K={}\n", acme("https")))]);
    let (code, _, text) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-endpoint",
            "acme-token=http://example.com/v1",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        text.contains("plain http is allowed only to a loopback address"),
        "{text}"
    );
    write(
        t.path(),
        "bad.toml",
        RULES.replace(
            "https://api.acme.invalid/v1/me",
            "http://api.acme.invalid/v1/me",
        ),
    );
    let out = keysweep()
        .current_dir(t.path())
        .args(["rules", "check", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("url must be https"));
}

#[test]
fn revoke_is_a_dry_run_without_yes() {
    let mock = Mock::start();
    let k = acme("revoke");
    let t = tree(&[("a.env", format!("K={k}\n"))]);
    let (_, f, _) = run(t.path(), "acme-token", &[]);
    let fp = f[0]["fingerprint"].as_str().unwrap().to_string();
    let ep = endpoint(&mock, "acme-token", "/revoke");
    let out = keysweep()
        .current_dir(t.path())
        .args([
            "revoke",
            &fp,
            "--rules",
            "rules.toml",
            "--verify-endpoint",
            &ep,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("dry run: would revoke")
            && text.contains(&format!("POST {}", mock.url("/revoke"))),
        "{text}"
    );
    assert!(!text.contains(&k));
    assert!(mock.seen().is_empty());
    let out = keysweep()
        .current_dir(t.path())
        .args([
            "revoke",
            &fp,
            "--yes",
            "--rules",
            "rules.toml",
            "--verify-endpoint",
            &ep,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert!(seen[0].body.contains(&k));
    let out = keysweep()
        .current_dir(t.path())
        .args(["revoke", "0000000000000000", "--rules", "rules.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no finding with fingerprint"));
}

#[test]
fn a_hostile_server_cannot_hang_flood_redirect_or_leak() {
    let mock = Mock::start();
    let k = acme("hostile");
    let t = tree(&[("a.env", format!("K={k}\n"))]);
    let check = |path: &str, extra: &[&str]| -> (Value, String, std::time::Duration) {
        let started = std::time::Instant::now();
        let mut args = vec!["--verify", "--verify-endpoint"];
        let ep = endpoint(&mock, "acme-token", path);
        args.push(&ep);
        args.extend_from_slice(extra);
        let (_, f, text) = run(t.path(), "acme-token", &args);
        assert!(!text.contains(&k), "{path}: the secret reached the output");
        (f[0]["verification"].clone(), text, started.elapsed())
    };
    // 1 GB body: read at most a small bounded amount, answer at once.
    let (v, _, took) = check("/huge", &[]);
    assert_eq!(v["status"], "live");
    assert!(took < Duration::from_secs(20), "{took:?}");
    // One byte a second: the overall deadline holds.
    let (v, _, took) = check("/trickle", &["--verify-timeout", "2"]);
    assert_eq!(v["status"], "unknown");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // Endless redirects and a redirect to file:// are not followed.
    let (v, _, _) = check("/loop", &[]);
    assert!(
        v["detail"].as_str().unwrap().contains("not followed"),
        "{v}"
    );
    let (v, _, _) = check("/to-file", &[]);
    assert_eq!(v["status"], "unknown");
    // A server that echoes the key back: the answer is mapped, never printed.
    let (v, _, _) = check("/echo", &[]);
    assert_eq!(v["status"], "invalid");
    // TLS required but the peer speaks plain HTTP: an error, not a downgrade.
    let https = format!("acme-token=https://{}/live", mock.addr);
    let (_, f, text) = run(
        t.path(),
        "acme-token",
        &[
            "--verify",
            "--verify-timeout",
            "5",
            "--verify-endpoint",
            &https,
        ],
    );
    assert_eq!(f[0]["verification"]["status"], "unknown", "{text}");
    assert!(!text.contains(&k));
}
