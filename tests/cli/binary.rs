//! Nothing a contributor controls hides a key: a NUL byte in a text file,
//! a key compiled into a binary, UTF-16 without a byte-order mark or mixed
//! into a UTF-8 file, a key deep inside a megabyte of base64 (the zip of
//! many small bombs is in `archives.rs`). Every input is built at test
//! time; every run is checked for its exit code and for never printing the
//! key.

use crate::{git, git_output, keysweep, live_key, said, write};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// Run keysweep `args` in `dir` with a JSON report: (exit code, report,
/// everything it said).
fn json_run(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = keysweep()
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let text = said(&out);
    let doc = crate::try_report_json(&out.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), doc, text)
}

/// (path, rule, line, encoding) of every key finding (not the lints that
/// a `.env` file draws), sorted.
fn found(doc: &Value) -> Vec<(String, String, u64, String)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["lint"] != true)
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["encoding"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Paths in the report's skipped list.
fn skipped(doc: &Value) -> Vec<String> {
    doc["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn assert_silent_about(text: &str, keys: &[&str]) {
    for k in keys {
        assert!(!text.contains(k), "printed the key {k}: {text}");
    }
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// A repository with one clean commit.
fn repo() -> TempDir {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "README.md", "hello\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    t
}

/// The bug: a NUL at the top of a `.env` made it "binary", so the
/// pre-commit hook let its keys through.
#[test]
fn one_nul_does_not_make_a_text_file_binary() {
    let t = repo();
    let d = t.path();
    let k = live_key("nul-env");
    let k2 = live_key("nul-env-2");
    // One NUL at the top, another further down: a file this long allows
    // four (1 in 64 bytes of the head).
    let options: String = (0..10)
        .map(|i| format!("OPTION_{i}=some value\n"))
        .collect();
    let env = format!("\0# settings\nSTRIPE_KEY={k}\n{options}OTHER=1\0x\nSECOND={k2}\n");
    write(d, ".env", &env);
    let (code, doc, text) = json_run(d, &["scan", "."]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &[&k, &k2]);
    assert_eq!(
        found(&doc),
        [
            (".env".into(), "stripe-secret-key".into(), 2, "-".into()),
            (".env".into(), "stripe-secret-key".into(), 14, "-".into()),
        ]
    );
    assert!(skipped(&doc).is_empty(), "{doc}");

    // The commit gate: real `git commit` through the installed hook.
    let out = keysweep()
        .current_dir(d)
        .arg("install-hook")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    git(d, &["add", ".env"]);
    let (code, doc, text) = json_run(d, &["staged"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(found(&doc).len(), 2, "{doc}");
    let out = git_output(d, &["commit", "-m", "settings"]);
    let text = said(&out);
    assert!(!out.status.success(), "the hook let it through: {text}");
    assert!(text.contains("stripe-secret-key"), "{text}");
    assert_silent_about(&text, &[&k, &k2]);

    // History: the committed file is found too.
    git(d, &["commit", "-q", "--no-verify", "-m", "settings"]);
    let (code, doc, text) = json_run(d, &["history"]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &[&k, &k2]);
    assert_eq!(found(&doc).len(), 2, "{doc}");
}

/// Bytes that look like a compiled program: a header, NULs and control
/// bytes, and `strings` placed among them.
fn fake_binary(magic: &[u8], strings: &[&[u8]]) -> Vec<u8> {
    let mut b = magic.to_vec();
    b.extend([0u8, 1, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0]);
    for (i, s) in strings.iter().enumerate() {
        b.extend((0..200u32).map(|j| (j * 7 + i as u32) as u8 & 0x1f));
        b.push(0);
        b.extend(*s);
        b.push(0);
    }
    b.extend([0u8; 64]);
    b
}

#[test]
fn keys_compiled_into_binaries_are_found_in_their_strings() {
    let t = repo();
    let d = t.path();
    let elf_key = live_key("elf");
    let pe_key = live_key("pe-utf16");
    let class_key = live_key("class");
    let lib_key = live_key("static-lib");
    write(
        d,
        "bin/server",
        fake_binary(
            b"\x7fELF\x02\x01\x01",
            &[
                b"GLIBC_2.34",
                b"usage: server [options]",
                elf_key.as_bytes(),
            ],
        ),
    );
    let mut pe_string = vec![0x01];
    pe_string.extend(utf16le(&pe_key));
    write(
        d,
        "bin/tool.exe",
        fake_binary(
            b"MZ\x90\0",
            &[b"This program cannot be run in DOS mode.", &pe_string],
        ),
    );
    let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0x41];
    class.extend([1, 0, 32]);
    class.extend(class_key.as_bytes());
    class.extend([7, 0, 2, 0]);
    write(d, "App.class", class);
    write(
        d,
        "lib/libpay.a",
        fake_binary(
            b"!<arch>\n",
            &[format!("static const char *k = \"{lib_key}\";").as_bytes()],
        ),
    );
    // A string that is itself encoded: decoded like text.
    let agent_key = live_key("base64-in-binary");
    let encoded = STANDARD.encode(format!("stripe_key={agent_key}"));
    write(
        d,
        "bin/agent",
        fake_binary(b"\x7fELF\x02\x01\x01", &[encoded.as_bytes()]),
    );
    // A binary with no string of 8 printable characters: nothing to scan.
    write(
        d,
        "blank.bin",
        fake_binary(b"\x7fELF\x02\x01\x01", &[b"short"]),
    );
    let keys = [
        elf_key.as_str(),
        &pe_key,
        &class_key,
        &lib_key,
        &agent_key,
        &encoded,
    ];

    let (code, doc, text) = json_run(d, &["scan", "."]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &keys);
    assert_eq!(
        found(&doc),
        [
            (
                "App.class".into(),
                "stripe-secret-key".into(),
                1,
                "strings".into()
            ),
            (
                "bin/agent".into(),
                "stripe-secret-key".into(),
                1,
                "strings > base64".into()
            ),
            (
                "bin/server".into(),
                "stripe-secret-key".into(),
                3,
                "strings".into()
            ),
            (
                "bin/tool.exe".into(),
                "stripe-secret-key".into(),
                2,
                "strings".into()
            ),
            (
                "lib/libpay.a".into(),
                "stripe-secret-key".into(),
                1,
                "strings".into()
            ),
        ]
    );
    // Scanned binaries are not listed as skipped; the one without strings is.
    assert_eq!(skipped(&doc), ["blank.bin"]);
    assert_eq!(doc["summary"]["skipped"][0]["reason"], "binary");

    // The text report says where: the string's number among the strings.
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "bin/server"])
        .output()
        .unwrap();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("in a binary file: string 3 of its printable strings"),
        "{text}"
    );
    assert_silent_about(&text, &keys);

    // SARIF points at the file, with no line region (the line counts
    // strings); GitHub annotates the file.
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "bin/server", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8(out.stdout).unwrap();
    crate::output::validate_sarif(&sarif);
    assert_silent_about(&sarif, &keys);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["properties"]["encoding"], "strings");
    assert!(
        r["locations"][0]["physicalLocation"]["region"].is_null(),
        "{r}"
    );
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("a binary file: its printable string 3"),
        "{r}"
    );
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "bin/server", "--format", "github"])
        .output()
        .unwrap();
    let gh = String::from_utf8(out.stdout).unwrap();
    assert!(gh.starts_with("::error file=bin/server,title="), "{gh}");

    // History and the index: the same binaries, the same findings.
    git(d, &["add", "-A"]);
    let (code, doc, text) = json_run(d, &["staged"]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &keys);
    assert_eq!(found(&doc).len(), 5, "{doc}");
    git(d, &["commit", "-q", "-m", "binaries"]);
    let (code, doc, text) = json_run(d, &["history"]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &keys);
    assert_eq!(found(&doc).len(), 5, "{doc}");
    assert!(
        found(&doc).iter().all(|f| f.3.starts_with("strings")),
        "{doc}"
    );
    assert_eq!(skipped(&doc), ["blank.bin"]);
}

