//! Quiet on real code: one test per class of noise measured on ordinary
//! open-source repositories (with the examples the triage found), and the
//! shapes that must still be found.

use super::{git, key, keysweep, write};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// Findings of a scan of `dir` at `confidence` (default when `None`).
fn findings(dir: &Path, confidence: Option<&str>) -> Vec<Value> {
    let mut c = keysweep();
    c.current_dir(dir).args(["scan", ".", "--format", "json"]);
    if let Some(level) = confidence {
        c.args(["--confidence", level]);
    }
    let out = c.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = crate::report_json(&out.stdout);
    doc["findings"].as_array().cloned().unwrap()
}

fn tree(files: &[(&str, String)]) -> TempDir {
    let t = TempDir::new().unwrap();
    for (p, c) in files {
        write(t.path(), p, c);
    }
    t
}

/// Nothing at the default confidence; `(path, confidence)` at low.
fn quiet(files: &[(&str, String)]) -> Vec<(String, String)> {
    let t = tree(files);
    let shown = findings(t.path(), None);
    assert!(shown.is_empty(), "reported by default: {shown:#?}");
    findings(t.path(), Some("low"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn descriptive_placeholder_values() {
    let low = quiet(&[
        (
            "tests/test_client.py",
            "client = Client(api_key=\"test-api-key-123\")\n".into(),
        ),
        (
            "src/config.ts",
            "const cfg = { apiKey: 'openai-access-token-1' };\n".into(),
        ),
        (
            "tests/test_v2.py",
            "    api_key=\"keyinfo_test_123\",\n".into(),
        ),
        (
            "lib/auth.py",
            "ACCESS_TOKEN = \"host-only-credential\"\n".into(),
        ),
        (
            "tests/realtime.test.ts",
            "  headers: { Authorization: 'Bearer static-secret-value' },\n".into(),
        ),
        (
            "tests/cf.test.ts",
            format!(
                "const apiKey = 'sk-synthetic-{}';\n",
                key("{{hex:24}}", "syn")
            ),
        ),
    ]);
    assert!(low.iter().all(|(_, c)| c == "low"), "{low:?}");
}

#[test]
fn placeholder_database_passwords() {
    let low = quiet(&[
        (
            "settings.py",
            "DATABASE_URL = \"postgres://app:testpassword@db.example-corp.net/app\"\n".into(),
        ),
        (
            "config/database.yml",
            "url: mysql://bob:mypass@mysql.internal.net/shop\n".into(),
        ),
        (
            "docker-compose.yml",
            format!(
                "  DB: postgres://user:{}@db:5432/app\n",
                key("{{alnum:20}}", "svc")
            ),
        ),
        (
            ".env",
            "REDIS_URL=redis://user:user@cache.prod.net:6379/0\n".into(),
        ),
        (
            "app.env",
            format!(
                "DATABASE_URL=postgres://app:{}@localhost:5432/dev\n",
                key("{{alnum:20}}", "local")
            ),
        ),
    ]);
    // Each is low (the user:user one is dropped as a placeholder outright).
    assert!(
        low.len() >= 4 && low.iter().all(|(_, c)| c == "low"),
        "{low:?}"
    );
    // A real-looking password to a remote host is reported.
    let t = tree(&[(
        ".env",
        format!(
            "DATABASE_URL=postgres://app:{}@db.prod.corp.net:5432/app\n",
            key("{{alnum:20}}", "remote")
        ),
    )]);
    assert_eq!(findings(t.path(), None).len(), 1);
}

#[test]
fn code_identifiers_are_not_values() {
    quiet(&[
        (
            "src/keys.ts",
            "import { APIKeyCreateParams, APIKeyDeleteResponse } from './api-keys';\n".into(),
        ),
        (
            "src/session.rb",
            "  client_secret: SessionClientSecret,\n".into(),
        ),
        (
            "CHANGELOG.md",
            "* Add `api_key` on `EventsV2IamApiKeyCreatedEvent`, `V2IamApiKeyDefaultSecret`\n"
                .into(),
        ),
        (
            "src/client.ts",
            "      apiKey: this.resolvedApiKey,\n".into(),
        ),
        (
            "src/provider.ts",
            "        __resolvedApiKey: resolvedProvider,\n".into(),
        ),
        ("src/main.go", "\tapiKey := cfg.APIKeyValue\n".into()),
        (
            "src/App.java",
            "String apiKey = properties.getApiKeyValue;\n".into(),
        ),
        (
            "src/Auth.cs",
            "ClientSecret = options.ClientSecretValue;\n".into(),
        ),
    ]);
}

#[test]
fn keyword_argument_pass_throughs() {
    quiet(&[
        (
            "src/client.py",
            "    return Client(api_key=api_key, admin_api_key=admin_api_key)\n".into(),
        ),
        (
            "src/request.py",
            "        api_version=stripe_version, api_key=api_key,\n".into(),
        ),
        (
            "src/jwt.py",
            "    encoded = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)\n".into(),
        ),
    ]);
}

#[test]
fn fake_values_in_real_provider_formats() {
    let t = tree(&[
        (
            "tests/fixtures.py",
            "SHOPIFY_SECRET = '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'\n".into(),
        ),
        (
            "tests/sentry.py",
            format!("TOKEN = 'sntrys_eyJFAKE{}'\n", key("{{alnum:40}}", "sn")),
        ),
    ]);
    assert!(
        findings(t.path(), None).is_empty(),
        "{:#?}",
        findings(t.path(), None)
    );
}

#[test]
fn documentation_examples() {
    let value = key("{{hex:64}}", "docs-key");
    let low = quiet(&[
        (
            "docs_src/security/tutorial004.py",
            format!("SECRET_KEY = \"{value}\"\n"),
        ),
        (
            "docs/deploy.md",
            format!(
                "```\nSECRET_KEY='{}'\n```\n",
                key("{{hex:40}}", "deploy-doc")
            ),
        ),
        (
            "examples/run.sh",
            format!("export API_TOKEN={}\n", key("{{alnum:32}}", "ex")),
        ),
    ]);
    assert_eq!(low.len(), 3, "{low:?}");
    // The same value copied across several files is a sample.
    let t = tree(&[
        ("a/one.py", format!("SECRET_KEY = \"{value}\"\n")),
        ("b/two.py", format!("SECRET_KEY = \"{value}\"\n")),
        ("c/three.py", format!("SECRET_KEY = \"{value}\"\n")),
    ]);
    assert!(findings(t.path(), None).is_empty());
    // A provider's own format in a README is still a leak.
    let t = tree(&[(
        "README.md",
        format!("STRIPE_KEY={}\n", key("sk_live_{{alnum:24}}", "readme")),
    )]);
    let f = findings(t.path(), None);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["confidence"], "high");
}

/// Lints on test fixtures and libraries: a tracked `tests/.env` without a
/// secret is low and says nothing of rotating; `.env.example` is never "not
/// ignored"; a library that mentions dotenv is not told to ignore `.env`.
#[test]
fn lints_fit_real_projects() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "tests/.env", "FOO=env\n");
    write(d, ".env.example", "API_KEY=\n");
    write(d, ".gitignore", "*.pyc\n");
    write(
        d,
        "pyproject.toml",
        "[project.optional-dependencies]\ndotenv = [\"python-dotenv\"]\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "x"]);
    let shown = findings(d, None);
    assert!(
        shown.iter().all(|f| f["rule_id"] != "env-file-not-ignored"),
        "{shown:#?}"
    );
    let low = findings(d, Some("low"));
    let env: Vec<&Value> = low
        .iter()
        .filter(|f| f["rule_id"] == "env-file-not-ignored")
        .collect();
    assert_eq!(env.len(), 1, "{low:#?}");
    assert_eq!(env[0]["path"], "tests/.env");
    assert_eq!(env[0]["confidence"], "low");
    assert!(!env[0]["message"].as_str().unwrap().contains("rotate"));
}

/// One finding per secret and place: a lint about it is a tag.
#[test]
fn one_finding_per_secret_and_place() {
    let t = tree(&[(
        "tests/test_pay.py",
        format!("KEY = '{}'\n", key("sk_live_{{alnum:24}}", "dup")),
    )]);
    let f = findings(t.path(), None);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["rule_id"], "stripe-secret-key");
    assert_eq!(f[0]["tags"], serde_json::json!(["live-key-in-test"]));
}

