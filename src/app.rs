//! Commands, wired from stages: what `main` calls once arguments are parsed.
//! Each function returns the process exit code; errors bubble up to `main`,
//! which prints them on one line and exits 2.

use crate::cli::rules::ListFormat;
use crate::cli::scan::RuleArgs;
use crate::config::{select_rules, Config};
use crate::matcher::Matcher;
use crate::pipeline;
use crate::report::{self, Report};
use crate::rules;
use crate::verify::{self, Attributor, Status};
use anyhow::{Context, Result};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Exit code: nothing at or above the threshold was found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or runtime error.
pub const EXIT_ERROR: u8 = 2;

/// `keysweep scan`, `history` and `staged`: run the configured source
/// through the pipeline and report.
pub fn scan(config: &Config) -> Result<u8> {
    scan_findings(config).map(|(code, _)| code)
}

/// `keysweep pre-push`: the refs git passes on standard input, every commit
/// they push scanned; a refused push says how to rewrite the commit.
pub fn pre_push(args: &crate::cli::history::PrePushArgs) -> Result<u8> {
    let mut input = String::new();
    io::Read::read_to_string(&mut io::stdin(), &mut input).context("standard input")?;
    let Some(config) = Config::pre_push(args, &input)? else {
        if !args.gate.output.quiet {
            eprintln!("keysweep: nothing to scan (the push only deletes refs)");
        }
        return Ok(EXIT_CLEAN);
    };
    let (code, findings) = scan_findings(&config)?;
    if code == EXIT_FINDINGS {
        let mut commits: Vec<String> = findings
            .iter()
            .filter_map(|f| match &f.provenance {
                crate::model::Provenance::Commit(g) => Some(g.commit.commit.clone()),
                _ => None,
            })
            .collect();
        commits.sort();
        commits.dedup();
        let short: Vec<&str> = commits.iter().map(|c| &c[..c.len().min(12)]).collect();
        eprintln!(
            "keysweep: push refused: the commits being pushed add secrets (in {}).\n\
             A key in any pushed commit is published even if a later commit removes it:\n\
             1. rotate the key at its provider (it may already be exposed);\n\
             2. rewrite the commit that added it: the last commit with `git commit --amend`, an older one with\n\
             \x20  `git rebase -i <commit>^` (mark it `edit`, remove the key, `git commit --amend`, `git rebase --continue`);\n\
             3. push again. To push anyway (not recommended): git push --no-verify",
            short.join(", ")
        );
    }
    Ok(code)
}

/// `keysweep pre-commit`: the pre-commit framework's hook.
pub fn pre_commit(args: &crate::cli::history::PreCommitArgs) -> Result<u8> {
    match Config::pre_commit(args)? {
        Some(config) => scan(&config),
        None => {
            if !args.gate.output.quiet {
                eprintln!("keysweep: no files to scan");
            }
            Ok(EXIT_CLEAN)
        }
    }
}

