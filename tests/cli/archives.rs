//! Archives and compressed files: every format, nesting, the limits (a zip
//! bomb among them), corrupt input, and where archived findings are reported.

use crate::{git, key, keysweep, said, write};
use serde_json::Value;
use std::io::{Cursor, Write};
use tempfile::TempDir;

/// A synthetic AWS key pair as an ini file.
fn creds(seed: &str) -> Vec<u8> {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key("AKIA{{upper:16}}", seed),
        key("{{base64:40}}", seed)
    )
    .into_bytes()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// Run keysweep with `args` in `dir` and parse its JSON report.
fn json_in(dir: &std::path::Path, args: &[&str]) -> (i32, Value) {
    let out = keysweep()
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = crate::try_report_json(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}", said(&out)));
    (out.status.code().unwrap_or(-1), doc)
}

/// (rule, path, archive, line) of every finding.
fn found(doc: &Value) -> Vec<(String, String, String, u64)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["archive"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Skipped entries as (path, note).
fn notes(doc: &Value) -> Vec<(String, String)> {
    doc["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "archive")
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["note"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_format_is_opened_and_members_are_named() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let c = creds("formats");
    let c: &[u8] = &c;
    write(
        d,
        "bundle.zip",
        zip_of(&[("conf/.env", c), ("README.txt", b"hello\n")]),
    );
    write(d, "app.jar", zip_of(&[("META-INF/app.properties", c)]));
    write(d, "plain.tar", tar_of(&[("etc/creds.ini", c)]));
    write(d, "release.tar.gz", gzip(&tar_of(&[("creds.ini", c)])));
    write(d, "creds.ini.gz", gzip(c));
    write(d, "creds.ini.bz2", bzip2(c));
    write(d, "creds.ini.xz", xz(c));
    write(d, "creds.ini.zst", zstd(c));
    let (code, doc) = json_in(d, &["scan", "."]);
    assert_eq!(code, 1);
    let paths: std::collections::BTreeSet<(String, String)> =
        found(&doc).into_iter().map(|(_, p, a, _)| (p, a)).collect();
    let want: std::collections::BTreeSet<(String, String)> = [
        ("app.jar!META-INF/app.properties", "app.jar"),
        ("bundle.zip!conf/.env", "bundle.zip"),
        ("creds.ini.bz2", "creds.ini.bz2"),
        ("creds.ini.gz", "creds.ini.gz"),
        ("creds.ini.xz", "creds.ini.xz"),
        ("creds.ini.zst", "creds.ini.zst"),
        ("plain.tar!etc/creds.ini", "plain.tar"),
        ("release.tar.gz!creds.ini", "release.tar.gz"),
    ]
    .into_iter()
    .map(|(p, a)| (p.to_string(), a.to_string()))
    .collect();
    assert_eq!(paths, want);
    // Both keys of the pair, on the member's own lines.
    let zip: Vec<_> = found(&doc)
        .into_iter()
        .filter(|f| f.1 == "bundle.zip!conf/.env")
        .map(|f| (f.0, f.3))
        .collect();
    assert_eq!(
        zip,
        [
            ("aws-access-key-id".to_string(), 2),
            ("aws-secret-access-key".to_string(), 3)
        ]
    );
    // The text member and every archive count as scanned.
    assert!(doc["summary"]["files_scanned"].as_u64().unwrap() >= 16);
}

#[test]
fn nested_archives_open_to_the_depth_limit_and_no_further() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let c = creds("nested");
    let inner = zip_of(&[("deep/.env", &c)]);
    let middle = gzip(&tar_of(&[("inner.zip", &inner)]));
    write(d, "outer.zip", zip_of(&[("middle.tar.gz", &middle)]));
    let (code, doc) = json_in(d, &["scan", "."]);
    assert_eq!(code, 1);
    assert!(found(&doc)
        .iter()
        .all(|f| f.1 == "outer.zip!middle.tar.gz!inner.zip!deep/.env" && f.2 == "outer.zip"));
    assert_eq!(found(&doc).len(), 2);

    let (code, doc) = json_in(d, &["scan", ".", "--archive-depth", "2"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        notes(&doc),
        [(
            "outer.zip!middle.tar.gz!inner.zip".to_string(),
            "depth limit reached (2 archives deep)".to_string()
        )]
    );

    // Depth 0: archives are not opened; the archive counts as skipped binary.
    let (code, doc) = json_in(d, &["scan", ".", "--archive-depth", "0"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["skipped"][0]["path"], "outer.zip");
    assert_eq!(doc["summary"]["skipped"][0]["reason"], "binary");
}

/// A zip bomb: a small archive that would inflate to gigabytes is cut off at
/// the ratio limit (the inflated bytes are never held), its note reported,
/// and the member beside it is still scanned.
#[test]
fn zip_bomb_stops_at_the_ratio_limit() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    // 64 MiB of one byte deflates to about 64 KiB; the bomb is written in
    // chunks so the test itself stays small.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("bomb.txt", opts).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        w.write_all(&chunk).unwrap();
    }
    w.start_file("after/.env", opts).unwrap();
    w.write_all(&creds("bomb")).unwrap();
    let bomb = w.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
    write(d, "bomb.zip", &bomb);
    let (code, doc) = json_in(d, &["scan", "."]);
    assert_eq!(code, 1);
    let n = notes(&doc);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].0, "bomb.zip!bomb.txt");
    assert!(
        n[0].1.starts_with("compression ratio over 100:1"),
        "{}",
        n[0].1
    );
    assert!(found(&doc).iter().all(|f| f.1 == "bomb.zip!after/.env"));
    assert_eq!(found(&doc).len(), 2);
    // Bytes scanned: the archive and the small member, not the bomb.
    assert!(doc["summary"]["bytes_scanned"].as_u64().unwrap() < 4 << 20);

    // The member limit, lowered with --max-file-size, applies to members
    // (and comes before the ratio when it is the smaller).
    let (_, doc) = json_in(d, &["scan", ".", "--max-file-size", "1M"]);
    assert_eq!(
        notes(&doc),
        [(
            "bomb.zip!bomb.txt".to_string(),
            "member larger than 1 MiB".to_string()
        )]
    );
}

