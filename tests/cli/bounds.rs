//! Structural pins of the resource bounds (speed itself lives in `bench/`):
//! a blob over `--max-file-size` in a range or the index is skipped without
//! being read, large changes are worked out by line content, and inputs
//! built to hit the matcher's and the pipeline's worst cases give exactly
//! the findings they hold.

use super::{git, keysweep, live_key as live, said, write};
use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn repo() -> TempDir {
    let t = TempDir::new().unwrap();
    git(t.path(), &["init", "-q", "-b", "main"]);
    write(t.path(), "README", "hello\n");
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "base"]);
    t
}

/// Text that does not compress well: a few KB of varied lines.
fn varied_text(seed: u64, lines: usize) -> String {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut out = String::new();
    for _ in 0..lines {
        let mut line = String::new();
        for _ in 0..8 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            line.push_str(&format!("{:x} ", x >> 24));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Cut a loose object short: its header still reads (so its size is
/// known) but its content does not. Reading it is then an error.
fn truncate_object(d: &Path, rev: &str) {
    let id = git(d, &["rev-parse", rev]).trim().to_string();
    let path: PathBuf = d.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 400, "the object compresses too well");
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&path, perm).unwrap();
    std::fs::write(&path, &bytes[..200]).unwrap();
}

fn json(d: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = keysweep()
        .current_dir(d)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = crate::try_report_json(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), doc, said(&out))
}

fn skipped_too_large(doc: &Value, path: &str) -> bool {
    doc["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["path"].as_str().unwrap_or("").contains(path) && s["reason"] == "too_large")
}

#[test]
fn a_range_over_a_blob_above_max_file_size_skips_it_unread() {
    let t = repo();
    let d = t.path();
    write(d, "big.txt", varied_text(1, 200));
    git(d, &["add", "big.txt"]);
    git(d, &["commit", "-q", "-m", "old big"]);
    write(d, "big.txt", varied_text(2, 200));
    git(d, &["add", "big.txt"]);
    git(d, &["commit", "-q", "-m", "new big"]);
    truncate_object(d, "HEAD:big.txt");
    truncate_object(d, "HEAD~1:big.txt");
    let range = ["history", "--range", "HEAD~1..HEAD"];
    let (code, doc, text) = json(d, &[&range[..], &["--max-file-size", "1K"]].concat());
    assert_eq!(code, 0, "{text}");
    assert!(skipped_too_large(&doc, "big.txt"), "{doc}");
    // Reading it would have failed: the limit is what kept it unread.
    let (code, _, text) = json(d, &range);
    assert_eq!(code, 2, "the truncated object was not read: {text}");
}

#[test]
fn a_staged_blob_above_max_file_size_is_skipped_unread() {
    let t = repo();
    let d = t.path();
    write(d, "big.txt", varied_text(3, 200));
    git(d, &["add", "big.txt"]);
    truncate_object(d, ":big.txt");
    let (code, doc, text) = json(d, &["staged", "--max-file-size", "1K"]);
    assert_eq!(code, 0, "{text}");
    assert!(skipped_too_large(&doc, "big.txt"), "{doc}");
    let (code, _, text) = json(d, &["staged"]);
    assert_eq!(code, 2, "the truncated object was not read: {text}");
}

/// Above the large-change size a change is compared by line content, one
/// side at a time: a key added to a 9 MB file is still found, on its line,
/// and the unchanged lines around it are not reported.
#[test]
fn a_large_change_finds_the_added_key_on_its_line() {
    let t = repo();
    let d = t.path();
    let base = varied_text(4, 150_000); // ~9.5 MB
    assert!(base.len() > 8 << 20);
    let old_key = live("large-old");
    write(d, "big.txt", format!("{base}OLD={old_key}\n"));
    git(d, &["add", "big.txt"]);
    git(d, &["commit", "-q", "-m", "big"]);
    let k = live("large-new");
    let mut lines: Vec<&str> = base.lines().collect();
    let key_line = format!("KEY={k}");
    lines.insert(70_000, &key_line);
    let old_line = format!("OLD={old_key}");
    lines.insert(10, &old_line); // moved, not added
    write(d, "big.txt", lines.join("\n") + "\n");
    git(d, &["add", "big.txt"]);
    for args in [vec!["staged"], vec!["staged", "--max-file-size", "100M"]] {
        let (code, doc, text) = json(d, &args);
        if args.len() == 1 {
            // The default limit (25M) is above the file: scanned.
            assert_eq!(code, 1, "{text}");
        }
        let found = doc["findings"].as_array().unwrap();
        assert_eq!(found.len(), 1, "{doc}");
        assert_eq!(found[0]["line"], 70_002); // after the moved line
    }
    git(d, &["commit", "-q", "-m", "key"]);
    let (code, doc, text) = json(d, &["history", "--range", "HEAD~1..HEAD"]);
    assert_eq!(code, 1, "{text}");
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["line"], 70_002); // after the moved line
}

/// 100,000 keyword hits in one file (one keyword, every line, and one long
/// line of it) with keys before, among and after them: every key is found,
/// once, on its line.
#[test]
fn a_file_of_repeated_keywords_still_yields_every_key() {
    let t = TempDir::new().unwrap();
    let keys: Vec<String> = (0..3).map(|i| live(&format!("rep{i}"))).collect();
    let mut f = std::fs::File::create(t.path().join("rep.txt")).unwrap();
    writeln!(f, "A={}", keys[0]).unwrap();
    for _ in 0..50_000 {
        f.write_all(b"sk_live_\n").unwrap();
    }
    writeln!(f, "B={}", keys[1]).unwrap();
    f.write_all(&b"sk_live_ ".repeat(50_000)).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "C={}", keys[2]).unwrap();
    drop(f);
    let (code, doc, text) = json(t.path(), &["scan", "."]);
    assert_eq!(code, 1, "{text}");
    let lines: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 50_002, 50_004], "{doc}");
}

/// Thousands of keys of a shape two providers share in one file: each is
/// one finding, all attributed from the one file's words.
#[test]
fn thousands_of_shared_shape_keys_in_one_file() {
    let t = TempDir::new().unwrap();
    let mut body = String::from("import stripe\n");
    for i in 0..5000 {
        body.push_str(&format!("K{i}={}\n", live(&format!("many{i}"))));
    }
    write(t.path(), "keys.py", body);
    let (code, doc, text) = json(t.path(), &["scan", ".", "--max-findings-per-file", "0"]);
    assert_eq!(code, 1, "{text}");
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 5000);
    assert!(
        found.iter().all(|f| f["provider"] == "stripe"),
        "{}",
        found[0]
    );
}
