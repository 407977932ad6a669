//! The five reference providers (`../shared/providers/`): every snippet style
//! their pages show, with synthetic keys, is found with the right rule,
//! provider and severity; every placeholder they print is not; and each
//! documented error answer maps to the right status.

use super::verify::Mock;
use super::{jwt_live_key, key, keysweep, now_secs, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

fn findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = keysweep()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--exit-zero", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = crate::report_json(&out.stdout);
    doc["findings"].as_array().cloned().unwrap()
}

/// The one secret finding in `path` (lint findings aside).
fn only<'a>(f: &'a [Value], path: &str) -> &'a Value {
    let here: Vec<&Value> = f
        .iter()
        .filter(|x| x["path"] == path && !x["secret"].as_str().unwrap_or("").is_empty())
        .collect();
    assert_eq!(here.len(), 1, "{path}: {f:#?}");
    here[0]
}

fn check(f: &[Value], path: &str, rule: &str, provider: Option<&str>, severity: &str) {
    let x = only(f, path);
    assert_eq!(x["rule_id"], rule, "{path}");
    assert_eq!(x["severity"], severity, "{path}");
    match provider {
        Some(p) => assert_eq!(x["provider"], p, "{path}"),
        None => assert!(x["provider"].is_null(), "{path}: {x}"),
    }
}

#[test]
fn infinityblue_snippets() {
    let t = TempDir::new().unwrap();
    let k = || key("{{alnum:48}}", "ib");
    write(t.path(), ".env", format!("INFINITYBLUE_API_KEY={}\n", k()));
    write(
        t.path(),
        "setup.sh",
        format!("export INFINITYBLUE_API_KEY=\"{}\"\n", k()),
    );
    write(
        t.path(),
        "setup.ps1",
        format!("$env:INFINITYBLUE_API_KEY=\"{}\"\n", k()),
    );
    write(
        t.path(),
        "setup.cmd",
        format!("set INFINITYBLUE_API_KEY={}\n", k()),
    );
    write(t.path(), "client.py", format!("from openai import OpenAI\n\nclient = OpenAI(\n    api_key=\"{}\",\n    base_url=\"https://api.getinfinityblue.com/v1\",\n)\n", k()));
    write(t.path(), "client.mjs", format!("const client = new OpenAI({{\n  apiKey: \"{}\",\n  baseURL: \"https://api.getinfinityblue.com/v1\",\n}});\n", k()));
    write(t.path(), "call.sh", format!("curl https://api.getinfinityblue.com/v1/chat/completions \\\n  -H \"Authorization: Bearer {}\" \\\n  -H \"Content-Type: application/json\"\n", k()));
    let f = findings(t.path(), &["--no-ignore"]);
    for p in [".env", "setup.sh", "setup.ps1", "setup.cmd"] {
        check(&f, p, "infinityblue-api-key", Some("infinityblue"), "high");
    }
    check(
        &f,
        "client.py",
        "infinityblue-client-key",
        Some("infinityblue"),
        "high",
    );
    check(
        &f,
        "client.mjs",
        "infinityblue-client-key",
        Some("infinityblue"),
        "high",
    );
    check(
        &f,
        "call.sh",
        "infinityblue-bearer",
        Some("infinityblue"),
        "high",
    );
}

#[test]
fn infinipost_keys_name_their_provider_or_say_it_is_ambiguous() {
    let t = TempDir::new().unwrap();
    let live = || key("sk_live_{{alnum:24}}", "ip");
    write(
        t.path(),
        "a/.env",
        format!("INFINIPOST_API_KEY={}\n", live()),
    );
    write(
        t.path(),
        "b/call.sh",
        format!(
            "curl https://api.infinipost.co/v1/accounts \\\n  -H \"Authorization: Bearer {}\"\n",
            live()
        ),
    );
    write(
        t.path(),
        "c/test.env",
        format!(
            "INFINIPOST_API_KEY={}\n",
            key("sk_test_{{alnum:24}}", "ipt")
        ),
    );
    write(
        t.path(),
        "d/pay.js",
        format!("const stripe = require('stripe')('{}');\n", live()),
    );
    write(t.path(), "e/keys.txt", format!("{}\n", live()));
    let f = findings(t.path(), &["--no-ignore"]);
    check(
        &f,
        "a/.env",
        "stripe-secret-key",
        Some("infinipost"),
        "critical",
    );
    check(
        &f,
        "b/call.sh",
        "stripe-secret-key",
        Some("infinipost"),
        "critical",
    );
    check(
        &f,
        "c/test.env",
        "stripe-test-secret-key",
        Some("infinipost"),
        "medium",
    );
    check(
        &f,
        "d/pay.js",
        "stripe-secret-key",
        Some("stripe"),
        "critical",
    );
    check(&f, "e/keys.txt", "stripe-secret-key", None, "critical");
    assert_eq!(
        only(&f, "e/keys.txt")["provider_candidates"],
        serde_json::json!(["stripe", "infinipost"])
    );
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", "e", "--color", "never"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("provider: ambiguous (stripe or infinipost)")
    );
}

