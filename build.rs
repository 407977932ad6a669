//! Embeds every `rules/*.toml` file into the binary, so that adding a provider
//! is a data change only: drop a file into `rules/` and rebuild.

use std::{env, fs, path::Path};

fn main() {
    commit_id();
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out =
        String::from("/// Rule files embedded from `rules/` at build time: (name, contents).\n");
    out.push_str("pub static EMBEDDED_RULES: &[(&str, &str)] = &[\n");
    for f in &files {
        let name = f.file_name().expect("file name").to_string_lossy();
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("rules/{name}"),
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_rules.rs");
    fs::write(dest, out).expect("write embedded_rules.rs");
}

/// `KEYSWEEP_COMMIT` for `--version`: the short id of the commit being
/// built, or what the environment names (release builds from a source
/// archive, where there is no `.git`), or `unknown`.
fn commit_id() {
    println!("cargo:rerun-if-env-changed=KEYSWEEP_COMMIT");
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let git_dir = Path::new(&manifest).join(".git");
    if git_dir.exists() {
        for watched in ["HEAD", "refs/heads", "packed-refs"] {
            println!("cargo:rerun-if-changed={}", git_dir.join(watched).display());
        }
    }
    let id = env::var("KEYSWEEP_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            let git = |args: &[&str]| {
                std::process::Command::new("git")
                    .args(args)
                    .current_dir(&manifest)
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            };
            git(&["rev-parse", "--short=12", "HEAD"])
        });
    println!(
        "cargo:rustc-env=KEYSWEEP_COMMIT={}",
        id.unwrap_or_else(|| "unknown".to_string())
    );
}