/// Run a scan and report; the exit code and the reported findings.
fn scan_findings(config: &Config) -> Result<(u8, Vec<crate::model::Finding>)> {
    let matcher = Matcher::new(&config.rules)?.with_decoding(config.decode);
    let attributor = Attributor::new(&config.rules);
    let assessor = pipeline::Assessor::new(&config.rules);
    let mut result = pipeline::scan(
        config.source.as_source(),
        &matcher,
        &attributor,
        &assessor,
        &config.lints,
        config.report.max_findings_per_file,
        config.fingerprint_key.as_ref(),
    )?;
    let before = result.findings.len();
    let min = config.report.min_confidence;
    result.findings.retain(|f| f.confidence >= min);
    result.summary.hidden_low_confidence = (before - result.findings.len()) as u64;
    // Filters before verification: a suppressed key is never sent anywhere.
    result.summary.suppressed = config.filters.apply(&mut result.findings);
    let legacy = config.filters.legacy_baseline_hits();
    if legacy > 0 && !config.report.quiet {
        eprintln!(
            "keysweep: note: the baseline matched {legacy} finding(s) by their old, unkeyed fingerprints; write it again with --write-baseline to move it to keyed ones"
        );
    }
    if let Some(v) = &config.verify {
        verify::verify(&mut result.findings, &config.rules, &v.options);
        if v.only_verified {
            result.findings.retain(|f| {
                f.verification
                    .as_ref()
                    .is_some_and(|x| x.status == Status::Live)
            });
        }
    }
    let opts = &config.report;
    let rep = Report {
        findings: &result.findings,
        rules: &config.rules,
        summary: &result.summary,
        show_secrets: opts.show_secrets,
        color: opts.color_report,
        scanned: &config.scanned,
    };
    match &opts.output {
        Some(path) => {
            write_output(path, |w| report::write(opts.format, &rep, w))
                .with_context(|| format!("--output {}", path.display()))?;
            if opts.annotate_github {
                to_stdout(|w| report::write(report::Format::Github, &rep, w))?;
            }
        }
        None => to_stdout(|w| report::write(opts.format, &rep, w))?,
    }
    let cap = report::SARIF_MAX_RESULTS;
    if opts.format == report::Format::Sarif && result.findings.len() > cap && !opts.quiet {
        eprintln!(
            "keysweep: note: the SARIF log holds the {cap} most severe of {} findings (GitHub code scanning reads at most {cap} per run)",
            result.findings.len()
        );
    }
    if !opts.quiet {
        let stderr = io::stderr();
        let mut e = stderr.lock();
        report::write_summary(
            &result.findings,
            &result.summary,
            opts.color_summary,
            opts.verbose,
            &mut e,
        )?;
    }
    let incomplete = result.summary.coverage.incomplete.len();
    if incomplete > 0 {
        // Fail closed, after the report of everything that was read.
        anyhow::bail!(
            "{incomplete} git object(s) could not be read, so the scan is incomplete; the report lists them"
        );
    }
    if let Some(path) = &config.write_baseline {
        crate::filter::write_baseline(path, &result.findings)?;
        let capped = result.summary.capped.findings;
        if capped > 0 && !opts.quiet {
            eprintln!(
                "keysweep: note: the baseline leaves out the {capped} finding(s) the per-file cap left out; write it with --max-findings-per-file 0 to hold them all"
            );
        }
        if !opts.quiet {
            eprintln!(
                "keysweep: wrote {} finding(s) to the baseline {}",
                result.findings.len(),
                path.display()
            );
        }
        return Ok((EXIT_CLEAN, result.findings));
    }
    let live = |f: &crate::model::Finding| {
        f.verification
            .as_ref()
            .is_some_and(|v| v.status == Status::Live)
    };
    let failing = match &config.verify {
        Some(v) if v.fail_on_live => result.findings.iter().any(live),
        _ => result.findings.iter().any(|f| f.severity >= opts.fail_on),
    };
    // Findings the per-file cap left out were never filtered, assessed or
    // verified: they fail the run at their rule's severity (under
    // --fail-on-live too, as they were not shown dead), so filling a file
    // with decoys the kept findings are suppressed for cannot pass a run.
    let failing = failing
        || result.summary.capped.severity.is_some_and(|s| {
            s >= opts.fail_on || config.verify.as_ref().is_some_and(|v| v.fail_on_live)
        });
    let skipped = skipped_content(&result.summary);
    if opts.fail_on_skipped && !skipped.is_empty() && !opts.exit_zero {
        let mut e = io::stderr().lock();
        writeln!(
            e,
            "keysweep: --fail-on-skipped: {} path(s) were skipped or read only in part:",
            skipped.len()
        )?;
        for line in skipped.iter().take(SKIPPED_LISTED) {
            writeln!(e, "  {line}")?;
        }
        if skipped.len() > SKIPPED_LISTED {
            writeln!(
                e,
                "  and {} more (the JSON report's summary.skipped lists them all)",
                skipped.len() - SKIPPED_LISTED
            )?;
        }
        return Ok((EXIT_FINDINGS, result.findings));
    }
    let code = if failing && !opts.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    Ok((code, result.findings))
}

/// Skipped paths `--fail-on-skipped` names before the rest are counted.
const SKIPPED_LISTED: usize = 20;

/// Content the scan skipped or read in part, one line each (path: reason).
fn skipped_content(summary: &crate::model::Summary) -> Vec<String> {
    summary
        .skipped
        .iter()
        .filter(|s| s.reason.is_content())
        .map(|s| crate::model::without_bidi(&format!("{}: {}", s.path, s.reason.label())))
        .collect()
}