/// 400 small members that each inflate to 1 MiB of one byte: each is under
/// the per-member ratio floor, but the archive as a whole is held to 100:1,
/// so the scan inflates about 100 times the zip's size, not 256 MiB (this
/// cost 18 s of CPU). The members not opened are listed, and a key before
/// them is found and never printed.
#[test]
fn many_small_bombs_in_one_zip_stop_at_the_archive_ratio() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let k = crate::live_key("zip-first");
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("config/.env", opts).unwrap();
    w.write_all(format!("STRIPE={k}\n").as_bytes()).unwrap();
    let member = vec![b'a'; 1 << 20];
    for i in 0..400 {
        w.start_file(format!("fill/{i:03}.txt"), opts).unwrap();
        w.write_all(&member).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    assert!(zip.len() < 1 << 20, "{}", zip.len());
    write(d, "bombs.zip", &zip);
    let out = keysweep()
        .current_dir(d)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains(&k), "printed the key: {text}");
    let doc = crate::report_json(&out.stdout);
    assert_eq!(
        found(&doc),
        [(
            "stripe-secret-key".to_string(),
            "bombs.zip!config/.env".to_string(),
            "bombs.zip".to_string(),
            1
        )]
    );
    let inflated = doc["summary"]["bytes_scanned"].as_u64().unwrap();
    assert!(inflated <= zip.len() as u64 * 101, "{inflated}");
    let n = notes(&doc);
    assert!(n.len() > 300, "{}", n.len());
    assert!(
        n.iter()
            .all(|(_, note)| note.starts_with("archive compression ratio over 100:1")),
        "{n:?}"
    );
}

#[test]
fn corrupt_archives_are_reported_not_fatal() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend([0u8; 64]);
    write(d, "broken.zip", &broken);
    let mut gz = gzip(&creds("corrupt"));
    let half = gz.len() / 2;
    gz.truncate(half);
    write(d, "cut.ini.gz", &gz);
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "."])
        .output()
        .unwrap();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        text.contains("broken.zip (archive member not opened: corrupt zip"),
        "{text}"
    );
    assert!(
        text.contains("cut.ini.gz (archive member not opened: corrupt gzip"),
        "{text}"
    );
}

/// In history, an archive committed is opened too; SARIF and GitHub
/// annotations point at the archive file and name the member.
#[test]
fn archived_findings_in_history_point_at_the_archive() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q"]);
    write(
        d,
        "dist/bundle.zip",
        zip_of(&[("config/.env", &creds("history"))]),
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "bundle"]);
    let (code, doc) = json_in(d, &["history"]);
    assert_eq!(code, 1);
    let f = found(&doc);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f
        .iter()
        .all(|f| f.1 == "dist/bundle.zip!config/.env" && f.2 == "dist/bundle.zip"));
    assert!(
        doc["findings"][0]["provenance"]["commit"].is_string(),
        "{doc}"
    );

    let out = keysweep()
        .current_dir(d)
        .args(["history"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("dist/bundle.zip!config/.env\n"), "{text}");
    assert!(
        text.contains("  2:21  high      aws-access-key-id"),
        "{text}"
    );

    let out = keysweep()
        .current_dir(d)
        .args(["history", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8(out.stdout).unwrap();
    crate::output::validate_sarif(&sarif);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let loc = &doc["runs"][0]["results"][0]["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "dist/bundle.zip"
    );
    assert!(loc["physicalLocation"]["region"].is_null());
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "dist/bundle.zip!config/.env"
    );
    let msg = doc["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("in dist/bundle.zip!config/.env line 2"),
        "{msg}"
    );

    let out = keysweep()
        .current_dir(d)
        .args(["history", "--format", "github"])
        .output()
        .unwrap();
    let gh = String::from_utf8(out.stdout).unwrap();
    assert!(
        gh.lines()
            .all(|l| l.starts_with("::error file=dist/bundle.zip,title=")),
        "{gh}"
    );
}

/// A key store inside an archive is reported by type at its member path.
#[test]
fn key_store_inside_an_archive() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let mut p12 = vec![0x30, 0x82, 0x04, 0x01, 0x00];
    p12.extend(0..200u8);
    write(d, "release.zip", zip_of(&[("signing/app.p12", &p12)]));
    let (code, doc) = json_in(d, &["scan", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&doc),
        [(
            "pkcs12-file".to_string(),
            "release.zip!signing/app.p12".to_string(),
            "release.zip".to_string(),
            1
        )]
    );
}
