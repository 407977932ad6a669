//! Flags to a validated configuration.
//!
//! The clap structs in `cli` describe syntax; this module checks meaning
//! (paths exist, rule ids are known, rules files load) and builds what the
//! pipeline runs with. Every error names the argument or file it is about.

use crate::cli::scan::{ColorChoice, RuleArgs, ScanArgs};
use crate::findings::Severity;
use crate::report::Format;
use crate::rules::{self, Rule};
use crate::sources::TreeSource;
use anyhow::{bail, Context, Result};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Everything `keysweep scan` needs, validated.
#[derive(Debug)]
pub struct ScanConfig {
    /// What to walk.
    pub source: TreeSource,
    /// Rules in effect.
    pub rules: Vec<Rule>,
    /// Report format.
    pub format: Format,
    /// Report destination (stdout when `None`).
    pub output: Option<PathBuf>,
    /// Colour the report.
    pub color_report: bool,
    /// Colour the stderr summary.
    pub color_summary: bool,
    /// Print secrets in full.
    pub show_secrets: bool,
    /// No summary on stderr.
    pub quiet: bool,
    /// List every skipped file.
    pub verbose: bool,
    /// Exit 1 at or above this severity.
    pub fail_on: Severity,
    /// Exit 0 whatever was found.
    pub exit_zero: bool,
}

impl ScanConfig {
    /// Validate `args`.
    pub fn from_args(args: &ScanArgs) -> Result<Self> {
        for p in &args.paths {
            if std::fs::symlink_metadata(p).is_err() {
                bail!("{}: no such file or directory", p.display());
            }
        }
        if args.walk.threads == Some(0) {
            bail!("--threads: must be at least 1");
        }
        let rules = select_rules(&args.rules)?;
        let out = &args.output;
        let color_report = match out.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                out.output.is_none() && color_allowed() && std::io::stdout().is_terminal()
            }
        };
        let color_summary = match out.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => color_allowed() && std::io::stderr().is_terminal(),
        };
        Ok(ScanConfig {
            source: TreeSource {
                paths: args.paths.clone(),
                no_ignore: args.walk.no_ignore,
                follow: args.walk.follow,
                threads: args.walk.threads.unwrap_or(0),
                max_file_size: args.walk.max_file_size,
            },
            rules,
            format: out.format,
            output: out.output.clone(),
            color_report,
            color_summary,
            show_secrets: out.show_secrets,
            quiet: out.quiet,
            verbose: out.verbose,
            fail_on: args.exit.fail_on,
            exit_zero: args.exit.exit_zero,
        })
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Built-in rules plus `--rules` files, narrowed by `--rule` / `--disable-rule`.
pub fn select_rules(args: &RuleArgs) -> Result<Vec<Rule>> {
    let mut all = rules::load_embedded().context("built-in rules")?;
    for path in &args.rules {
        let extra =
            rules::load_path(path).with_context(|| format!("--rules {}", path.display()))?;
        all.extend(extra);
    }
    rules::ensure_unique(&all)?;
    let known: HashSet<&str> = all.iter().map(|r| r.id.as_str()).collect();
    for id in args.only.iter().chain(&args.disable) {
        if !known.contains(id.as_str()) {
            bail!("unknown rule id `{id}` (see `keysweep rules list`)");
        }
    }
    let only: HashSet<&str> = args.only.iter().map(String::as_str).collect();
    let disabled: HashSet<&str> = args.disable.iter().map(String::as_str).collect();
    let selected: Vec<Rule> = all
        .into_iter()
        .filter(|r| only.is_empty() || only.contains(r.id.as_str()))
        .filter(|r| !disabled.contains(r.id.as_str()))
        .collect();
    if selected.is_empty() {
        bail!("no rules left to run after --rule / --disable-rule");
    }
    Ok(selected)
}
