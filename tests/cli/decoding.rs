//! Secrets inside encoded spans: found, located at the encoded span, named
//! by their encoding chain, and never shown encoded.

use crate::{key, keysweep, said, write};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use tempfile::TempDir;

#[test]
fn encoded_keys_are_found_where_the_encoding_is() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let id = key("AKIA{{upper:16}}", "decode");
    let secret = key("{{alnum:40}}", "decode");
    let pair = format!("aws_access_key_id={id}\naws_secret_access_key={secret}\n");
    let b64 = STANDARD.encode(&pair);
    let twice = STANDARD.encode(&b64);
    let escaped: String = id.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    let live = crate::live_key("decoded");
    write(
        d,
        "k8s/secret.yaml",
        format!("kind: Secret\ndata:\n  credentials: {b64}\n"),
    );
    write(d, "fixtures/twice.txt", format!("blob = {twice}\n"));
    write(d, "app.json", format!("{{\"id\": \"{escaped}\"}}\n"));
    write(d, "one-line.env", format!("STRIPE={live} CREDS={b64}\n"));
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Neither the secret nor its encodings are ever printed.
    for s in [&secret, &b64, &twice, &escaped] {
        assert!(!text.contains(s.as_str()), "leaked {s}: {text}");
    }
    let doc: Value = crate::report_json(&out.stdout);
    let mut got: Vec<(String, String, u64, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["encoding"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    got.sort();
    let row = |p: &str, r: &str, l, c, e: &str| (p.into(), r.into(), l, c, e.into());
    let creds_col = format!("STRIPE={live} CREDS=").len() as u64 + 1;
    assert_eq!(
        got,
        [
            row("app.json", "aws-access-key-id", 1, 9, "escapes"),
            row(
                "fixtures/twice.txt",
                "aws-access-key-id",
                1,
                8,
                "base64 > base64"
            ),
            row(
                "fixtures/twice.txt",
                "aws-secret-access-key",
                1,
                8,
                "base64 > base64"
            ),
            row("k8s/secret.yaml", "aws-access-key-id", 3, 16, "base64"),
            row("k8s/secret.yaml", "aws-secret-access-key", 3, 16, "base64"),
            row("one-line.env", "aws-access-key-id", 1, creds_col, "base64"),
            row(
                "one-line.env",
                "aws-secret-access-key",
                1,
                creds_col,
                "base64"
            ),
            row("one-line.env", "stripe-secret-key", 1, 8, "-"),
        ]
    );

    // Text names the chain at the encoded span's place.
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "k8s"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("  3:16  high      aws-access-key-id"),
        "{text}"
    );
    assert!(text.contains("decoded from: base64"), "{text}");
    assert!(!text.contains(&b64), "{text}");

    // SARIF carries the chain; --no-decode turns decoding off.
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "k8s", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8(out.stdout).unwrap();
    crate::output::validate_sarif(&sarif);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["properties"]["encoding"], "base64");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--no-decode", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = crate::report_json(&out.stdout);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["stripe-secret-key"]);
}

/// Base64 wrapped at MIME's 76 columns (and PEM's 64, indented): a key that
/// crosses a line break is found in the block decoded as one span, at the
/// block's first line.
#[test]
fn wrapped_base64_is_decoded_as_one_span() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let live = crate::live_key("wrapped");
    // The key spans bytes 27..59: across the break after byte 48 (64
    // columns) and after byte 57 (76 columns).
    let inner = format!("Subject: deploy\nSTRIPE_KEY={live}\n");
    let b64 = STANDARD.encode(&inner);
    let wrap = |width: usize, indent: &str| -> String {
        b64.as_bytes()
            .chunks(width)
            .map(|c| format!("{indent}{}\n", std::str::from_utf8(c).unwrap()))
            .collect()
    };
    let mime = format!(
        "From: ops@example.invalid\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\n{}--b--\n",
        wrap(76, "")
    );
    write(d, "mail.eml", &mime);
    write(d, "fixture.yaml", format!("blob: |\n{}", wrap(64, "  ")));
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains(&live), "{text}");
    let doc: Value = crate::report_json(&out.stdout);
    let found: Vec<(&str, u64, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "stripe-secret-key")
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["encoding"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("fixture.yaml", 2, "base64"), ("mail.eml", 7, "base64")],
        "{doc}"
    );
}