/// UTF-16 without a byte-order mark, with non-ASCII text, with a head of
/// characters that have no zero byte, and UTF-16 sections in UTF-8 files.
#[test]
fn utf16_without_bom_and_mixed_encodings() {
    let t = repo();
    let d = t.path();
    let k: Vec<String> = (0..5).map(|i| live_key(&format!("utf16-{i}"))).collect();
    write(
        d,
        "cyrillic.ps1",
        utf16le(&format!(
            "# Настройки доступа\r\n$ключ = 1\r\n$key = '{}'\r\n",
            k[0]
        )),
    );
    write(
        d,
        "cjk-be.txt",
        utf16be(&format!("# 設定ファイル\nKEY={}\n", k[1])),
    );
    write(
        d,
        "cjk-head.txt",
        utf16le(&format!("{}\nKEY={}\n", "設定".repeat(3000), k[2])),
    );
    let mut mixed = b"# written by two tools\nA=1\n".to_vec();
    mixed.extend(utf16le(&format!("KEY={}\n", k[3])));
    mixed.extend(b"B=2\n");
    write(d, "mixed-head.env", &mixed);
    let mut late = "# padding line\n".repeat(1000).into_bytes();
    late.extend(utf16le(&format!("KEY={}\n", k[4])));
    write(d, "mixed-late.env", &late);
    let keys: Vec<&str> = k.iter().map(String::as_str).collect();

    let (code, doc, text) = json_run(d, &["scan", "."]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &keys);
    let row = |p: &str, l| {
        (
            p.to_string(),
            "stripe-secret-key".to_string(),
            l,
            "-".to_string(),
        )
    };
    assert_eq!(
        found(&doc),
        [
            row("cjk-be.txt", 2),
            row("cjk-head.txt", 2),
            row("cyrillic.ps1", 3),
            row("mixed-head.env", 3),
            row("mixed-late.env", 1001),
        ]
    );
    assert!(skipped(&doc).is_empty(), "{doc}");

    // The pre-commit view agrees (lines diffed on the same decoded text).
    git(d, &["add", "-A"]);
    let (code, doc, text) = json_run(d, &["staged"]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &keys);
    assert_eq!(found(&doc).len(), 5, "{doc}");
}