/// Write a report to `path`. A regular file (or a new one) is written to a
/// temporary file beside it and renamed into place, so a killed run never
/// leaves a half-written report for CI to upload; special files
/// (`/dev/stdout`, pipes) are written through, never replaced. On Linux the
/// temporary file has no name until it is complete (`O_TMPFILE`), so even
/// `SIGKILL` leaves nothing behind.
fn write_output(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        return w.flush();
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.keysweep-{}.tmp", std::process::id()));
    #[cfg(target_os = "linux")]
    if let Some(file) = unnamed_file(dir) {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        // Name it (a link from its /proc entry), then move it into place.
        let from = std::ffi::CString::new(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&file)
        ))
        .map_err(io::Error::other)?;
        let to =
            std::ffi::CString::new(tmp.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
        // SAFETY: both are valid NUL-terminated paths for the call's duration.
        let linked = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if linked != 0 {
            return Err(io::Error::last_os_error());
        }
        let renamed = std::fs::rename(&tmp, path);
        if renamed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return renamed;
    }
    let result = (|| {
        let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// An unnamed file in `dir` (`O_TMPFILE`); `None` where the file system
/// has no such files, and the caller names its temporary file instead.
#[cfg(target_os = "linux")]
fn unnamed_file(dir: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o644)
        .open(dir)
        .ok()
}

/// `keysweep revoke`: find the finding by fingerprint, show the call, and
/// with `yes` make it.
pub fn revoke(
    config: &Config,
    options: &verify::Options,
    fingerprint: &str,
    yes: bool,
) -> Result<u8> {
    let matcher = Matcher::new(&config.rules)?.with_decoding(config.decode);
    let attributor = Attributor::new(&config.rules);
    let result = pipeline::scan(
        config.source.as_source(),
        &matcher,
        &attributor,
        &pipeline::Assessor::new(&config.rules),
        &config.lints,
        config.report.max_findings_per_file,
        config.fingerprint_key.as_ref(),
    )?;
    let Some(f) = result
        .findings
        .iter()
        .find(|f| f.fingerprint == fingerprint && !f.secret.is_empty())
    else {
        anyhow::bail!("no finding with fingerprint {fingerprint} here (run the same scan and copy the fingerprint)");
    };
    let rule = config
        .rules
        .iter()
        .find(|r| r.id == f.rule_id)
        .ok_or_else(|| anyhow::anyhow!("rule {} is not loaded", f.rule_id))?;
    let Some(check) = &rule.revoke else {
        let hint = rule
            .references
            .first()
            .map_or(String::new(), |r| format!(" ({r})"));
        anyhow::bail!(
            "rule {} has no public revoke endpoint: revoke the key in the provider's dashboard{hint}",
            rule.id
        );
    };
    let url = options
        .endpoints
        .get(&rule.id)
        .cloned()
        .unwrap_or_else(|| check.url.clone());
    let call = verify::Prepared::new(check, &url, &f.secret);
    let what = format!(
        "{} key {} found at {}:{} ({} revoke endpoint: {})",
        rule.id,
        f.display_secret(false),
        f.path,
        f.line,
        check.provider,
        call.describe()
    );
    let stdout = io::stdout();
    let mut w = stdout.lock();
    if !yes {
        writeln!(w, "dry run: would revoke the {what}")?;
        writeln!(w, "run again with --yes to make the call")?;
        return Ok(EXIT_CLEAN);
    }
    let agent = verify::agent(options.timeout, &options.local_hosts);
    match verify::call(&agent, &call) {
        Ok(status) if (200..300).contains(&status) => {
            writeln!(w, "revoked the {what}: HTTP {status}")?;
            writeln!(
                w,
                "now remove the key from the code and its history, and issue a new one"
            )?;
            Ok(EXIT_CLEAN)
        }
        Ok(status) => anyhow::bail!("revoke failed: {} answered HTTP {status}", call.describe()),
        Err(reason) => anyhow::bail!("revoke failed: {reason}"),
    }
}

/// `keysweep init`: a commented starter config, never over an existing file
/// unless `force`.
pub fn init(path: &Path, force: bool) -> Result<u8> {
    if path.exists() && !force {
        anyhow::bail!(
            "{}: already exists (use --force to overwrite)",
            path.display()
        );
    }
    std::fs::write(path, crate::config::STARTER).with_context(|| path.display().to_string())?;
    println!("wrote {}", path.display());
    Ok(EXIT_CLEAN)
}

/// First line after the shebang of every hook keysweep installs.
const HOOK_MARKER: &str = "# installed by keysweep install-hook";

/// `keysweep install-hook`: a `pre-commit` hook running `keysweep staged`
/// (with `pre_push`, a `pre-push` hook running `keysweep pre-push`), in
/// `core.hooksPath` when set. An existing hook that keysweep did not write
/// is left alone unless `force`.
pub fn install_hook(repo_path: &Path, pre_push: bool, force: bool) -> Result<u8> {
    let hooks_path = crate::sources::hooks_dir(repo_path)?;
    std::fs::create_dir_all(&hooks_path).with_context(|| hooks_path.display().to_string())?;
    let (name, command, what) = if pre_push {
        (
            "pre-push",
            "pre-push \"$@\"",
            "Blocks pushes whose commits add secrets. Skip once with: git push --no-verify",
        )
    } else {
        (
            "pre-commit",
            "staged",
            "Blocks commits that add secrets. Skip once with: git commit --no-verify",
        )
    };
    let hook = hooks_path.join(name);
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let script = format!(
        "#!/bin/sh\n{HOOK_MARKER}\n# {what}\nks='{}'\n[ -x \"$ks\" ] || ks=keysweep\nexec \"$ks\" {command}\n",
        exe.replace('\'', "'\\''")
    );
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(HOOK_MARKER) && !force {
            anyhow::bail!(
                "{}: a different {name} hook exists; add `keysweep {}` to it, or use --force to replace it",
                hook.display(),
                if pre_push { "pre-push \"$@\"" } else { "staged" }
            );
        }
    }
    std::fs::write(&hook, script).with_context(|| hook.display().to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| hook.display().to_string())?;
    }
    println!("installed {}", hook.display());
    Ok(EXIT_CLEAN)
}

