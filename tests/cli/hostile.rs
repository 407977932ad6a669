//! Hostile input: special files, loops, huge and odd files, odd encodings,
//! many files, deep paths, odd names, broken git repositories. keysweep must
//! finish (no hang: every run has a deadline), never panic, say what it
//! skipped, and exit with the right code.

use super::{git, key, keysweep, write};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

fn live(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

/// Scan with a deadline; (code, findings, stderr).
fn scan(dir: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = keysweep()
        .current_dir(dir)
        .timeout(Duration::from_secs(60))
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    let code = out.status.code().unwrap_or(-1);
    let findings = crate::try_report_json(&out.stdout)
        .map(|d| d["findings"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    (code, findings, err)
}

#[cfg(unix)]
#[test]
fn fifos_sockets_and_devices_are_never_opened() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(d, "ok.env", format!("K={}\n", live("fifo")));
    assert!(Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .unwrap()
        .success());
    let _sock = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
    let device = Command::new("mknod")
        .arg(d.join("null"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    let (code, f, err) = scan(d, &["--no-ignore"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 1);
    let expected = if device { 3 } else { 2 };
    assert!(
        err.contains(&format!("{expected} not a regular file")),
        "{err}"
    );
    // Named explicitly, a FIFO is still not opened, and not skipped
    // quietly either: an error naming it.
    let (code, _, err) = scan(d, &["pipe"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pipe: not a regular file"), "{err}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_tree() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(d, "a/k.env", format!("K={}\n", live("loop")));
    std::os::unix::fs::symlink("../a", d.join("a/self")).unwrap();
    std::os::unix::fs::symlink("l2", d.join("l1")).unwrap();
    std::os::unix::fs::symlink("l1", d.join("l2")).unwrap();
    let (code, f, err) = scan(d, &["--follow"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 1, "the loop is not walked twice: {f:#?}");
    assert!(
        err.contains("symlink loop")
            || err.contains("broken symlink")
            || err.contains("unreadable"),
        "{err}"
    );
    let (code, f, _) = scan(d, &[]);
    assert_eq!((code, f.len()), (1, 1));
}

#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new().unwrap();
    write(t.path(), "locked/k.env", "K=1\n");
    let dir = t.path().join("locked");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&dir).is_ok();
    let (code, _, err) = scan(t.path(), &[]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 0, "{err}");
    if !readable {
        assert!(err.contains("warning:") && err.contains("locked"), "{err}");
    }
}

#[test]
fn huge_lines_and_files() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    // 50 MB on one line, key at the end.
    let mut one_line = vec![b'a'; 50 << 20];
    for (i, b) in one_line.iter_mut().enumerate() {
        *b = b'a' + (i % 23) as u8;
    }
    one_line.extend(format!(" {}", live("long")).as_bytes());
    write(d, "one-line.txt", &one_line);
    // 10 MB of base64 on one line with a key inside.
    let b64 = key("{{base64:4096}}", "b64").repeat(5 << 8);
    write(
        d,
        "blob.b64",
        format!("{} {} {}", &b64[..5 << 20], live("b64"), &b64[..5 << 20]),
    );
    // A file of NUL bytes.
    write(d, "zeros.bin", vec![0u8; 1 << 20]);
    // A sparse 1 GB file.
    std::fs::File::create(d.join("sparse.img"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let (code, f, err) = scan(d, &["--max-file-size", "64M"]);
    assert_eq!(code, 1, "{err}");
    let paths: Vec<&str> = f.iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert!(
        paths.contains(&"one-line.txt") && paths.contains(&"blob.b64"),
        "{f:#?}"
    );
    assert!(
        err.contains("zeros.bin (binary)") && err.contains("sparse.img (too large: 1.0 GiB)"),
        "{err}"
    );
}

#[test]
fn encodings_and_line_endings() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let text = |seed: &str| format!("# settings\r\nSTRIPE_KEY={}\r\n", live(seed));
    write(
        d,
        "le.env",
        text("le")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    write(
        d,
        "be.env",
        text("be")
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect::<Vec<u8>>(),
    );
    write(d, "crlf.env", text("crlf"));
    write(
        d,
        "cr.env",
        format!("# settings\rSTRIPE_KEY={}\r", live("cr")),
    );
    let mut bad = b"# caf\xe9\n\xff STRIPE_KEY=".to_vec();
    bad.extend(live("bad").as_bytes());
    bad.extend(b" \xc3(\n");
    write(d, "bad-utf8.env", bad);
    let (code, f, err) = scan(d, &["--no-ignore"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 5, "{f:#?}");
    for x in &f {
        assert_eq!(x["line"], 2, "{x}");
    }
}

#[test]
fn many_files_deep_paths_and_odd_names() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    for i in 0..100_000 {
        let p = d.join(format!("m{}/f{i}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        }
        std::fs::write(p, b"x").unwrap();
    }
    let deep: String = (0..200).map(|i| format!("{}/", i % 10)).collect();
    write(d, &format!("{deep}k.env"), format!("K={}\n", live("deep")));
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"odd-\xff\xfe.env");
        std::fs::write(d.join(name), format!("K={}\n", live("odd"))).unwrap();
    }
    let (code, f, err) = scan(d, &["--no-ignore"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("scanned 100002 files"), "{err}");
    assert_eq!(f.len(), if cfg!(unix) { 2 } else { 1 });
}

fn history(dir: &Path) -> (i32, String) {
    let out = keysweep()
        .current_dir(dir)
        .timeout(Duration::from_secs(120))
        .args(["history", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap_or(-1), err)
}

fn repo_with_key() -> TempDir {
    let t = TempDir::new().unwrap();
    git(t.path(), &["init", "-q"]);
    write(t.path(), "k.env", format!("K={}\n", live("git")));
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "one"]);
    t
}

#[test]
fn a_corrupt_loose_object_fails_closed() {
    let t = repo_with_key();
    let blob = String::from_utf8(
        Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", "HEAD:k.env"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let blob = blob.trim();
    let path = t
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&path, perm).unwrap();
    std::fs::write(&path, b"this is not zlib data at all").unwrap();
    let (code, err) = history(t.path());
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_truncated_packfile_fails_closed() {
    let t = repo_with_key();
    git(t.path(), &["gc", "-q"]);
    let pack_dir = t.path().join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let len = std::fs::metadata(&pack).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    f.set_len(len / 2).unwrap();
    let (code, err) = history(t.path());
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_broken_head_and_refs_to_blobs_and_trees() {
    let t = repo_with_key();
    let blob = String::from_utf8(
        Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", "HEAD:k.env"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let tree = String::from_utf8(
        Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", "HEAD^{tree}"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    git(t.path(), &["update-ref", "refs/odd/blob", blob.trim()]);
    git(t.path(), &["update-ref", "refs/odd/tree", tree.trim()]);
    let (code, err) = history(t.path());
    assert_eq!(code, 1, "refs to non-commits are noted, not fatal: {err}");
    std::fs::write(t.path().join(".git/HEAD"), "garbage\n").unwrap();
    let (code, err) = history(t.path());
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_long_linear_history() {
    let t = TempDir::new().unwrap();
    git(t.path(), &["init", "-q", "-b", "main"]);
    let mut stream = String::new();
    for i in 1..=100_000u32 {
        stream.push_str(&format!("commit refs/heads/main\nmark :{i}\ncommitter t <t@example.invalid> {} +0000\ndata 2\nc\n", 1_600_000_000 + i));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        if i == 50_000 {
            let body = format!("K={}\n", live("long-history"));
            stream.push_str(&format!(
                "M 100644 inline k.env\ndata {}\n{body}\n",
                body.len()
            ));
        }
    }
    let mut child = Command::new("git")
        .current_dir(t.path())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let out = keysweep()
        .current_dir(t.path())
        .timeout(Duration::from_secs(300))
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = crate::report_json(&out.stdout);
    assert_eq!(doc["findings"][0]["provenance"]["summary"], "c");
}

/// Every input a fuzz target ever crashed on (fuzz/regressions) is scanned
/// as a file, a notebook, a rules file and a config file: no panic.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let data = std::fs::read(entry.path()).unwrap();
        let t = TempDir::new().unwrap();
        write(t.path(), "input.txt", &data);
        write(t.path(), "input.ipynb", &data);
        write(t.path(), "rules.toml", &data);
        write(t.path(), "config.toml", &data);
        let (code, _, err) = scan(t.path(), &["--no-config", "--max-key-age", "1"]);
        assert!(code < 2, "{}: {err}", entry.path().display());
        for args in [
            &["--rules", "rules.toml"][..],
            &["--config", "config.toml"][..],
        ] {
            let out = keysweep()
                .current_dir(t.path())
                .arg("scan")
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !err.contains("panicked"),
                "{}: {err}",
                entry.path().display()
            );
        }
    }
}