/// Shapes real leaks take that must be found.
#[test]
fn recall_hex_env_values_and_url_parameters() {
    let t = tree(&[
        (
            ".env",
            format!("INFINITYBLUE_API_KEY={}\n", key("{{hex:32}}", "hex")),
        ),
        (
            "docs/runbook.md",
            format!(
                "```\ncurl \"https://api.weatherdata.io/v1/forecast?q=Paris&api_key={}\"\n```\n",
                key("{{alnum:32}}", "query")
            ),
        ),
        (
            "scripts/sync.sh",
            format!(
                "curl \"https://api.vendor-data.net/items?access_token={}\"\n",
                key("{{alnum:40}}", "q2")
            ),
        ),
    ]);
    let f = findings(t.path(), None);
    let mut paths: Vec<&str> = f.iter().map(|x| x["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [".env", "docs/runbook.md", "scripts/sync.sh"],
        "{f:#?}"
    );
    let runbook = f.iter().find(|x| x["path"] == "docs/runbook.md").unwrap();
    assert_eq!(
        runbook["confidence"], "medium",
        "a host on the line keeps it medium"
    );
    assert!(runbook["confidence_reasons"][0]
        .as_str()
        .unwrap()
        .contains("api.weatherdata.io"));
}

/// SARIF carries the confidence as `precision`.
#[test]
fn sarif_carries_precision() {
    let t = tree(&[(
        ".env",
        format!("API_TOKEN={}\n", key("{{alnum:32}}", "sarif")),
    )]);
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8_lossy(&out.stdout).into_owned();
    super::output::validate_sarif(&sarif);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        doc["runs"][0]["results"][0]["properties"]["precision"],
        "medium"
    );
}

