//! Installing and wiring keysweep: the GitHub Action's install script
//! (`action/install.sh`: platform detection, a verified download, a refused
//! checksum mismatch, the fallback to building), shell completions, the man
//! page, `--version` and `--annotate github` (one scan, two outputs).

use super::{keysweep, live_key, said, write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh")
}

fn install(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script()).args(args);
    for var in [
        "RUNNER_OS",
        "RUNNER_ARCH",
        "KS_REF",
        "KS_DEST",
        "KS_RELEASES_URL",
        "KS_SOURCE",
        "KS_CARGO",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn target_of(os: &str, arch: &str) -> Result<String, String> {
    let out = install(
        &[("RUNNER_OS", os), ("RUNNER_ARCH", arch)],
        &["--print-target"],
    );
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(said(&out))
    }
}

#[test]
fn the_action_picks_the_build_for_the_runner() {
    let cases = [
        ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("Windows", "X64", "x86_64-pc-windows-msvc"),
    ];
    for (os, arch, want) in cases {
        assert_eq!(target_of(os, arch).as_deref(), Ok(want), "{os} {arch}");
    }
    let err = target_of("Windows", "ARM64").unwrap_err();
    assert!(err.contains("no Windows build for aarch64"), "{err}");
    let err = target_of("FreeBSD", "X64").unwrap_err();
    assert!(err.contains("unsupported runner OS"), "{err}");
    let err = target_of("Linux", "RISCV64").unwrap_err();
    assert!(err.contains("unsupported runner architecture"), "{err}");
}

/// Run the install script expecting success and `says` on stderr; the path
/// of the installed binary (its last line of output).
fn installed(env: &[(&str, &str)], says: &str) -> String {
    let out = install(env, &[]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains(says), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().unwrap().to_string()
}

/// A fake release: `base/v9.9.9/` with the Linux x86_64 archive (holding a
/// script that stands in for the binary) and its SHA256SUMS.
fn fake_release(base: &Path, checksum: Option<&str>) {
    let tag = "v9.9.9";
    let name = format!("keysweep-{tag}-x86_64-unknown-linux-musl");
    let stage = base.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    write(&stage, "keysweep", "#!/bin/sh\necho fake keysweep 9.9.9\n");
    let dir = base.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(base.join("stage"))
        .arg(&name)
        .output()
        .unwrap();
    assert!(tar.status.success(), "{}", said(&tar));
    let sum = match checksum {
        Some(s) => s.to_string(),
        None => {
            let out = Command::new("sha256sum").arg(&archive).output().unwrap();
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        }
    };
    write(
        &dir,
        "SHA256SUMS",
        format!("{sum}  {name}.tar.gz\n0000  other-file.zip\n"),
    );
}

fn linux_env<'a>(
    base: &'a str,
    dest: &'a str,
    source: &'a str,
    cargo: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("KS_RELEASES_URL", base),
        ("KS_DEST", dest),
        ("KS_SOURCE", source),
        ("KS_CARGO", cargo),
    ]
}

/// A stand-in for cargo that "builds" by writing a script to `--root`.
fn fake_cargo(dir: &Path) -> PathBuf {
    let path = dir.join("fake-cargo");
    write(
        dir,
        "fake-cargo",
        "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\"\nprintf '#!/bin/sh\\necho built keysweep\\n' > \"$root/bin/keysweep\"\nchmod +x \"$root/bin/keysweep\"\n",
    );
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

/// A fake release of v9.9.9 with its checksums (`checksum` overrides the
/// archive's), and the Linux x86_64 environment that installs it.
struct Release {
    dir: TempDir,
    base: String,
    dest: PathBuf,
    cargo: PathBuf,
}

impl Release {
    fn new(checksum: Option<&str>) -> Self {
        let dir = TempDir::new().unwrap();
        fake_release(dir.path(), checksum);
        Release {
            base: format!("file://{}", dir.path().display()),
            dest: dir.path().join("dest"),
            cargo: fake_cargo(dir.path()),
            dir,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        let mut env = linux_env(
            &self.base,
            self.dest.to_str().unwrap(),
            "/nonexistent",
            self.cargo.to_str().unwrap(),
        );
        env.push(("KS_REF", "v9.9.9"));
        env
    }
}

#[test]
fn the_action_installs_a_verified_release_and_caches_it() {
    let r = Release::new(None);
    let env = r.env();
    let bin = installed(&env, "downloaded and verified");
    let ran = Command::new(&bin).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "fake keysweep 9.9.9\n"
    );
    // The second run (a restored cache) does not download again.
    std::fs::remove_dir_all(r.dir.path().join("v9.9.9")).unwrap();
    let out = install(&env, &[]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("from the cache"), "{}", said(&out));
}

#[test]
fn the_action_refuses_a_download_whose_checksum_does_not_match() {
    let r = Release::new(Some(&"ab".repeat(32)));
    let out = install(&r.env(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("checksum mismatch"), "{}", said(&out));
    assert!(
        !r.dest.join("bin/keysweep").exists(),
        "a rejected binary was installed"
    );
}

#[test]
fn the_action_builds_when_the_ref_has_no_release() {
    let t = TempDir::new().unwrap();
    let base = format!("file://{}", t.path().join("none").display());
    let cargo = fake_cargo(t.path());
    for reference in ["v8.0.0", "main", "0123456789abcdef0123456789abcdef01234567"] {
        let dest = t.path().join(format!("dest-{reference}"));
        let mut env = linux_env(&base, dest.to_str().unwrap(), ".", cargo.to_str().unwrap());
        env.push(("KS_REF", reference));
        let bin = installed(&env, "built from source");
        assert_eq!(Path::new(&bin), dest.join("bin/keysweep"));
        // Built once: the next run (the Action's cache restored) reuses it.
        installed(&env, "from the cache");
    }
    // A build that fails fails the step.
    let dest = t.path().join("dest-fail");
    let mut env = linux_env(&base, dest.to_str().unwrap(), ".", "false");
    env.push(("KS_REF", "main"));
    let out = install(&env, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let expect = [
        ("bash", "_keysweep()"),
        ("zsh", "#compdef keysweep"),
        ("fish", "complete -c keysweep"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[keysweep]"),
    ];
    for (shell, marker) in expect {
        let out = keysweep().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", said(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}");
        for sub in ["history", "staged", "pre-push", "max-file-size"] {
            assert!(text.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let out = keysweep().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = keysweep().arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH keysweep 1"), "{man}");
    assert!(man.contains("history"), "{man}");
}

#[test]
fn version_names_the_commit() {
    let out = keysweep().arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let rest = text
        .strip_prefix(&format!("keysweep {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        rest == "unknown" || (rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_hexdigit())),
        "{text}"
    );
}

#[test]
fn annotate_github_beside_a_report_file_is_one_scan() {
    let t = TempDir::new().unwrap();
    let k = live_key("annotate");
    write(t.path(), "app.py", format!("KEY = '{k}'\n"));
    let report = t.path().join("report.sarif");
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "sarif", "--output"])
        .arg(&report)
        .args(["--annotate", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("::error file=app.py,line=1"), "{stdout}");
    assert!(!stdout.contains(&k));
    let sarif = std::fs::read_to_string(&report).unwrap();
    super::output::validate_sarif(&sarif);
    assert!(sarif.contains("stripe-secret-key"));
    // Annotations need a report file to go beside.
    let out = keysweep()
        .current_dir(t.path())
        .args(["scan", ".", "--annotate", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
}