/// A key in the middle of a megabyte of base64 is decoded and found; a key
/// encoded deeper than the decoder goes is counted as not decoded.
#[test]
fn long_base64_is_decoded_and_what_is_not_decoded_is_counted() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let k = live_key("b64-blob");
    let filler = "some harmless payload text, ".repeat(20_000);
    let inner = format!("{filler}\nstripe = {k}\n{filler}");
    let b64 = STANDARD.encode(&inner);
    assert!(b64.len() > 1 << 20);
    write(d, "blob.yaml", format!("payload: {b64}\n"));
    let (code, doc, text) = json_run(d, &["scan", "."]);
    assert_eq!(code, 1, "{text}");
    assert_silent_about(&text, &[&k]);
    assert_eq!(
        found(&doc),
        [(
            "blob.yaml".into(),
            "stripe-secret-key".into(),
            1,
            "base64".into()
        )]
    );
    assert_eq!(doc["summary"]["not_decoded"], 0);

    let k2 = live_key("four-deep");
    let mut deep = format!("key: {k2}");
    for _ in 0..4 {
        deep = STANDARD.encode(&deep);
    }
    let t = TempDir::new().unwrap();
    write(t.path(), "deep.txt", format!("v = {deep}\n"));
    let (code, doc, text) = json_run(t.path(), &["scan", "."]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(doc["summary"]["not_decoded"], 1, "{doc}");
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let text = said(&out);
    assert!(
        text.contains("1 encoded span(s) not decoded (nested deeper than 3 encodings"),
        "{text}"
    );
    assert_silent_about(&text, &[&k2]);
}