/// Binary key stores are reported by type, one finding per file, in trees
/// and in history; other binary files have their strings scanned.
#[test]
fn binary_key_containers() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    let binary = |tag: u8| {
        let mut b = vec![0x30, 0x82, 0x04, tag, 0x00];
        b.extend((0..200u8).map(|i| i.wrapping_mul(tag)));
        b
    };
    write(d, "certs/server.p12", binary(1));
    write(d, "android/release.keystore", binary(2));
    write(d, "vault.kdbx", binary(3));
    write(d, "deploy/id_ed25519", binary(4));
    write(d, "logo.png", binary(5));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "stores"]);
    for cmd in ["scan", "history"] {
        let out = keysweep()
            .current_dir(d)
            .args([cmd, "--format", "json"])
            .output()
            .unwrap();
        let doc: Value = crate::report_json(&out.stdout);
        let mut got: Vec<(String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (
                    "java-keystore-file".to_string(),
                    "android/release.keystore".to_string()
                ),
                ("keepass-database-file".into(), "vault.kdbx".into()),
                ("pkcs12-file".into(), "certs/server.p12".into()),
                ("ssh-private-key-file".into(), "deploy/id_ed25519".into()),
            ],
            "{cmd}"
        );
        // Other binaries have their printable strings scanned: not skipped.
        let skipped = doc["summary"]["skipped"].as_array().unwrap();
        assert!(
            !skipped.iter().any(|s| s["path"] == "logo.png"),
            "{cmd}: {skipped:?}"
        );
    }
    // In history a key store is one finding however many versions it had,
    // named after the commit that first added it, like any other finding.
    write(d, "certs/server.p12", binary(6));
    git(d, &["commit", "-q", "-am", "rotate the store"]);
    let out = keysweep()
        .current_dir(d)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = crate::report_json(&out.stdout);
    let stores: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "pkcs12-file")
        .collect();
    assert_eq!(stores.len(), 1, "{doc}");
    let p = &stores[0]["provenance"];
    assert_eq!(p["summary"], "stores", "{p}");
    assert!(!p["author"].as_str().unwrap().is_empty(), "{p}");
    assert!(!p["date"].as_str().unwrap().is_empty(), "{p}");
    assert_eq!(p["commits"], 2, "{p}");
    assert_eq!(p["in_head"], true, "{p}");
}

/// A value repeated in three files is a copied sample, unless its line
/// names whose key it is outside documentation and tests.
#[test]
fn repetition_is_judged_after_provider_context() {
    // Digits too: a generic value of letters alone reads as a word.
    let named = format!("{}9x7Q", key("{{alnum:24}}", "repeated-named"));
    let bare = format!("{}4k2Z", key("{{alnum:24}}", "repeated-bare"));
    let mut files = Vec::new();
    for n in ["a", "b", "c"] {
        files.push((format!("{n}.py"), format!("stripe.api_key = '{named}'\n")));
        files.push((format!("x{n}.py"), format!("api_key = '{bare}'\n")));
        // A library's examples and tests repeating its published sample.
        files.push((
            format!("examples/{n}.py"),
            format!("stripe.api_key = '{bare}'\n"),
        ));
    }
    let files: Vec<(&str, String)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let t = tree(&files);
    let found = findings(t.path(), None);
    let paths: Vec<&str> = found.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["a.py", "b.py", "c.py"], "{found:?}");
    assert_eq!(findings(t.path(), Some("low")).len(), 9);
}