/// `keysweep rules list`.
pub fn rules_list(args: &RuleArgs, format: ListFormat) -> Result<u8> {
    let rules = select_rules(args)?;
    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "name": r.name,
                        "severity": r.severity,
                        "keywords": r.keywords,
                        "description": r.description,
                        "references": r.references,
                        "source": r.source,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut w, &list)?;
            writeln!(w)?;
        }
        ListFormat::Text => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in &rules {
                writeln!(
                    w,
                    "{:<width$}  {:<8}  {}  [{}]",
                    r.id,
                    r.severity.as_str(),
                    r.description,
                    r.keywords.join(", ")
                )?;
            }
            writeln!(w, "{} rules", rules.len())?;
        }
    }
    w.flush()?;
    Ok(EXIT_CLEAN)
}

/// Write to standard output. A reader that stops early (`keysweep scan |
/// head -1`) ends the writing, not the run: the summary still goes to
/// stderr and the exit code still says whether there were findings.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    match write(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `keysweep report FILE.json --format html`: the page a direct
/// `--format html` would have written, from a JSON report.
pub fn render_report(file: &Path, output: Option<&Path>) -> Result<u8> {
    let name = file.display();
    let bytes = std::fs::read(file).with_context(|| format!("{name}"))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{name}: not a JSON report ({e})"))?;
    let version = doc["version"].as_u64();
    if version != Some(u64::from(report::JSON_VERSION)) || !doc["findings"].is_array() {
        anyhow::bail!(
            "{name}: not a keysweep JSON report of version {} (no `version` {} and `findings`)",
            report::JSON_VERSION,
            report::JSON_VERSION
        );
    }
    match output {
        Some(path) => write_output(path, |w| report::render_html(&doc, w))
            .with_context(|| format!("--output {}", path.display()))?,
        None => to_stdout(|w| report::render_html(&doc, w))?,
    }
    Ok(EXIT_CLEAN)
}

/// `keysweep rules check FILE...`: load, validate and run examples.
pub fn rules_check(files: &[PathBuf]) -> Result<u8> {
    let mut loaded = Vec::new();
    for f in files {
        loaded.extend(rules::load_path(f)?);
    }
    rules::ensure_unique(&loaded)?;
    let failures = crate::rulecheck::check(&loaded);
    let stdout = io::stdout();
    let mut w = stdout.lock();
    for f in &failures {
        writeln!(w, "FAIL {f}")?;
    }
    let examples: usize = loaded
        .iter()
        .map(|r| r.examples.len() + r.counterexamples.len())
        .sum();
    if failures.is_empty() {
        writeln!(
            w,
            "ok: {} rule(s), {examples} example(s) passed",
            loaded.len()
        )?;
        Ok(EXIT_CLEAN)
    } else {
        writeln!(
            w,
            "{} failure(s) in {} rule(s)",
            failures.len(),
            loaded.len()
        )?;
        Ok(EXIT_FINDINGS)
    }
}