#[test]
fn iblueprint_and_generic_api_snippets() {
    let t = TempDir::new().unwrap();
    let k = || key("{{alnum:40}}", "ibp");
    write(
        t.path(),
        "cli.sh",
        format!("export IBLUEPRINT_API_KEY=\"{}\"\niblueprint deploy\n", k()),
    );
    write(
        t.path(),
        "api.sh",
        format!(
            "curl https://api.iblueprint.ai/v1/projects \\\n  -H \"Authorization: Bearer {}\"\n",
            k()
        ),
    );
    write(t.path(), "gen.sh", format!("curl -X POST https://api.example.com/v1/generate \\\n  -H \"Authorization: Bearer {}\" \\\n  -H \"Content-Type: application/json\"\n", k()));
    write(t.path(), "gen.py", format!("requests.post(\n    'https://api.example.com/v1/generate',\n    headers={{\n        'Authorization': 'Bearer {}',\n    }})\n", k()));
    write(t.path(), "env.sh", format!("export API_KEY=\"{}\"\n", k()));
    let f = findings(t.path(), &[]);
    check(&f, "cli.sh", "iblueprint-api-key", None, "high");
    check(&f, "api.sh", "iblueprint-bearer", None, "high");
    check(
        &f,
        "gen.sh",
        "example-ai-api-bearer",
        Some("example-ai-api"),
        "high",
    );
    check(
        &f,
        "gen.py",
        "example-ai-api-bearer",
        Some("example-ai-api"),
        "high",
    );
    check(&f, "env.sh", "generic-api-key", None, "high");
}

#[test]
fn inferexai_keys_report_claims_prefix_and_age() {
    let now = now_secs();
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        ".env",
        format!(
            "INFEREXAI_API_KEY={}\nINFEREXAI_BASE_URL=https://inferexapi.cloudvoice.in/v1\n",
            jwt_live_key(
                "user_7",
                "key_42",
                now - 200 * 86_400,
                &(now - 200 * 86_400).to_string()
            )
        ),
    );
    write(t.path(), "client.py", format!("client = OpenAI(\n    api_key=\"{}\",\n    base_url=\"https://inferexapi.cloudvoice.in/v1\",\n)\n", jwt_live_key("user_7", "key_42", now - 10 * 86_400, "fresh")));
    let f = findings(t.path(), &["--no-ignore"]);
    check(
        &f,
        ".env",
        "jwt-live-api-key",
        Some("inferexai"),
        "critical",
    );
    check(
        &f,
        "client.py",
        "jwt-live-api-key",
        Some("inferexai"),
        "critical",
    );
    let info = &only(&f, ".env")["key_info"];
    assert_eq!(info["prefix"], "sk-live-eyJhbGci");
    assert_eq!(info["claims"]["sub"], "user_7");
    assert_eq!(info["claims"]["jti"], "key_42");
    assert!(info["claims"]["iat"].as_str().unwrap().ends_with("+00:00"));
    let stale: Vec<&Value> = f
        .iter()
        .filter(|x| {
            x["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "stale-key"))
        })
        .collect();
    assert_eq!(stale.len(), 1, "200 days old, not 10: {f:#?}");
    assert_eq!(stale[0]["path"], ".env");
}

#[test]
fn page_error_answers_map_to_statuses() {
    let mock = Mock::start();
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "ip.env",
        format!(
            "INFINIPOST_API_KEY={}\n",
            key("sk_live_{{alnum:24}}", "ipv")
        ),
    );
    write(
        t.path(),
        "ib.env",
        format!("INFINITYBLUE_API_KEY={}\n", key("{{alnum:48}}", "ibv")),
    );
    let run = |rule: &str, path: &str, file: &str| -> Value {
        let f = findings(
            t.path(),
            &[
                "--no-ignore",
                "--rule",
                rule,
                "--verify",
                "--verify-endpoint",
                &format!("{rule}={}", mock.url(path)),
            ],
        );
        only(&f, file)["verification"].clone()
    };
    // Infinipost: 401 with invalid_api_key / api_key_expired / unauthorized.
    assert_eq!(
        run("stripe-secret-key", "/invalid", "ip.env")["status"],
        "invalid"
    );
    assert_eq!(
        run("stripe-secret-key", "/expired", "ip.env")["status"],
        "expired"
    );
    let missing = run("stripe-secret-key", "/missing", "ip.env");
    assert_eq!(missing["status"], "unknown");
    assert!(missing["detail"]
        .as_str()
        .unwrap()
        .contains("no key reached it"));
    assert_eq!(
        run("stripe-secret-key", "/live", "ip.env")["provider"],
        "infinipost"
    );
    // InfinityBlue: a plain 401 also covers revoked and deleted keys.
    let v = run("infinityblue-api-key", "/plain401", "ib.env");
    assert_eq!(v["status"], "invalid");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("revoked and deleted keys too"));
    assert_eq!(
        run("infinityblue-api-key", "/live", "ib.env")["status"],
        "live"
    );
}
