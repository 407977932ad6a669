//! `keysweep revoke`'s configuration: the scan that finds the key a
//! fingerprint names, keyed as the scan that printed it was.

use super::{
    select_rules_with, threads, verify_options, Config, ReportOptions, Settings, SourceSpec,
};
use crate::cli::history::RevokeArgs;
use crate::cli::scan::{ColorChoice, ExitArgs, OutputArgs};
use crate::filter::Filters;
use crate::lint::Lints;
use crate::report::Format;
use crate::sources::{ArchiveLimits, HistoryMode, HistorySource, TreeSource};
use crate::verify;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

impl Config {
    /// `keysweep revoke`: the scan that finds the fingerprint (no lints).
    pub fn revoke(args: &RevokeArgs) -> Result<(Self, verify::Options)> {
        let settings = Settings::discover(None, false, Path::new("."))?;
        let rules = select_rules_with(&args.rules, &settings.user, settings.repo.as_ref())?;
        let options = verify_options(&args.verify.provider(), &rules, &settings.user)?;
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let source = if args.history {
            let [repo] = paths.as_slice() else {
                bail!("--history takes one repository path");
            };
            let mode = HistoryMode::All {
                branches: Vec::new(),
                since: None,
                all_objects: false,
            };
            SourceSpec::History(Box::new(HistorySource::new(
                repo.clone(),
                mode,
                threads(None)?,
                25 << 20,
                false,
                false,
            )?))
        } else {
            for p in &paths {
                if std::fs::symlink_metadata(p).is_err() {
                    bail!("{}: no such file or directory", p.display());
                }
            }
            SourceSpec::Tree(TreeSource {
                roots: crate::sources::Roots::new(&paths),
                paths,
                no_ignore: true,
                follow: false,
                threads: threads(None)?,
                max_file_size: 25 << 20,
                archives: ArchiveLimits::default(),
            })
        };
        // The same key as the scan the fingerprint came from.
        let repo = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
        let fingerprint_key = source.fingerprint_key(Some(repo));
        let quiet = OutputArgs {
            format: Format::Text,
            output: None,
            annotate: None,
            color: ColorChoice::Never,
            show_secrets: false,
            quiet: true,
            verbose: false,
            // Revoke acts on the key a fingerprint names, whatever its confidence.
            confidence: crate::model::Confidence::Low,
            // Revoke looks for one fingerprint: the cap must not hide it.
            max_findings_per_file: 0,
        };
        let exit = ExitArgs {
            fail_on: None,
            exit_zero: false,
            fail_on_skipped: false,
        };
        Ok((
            Config {
                source,
                lints: Lints::new(&[], 90, 0),
                report: ReportOptions::new(&quiet, &exit, None, false),
                rules,
                verify: None,
                filters: Filters::default(),
                write_baseline: None,
                decode: true,
                scanned: Default::default(),
                fingerprint_key,
            },
            options,
        ))
    }
}
