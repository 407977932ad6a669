//! Configs for the git gates: `keysweep pre-push` (the refs git passes a
//! pre-push hook), `keysweep pre-commit` (the pre-commit framework's entry)
//! and the settings of a commit range, read from its base commit.

use super::{lints, threads, Config, Flags, Shared, SourceSpec, CONFIG_NAME};
use crate::cli::history::{GateArgs, PreCommitArgs, PrePushArgs};
use crate::config::Settings;
use crate::sources::{CommitRange, HistoryMode, HistorySource, StagedSource, TreeSource};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

impl Config {
    /// `keysweep pre-push`: the commits the refs on `input` push, or `None`
    /// when the push sends none (only deletions).
    pub fn pre_push(args: &PrePushArgs, input: &str) -> Result<Option<Self>> {
        let repo = Path::new(".");
        let Some(range) = CommitRange::for_push(repo, args.remote.as_deref(), input)? else {
            return Ok(None);
        };
        Self::gate_range(&args.gate, range).map(Some)
    }

    /// `keysweep pre-commit` (the pre-commit framework's hook): the ref range
    /// the framework names, else the staged content inside a commit, else
    /// the files it passes; `None` when it passes none.
    pub fn pre_commit(args: &PreCommitArgs) -> Result<Option<Self>> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(from), Some(to)) = (var("PRE_COMMIT_FROM_REF"), var("PRE_COMMIT_TO_REF")) {
            let range = CommitRange {
                label: format!("{from}..{to}"),
                tips: vec![to],
                hide: vec![from],
                hide_remote: None,
            };
            return Self::gate_range(&args.gate, range).map(Some);
        }
        if let (Some(remote), Some(branch)) = (
            var("PRE_COMMIT_REMOTE_NAME"),
            var("PRE_COMMIT_LOCAL_BRANCH"),
        ) {
            // A pre-push of a branch whose history the remote has none of:
            // every commit it sends, not just the files at its tip.
            let range = CommitRange {
                label: format!("{branch} (not on {remote})"),
                tips: vec![branch],
                hide: Vec::new(),
                hide_remote: Some(remote),
            };
            return Self::gate_range(&args.gate, range).map(Some);
        }
        let g = &args.gate;
        let flags = g.flags();
        if std::env::var_os("GIT_INDEX_FILE").is_some() {
            // Inside git's commit hook: exactly what is being committed.
            let source = StagedSource::new(PathBuf::from("."), g.max_file_size)?;
            let shared = Shared::new(flags, Path::new("."))?;
            let lints = lints(&shared.rules, shared.max_key_age);
            let mut config =
                shared.into_config(SourceSpec::Staged(source), lints, Some(Path::new(".")));
            config.describe("staged", [".".to_string()], None);
            return Ok(Some(config));
        }
        if args.files.is_empty() {
            return Ok(None);
        }
        for f in &args.files {
            if std::fs::symlink_metadata(f).is_err() {
                bail!("{}: no such file or directory", f.display());
            }
        }
        let shared = Shared::new(flags, Path::new("."))?;
        let lints = lints(&shared.rules, shared.max_key_age);
        let source = SourceSpec::Tree(TreeSource {
            paths: args.files.clone(),
            no_ignore: false,
            follow: false,
            threads: threads(None)?,
            max_file_size: g.max_file_size,
            archives: crate::sources::ArchiveLimits {
                max_member: g.max_file_size,
                ..Default::default()
            },
            roots: crate::sources::Roots::new(&args.files),
        });
        let mut config = shared.into_config(source, lints, None);
        config.describe(
            "scan",
            args.files.iter().map(|p| p.display().to_string()),
            None,
        );
        Ok(Some(config))
    }

    /// A gate over a commit range in the current repository.
    fn gate_range(g: &GateArgs, range: CommitRange) -> Result<Self> {
        let repo = PathBuf::from(".");
        let flags = g.flags();
        let (shared, watched) = range_settings(flags, &repo, &range)?;
        let label = range.label.clone();
        let source = HistorySource::new(
            repo.clone(),
            HistoryMode::Range(range),
            threads(None)?,
            g.max_file_size,
            false,
            false,
        )?
        .with_watched(watched);
        let lints = lints(&shared.rules, shared.max_key_age);
        let mut config =
            shared.into_config(SourceSpec::History(Box::new(source)), lints, Some(&repo));
        config.describe("history", [".".to_string()], Some(label));
        Ok(config)
    }
}

impl GateArgs {
    /// The flag groups every scanning command has.
    fn flags(&self) -> Flags<'_> {
        Flags {
            rules: &self.rules,
            lints: &self.lints,
            verify: &self.verify,
            config: &self.config,
            output: &self.output,
            exit: &self.exit,
        }
    }
}

/// Settings for a range: the repository's `.keysweep.toml`, baseline and
/// ignore file as the range's base commit has them, so a change in the
/// range cannot allowlist itself; and the paths whose change in the range
/// is reported (the settings files). `--config` and `--no-config` work as
/// everywhere; without a single base (a new branch), the work tree's.
pub(super) fn range_settings(
    flags: Flags<'_>,
    repo: &Path,
    range: &CommitRange,
) -> Result<(Shared, Vec<String>)> {
    let mut watched = vec![CONFIG_NAME.to_string()];
    if flags.config.config.is_some() || flags.config.no_config || range.hide.is_empty() {
        let shared = Shared::new(flags, repo)?;
        return Ok((shared, watched));
    }
    let base = &range.hide[0];
    // A base that is not in the clone: the walk reports it, with its hint.
    let Ok(text) = crate::sources::file_at(repo, base, CONFIG_NAME) else {
        let shared = Shared::new(flags, repo)?;
        return Ok((shared, watched));
    };
    let name = format!("{base}:{CONFIG_NAME}");
    let settings = Settings::from_commit(None, text.as_deref(), &name)?;
    let mut files = CommitFiles::default();
    if let Some(r) = &settings.repo {
        for (slot, path) in [
            (&mut files.baseline, &r.baseline),
            (&mut files.ignore_file, &r.ignore_file),
        ] {
            if let Some(p) = path {
                let rel = p.to_string_lossy().replace('\\', "/");
                let rel = rel.trim_start_matches("./").to_string();
                *slot = crate::sources::file_at(repo, base, &rel)?;
                watched.push(rel);
            }
        }
        if let Some(p) = &r.ignore_file {
            let rel = p.to_string_lossy().replace('\\', "/");
            files.ignore_dir = rel
                .trim_start_matches("./")
                .rsplit_once('/')
                .map_or_else(String::new, |(dir, _)| dir.to_string());
        }
    }
    let shared = Shared::from_settings(flags, settings, &files)?;
    Ok((shared, watched))
}

/// The repository's settings files as a commit holds them (a range's base).
#[derive(Debug, Default)]
pub(super) struct CommitFiles {
    pub(super) baseline: Option<String>,
    pub(super) ignore_file: Option<String>,
    /// The ignore file's directory in the repository.
    pub(super) ignore_dir: String,
}
