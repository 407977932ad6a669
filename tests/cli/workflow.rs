//! Fitting into workflows: `.keysweep.toml`, baselines, ignore files, the
//! pre-commit hook (a real `git commit`), `init`, and the GitHub Action files.

use super::{git_output, key, keysweep, write};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

fn live(seed: &str) -> String {
    key("sk_live_{{alnum:24}}", seed)
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn scan(dir: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = keysweep()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let findings = crate::try_report_json(&out.stdout)
        .map(|d| d["findings"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        findings,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_file_settings_apply_and_flags_win() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(
        d,
        "app.py",
        format!(
            "K = '{}'\nT = '{}'\n",
            live("cfg"),
            key("sk_test_{{alnum:24}}", "cfg")
        ),
    );
    write(d, "fixtures/keys.txt", format!("{}\n", live("fixture")));
    write(
        d,
        ".keysweep.toml",
        "fail_on = \"critical\"\ndisable = [\"stripe-test-secret-key\"]\n[allow]\npaths = [\"fixtures/**\"]\n",
    );
    let (code, f, err) = scan(d, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["path"], "app.py");
    // The fixture's key (its live-key-in-test lint is a tag on it), and the
    // test key of the rule the repository's config disables: both counted
    // and named by where the suppression came from.
    assert!(
        err.contains("suppressed 2 finding(s): 1 by repository config ./.keysweep.toml: allow.paths, 1 by repository config ./.keysweep.toml: disable"),
        "{err}"
    );
    // fail_on = critical from the file; the flag wins.
    write(
        d,
        "app.py",
        format!("T = '{}'\n", key("rk_live_{{alnum:24}}", "rk")),
    );
    assert_eq!(scan(d, &[]).0, 0, "a high finding under fail_on = critical");
    assert_eq!(scan(d, &["--fail-on", "high"]).0, 1);
    // app.py and the fixture (its live-key-in-test lint is a tag on it).
    assert_eq!(
        scan(d, &["--no-config"]).1.len(),
        2,
        "--no-config ignores the file"
    );
    // Found at the repository root when scanning from a subdirectory.
    ok(git_output(d, &["init", "-q"]));
    write(d, "sub/more.py", format!("K = '{}'\n", live("sub")));
    let (_, f, _) = scan(&d.join("sub"), &["."]);
    assert_eq!(f.len(), 1);
}

#[test]
fn config_errors_name_the_key_and_file() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        ".keysweep.toml",
        "fail_on = \"high\"\n[allow]\npaht = [\"x\"]\n",
    );
    let (code, _, err) = scan(t.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".keysweep.toml")
            && err.contains("unknown field `paht`")
            && err.contains(":3:1:"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    write(
        t.path(),
        "other.toml",
        "[allow]\nsecrets = [\"(unclosed\"]\n",
    );
    let (code, _, err) = scan(t.path(), &["--config", "other.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("other.toml: allow.secrets"), "{err}");
    write(t.path(), "third.toml", "disable = [\"no-such-rule\"]\n");
    let (code, _, err) = scan(t.path(), &["--config", "third.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("third.toml: disable: unknown rule id `no-such-rule`"),
        "{err}"
    );
    let (code, _, err) = scan(t.path(), &["--config", "missing.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn allowlist_secrets_stopwords_and_ignore_file() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let a = live("a");
    write(d, "a.py", format!("K = '{a}'\n"));
    write(
        d,
        "b.py",
        format!("K = '{}'\n", key("sk_live_DEMO{{alnum:20}}", "b")),
    );
    write(d, "vendor/c.py", format!("K = '{}'\n", live("c")));
    write(d, ".keysweepignore", "vendor/\n");
    write(
        d,
        "cfg.toml",
        format!("[allow]\nsecrets = [\"^{}$\"]\nstopwords = [\"demo\"]\n", a),
    );
    let (code, f, err) = scan(
        d,
        &["--config", "cfg.toml", "--ignore-file", ".keysweepignore"],
    );
    assert_eq!(code, 0, "{f:#?}");
    // cfg.toml itself holds the allowed secret (in its regex): suppressed too.
    assert!(
        err.contains(
            "suppressed 4 finding(s): 2 by cfg.toml: allow.secrets, 1 by cfg.toml: allow.stopwords, 1 by ignore file .keysweepignore"
        ),
        "{err}"
    );
}

#[test]
fn baseline_round_trip() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let old = live("old");
    write(d, "app.py", format!("K = '{old}'\n"));
    let (code, _, err) = scan(d, &["--write-baseline", "baseline.json"]);
    assert_eq!(
        code, 0,
        "writing a baseline accepts the current findings: {err}"
    );
    let text = std::fs::read_to_string(d.join("baseline.json")).unwrap();
    assert!(!text.contains(&old), "a baseline holds no secrets");
    let (code, f, err) = scan(d, &["--baseline", "baseline.json"]);
    assert_eq!((code, f.len()), (0, 0), "{err}");
    assert!(
        err.contains("suppressed 1 finding(s): 1 by baseline baseline.json"),
        "{err}"
    );
    // Move the line: still suppressed. Add a new secret: reported alone.
    let new = live("new");
    write(
        d,
        "app.py",
        format!("import os\n\n\nK = '{old}'\nN = '{new}'\n"),
    );
    let (code, f, _) = scan(d, &["--baseline", "baseline.json", "--show-secrets"]);
    assert_eq!(code, 1);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["secret"], new.as_str());
    // The same secret in a new file is a new finding.
    write(d, "copy.py", format!("K = '{old}'\n"));
    let (_, f, _) = scan(d, &["--baseline", "baseline.json"]);
    assert_eq!(f.len(), 2);
    write(d, "bad.json", "{\"nope\": 1}");
    let (code, _, err) = scan(d, &["--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--baseline bad.json:") && err.contains("not a keysweep baseline"),
        "{err}"
    );
}

#[test]
fn baselines_work_for_history_and_staged() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    ok(git_output(d, &["init", "-q"]));
    write(d, "k.py", format!("K = '{}'\n", live("hist")));
    ok(git_output(d, &["add", "k.py"]));
    let staged = |args: &[&str]| {
        keysweep()
            .current_dir(d)
            .arg("staged")
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(staged(&[]).status.code(), Some(1));
    assert_eq!(
        staged(&["--write-baseline", "b.json"]).status.code(),
        Some(0)
    );
    assert_eq!(staged(&["--baseline", "b.json"]).status.code(), Some(0));
    ok(git_output(d, &["commit", "-q", "-m", "k"]));
    let hist = |args: &[&str]| {
        keysweep()
            .current_dir(d)
            .arg("history")
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(hist(&[]).status.code(), Some(1));
    assert_eq!(hist(&["--baseline", "b.json"]).status.code(), Some(0));
}

fn commit(d: &Path, file: &str, content: &str) -> Output {
    write(d, file, content);
    ok(git_output(d, &["add", file]));
    git_output(d, &["commit", "-q", "-m", &format!("add {file}")])
}

#[test]
fn pre_commit_hook_blocks_keys_in_a_real_commit() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    ok(git_output(d, &["init", "-q"]));
    let out = keysweep()
        .current_dir(d)
        .arg("install-hook")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join(".git/hooks/pre-commit").exists());
    // Clean: allowed.
    assert!(commit(d, "readme.txt", "hello\n").status.success());
    // A key staged: blocked with a clear message.
    let k = live("hook");
    let out = commit(d, "pay.py", &format!("KEY = '{k}'\n"));
    assert!(!out.status.success(), "the commit went through");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("stripe-secret-key") && said.contains("pay.py"),
        "{said}"
    );
    assert!(!said.contains(&k), "the hook printed the secret");
    // Marked as reviewed: allowed.
    let out = commit(
        d,
        "pay.py",
        &format!("KEY = '{k}'  # keysweep:allow test fixture\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hook_respects_core_hooks_path_and_existing_hooks() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    ok(git_output(d, &["init", "-q"]));
    ok(git_output(d, &["config", "core.hooksPath", ".githooks"]));
    write(d, ".githooks/pre-commit", "#!/bin/sh\necho mine\n");
    let out = keysweep()
        .current_dir(d)
        .arg("install-hook")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a different pre-commit hook exists"));
    assert_eq!(
        std::fs::read_to_string(d.join(".githooks/pre-commit")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let out = keysweep()
        .current_dir(d)
        .args(["install-hook", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Installing again over its own hook needs no --force.
    assert!(keysweep()
        .current_dir(d)
        .arg("install-hook")
        .output()
        .unwrap()
        .status
        .success());
    assert!(!commit(d, "k.env", &format!("K={}\n", live("hooks-path")))
        .status
        .success());
}

#[test]
fn init_writes_a_starter_config_once() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    assert!(keysweep()
        .current_dir(d)
        .arg("init")
        .output()
        .unwrap()
        .status
        .success());
    let text = std::fs::read_to_string(d.join(".keysweep.toml")).unwrap();
    assert!(text.contains("[allow]") && text.contains("# fail_on"));
    let again = keysweep().current_dir(d).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(keysweep()
        .current_dir(d)
        .args(["init", "--force"])
        .output()
        .unwrap()
        .status
        .success());
    write(d, "a.py", format!("K = '{}'\n", live("init")));
    assert_eq!(scan(d, &[]).0, 1, "the starter config loads");
}

#[test]
fn action_yml_parses_and_names_every_documented_input() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(root.join("action.yml")).unwrap()).unwrap();
    let inputs = action["inputs"].as_mapping().expect("inputs");
    let mut names: Vec<String> = inputs
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    names.sort();
    for (name, spec) in inputs {
        assert!(
            spec["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name:?} has no description"
        );
    }
    assert_eq!(action["runs"]["using"], "composite");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## GitHub Action")
        .nth(1)
        .expect("README has a GitHub Action section");
    let mut documented: Vec<String> = section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| {
            l.strip_prefix("| `")
                .and_then(|r| r.split('`').next())
                .map(str::to_string)
        })
        .collect();
    documented.sort();
    assert_eq!(
        names, documented,
        "action.yml inputs and the README's table differ"
    );
    let hooks: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(hooks[0]["id"], "keysweep");
    assert_eq!(hooks[0]["entry"], "keysweep pre-commit");
    assert_eq!(hooks[0]["language"], "rust");
    assert_eq!(hooks[1]["id"], "keysweep-pre-push");
    assert_eq!(hooks[1]["stages"][0], "pre-push");
    let wf: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".github/workflows/keysweep.yml")).unwrap(),
    )
    .unwrap();
    let steps = wf["jobs"]["secrets"]["steps"].as_sequence().unwrap();
    assert!(
        steps.iter().any(|s| s["uses"] == "./"),
        "the workflow uses the action"
    );
}
