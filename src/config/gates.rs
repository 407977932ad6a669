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

/// Settings for a range: the repository's settings file, baseline and
/// ignore file as the range's base commit has them, so a change in the
/// range cannot allowlist itself whatever the route; and the paths whose
/// change in the range is reported (the settings files).
///
/// - The file is `.keysweep.toml`, or the `--config` file when it lies in
///   the repository (the Action's `config:` input): the range's own copy of
///   it is never read. A `--config` file outside the repository is the
///   user's own and is read as it is.
/// - The base is the range's base; for a new branch or a first push (no
///   base), the remote's default branch as this clone knows it; with no
///   such branch, none of the repository's settings apply.
/// - `--no-config` reads no repository settings, as everywhere.
pub(super) fn range_settings(
    flags: Flags<'_>,
    repo: &Path,
    range: &CommitRange,
) -> Result<(Shared, Vec<String>)> {
    let (file, explicit, own) = match &flags.config.config {
        Some(p) => match in_repository(repo, p) {
            Some(rel) => (rel, true, None),
            None => (CONFIG_NAME.to_string(), false, Some(p.clone())),
        },
        None => (CONFIG_NAME.to_string(), false, None),
    };
    let mut watched = vec![file.clone()];
    let base = match range.hide.first() {
        Some(b) => Some(b.clone()),
        None => range
            .hide_remote
            .as_deref()
            .and_then(|remote| crate::sources::remote_default_branch(repo, remote)),
    };
    // `--baseline` and `--ignore-file` naming files in the repository are
    // read from the base too (and apply not at all without one).
    let mut config = flags.config.clone();
    let mut from_flags = CommitFiles::default();
    let flag_files = [
        ("--baseline", config.baseline.take()),
        ("--ignore-file", config.ignore_file.take()),
    ];
    for (i, (flag, path)) in flag_files.into_iter().enumerate() {
        let Some(path) = path else { continue };
        let Some(rel) = in_repository(repo, &path) else {
            // Outside the repository: the user's own file, read as it is.
            match i {
                0 => config.baseline = Some(path),
                _ => config.ignore_file = Some(path),
            }
            continue;
        };
        let text = match &base {
            Some(b) => crate::sources::file_at(repo, b, &rel)?,
            None => None,
        };
        if text.is_none() {
            eprintln!(
                "keysweep: warning: {flag} {rel}: not in the base commit, so it does not apply; the range's own copy is not used"
            );
        }
        let label = format!(
            "{} {}:{rel}",
            &flag[2..],
            base.as_deref().unwrap_or("(no base)")
        );
        watched.push(rel.clone());
        if i == 0 {
            from_flags.baseline = text;
            from_flags.baseline_flag = Some(label);
        } else {
            from_flags.ignore_dir = rel
                .rsplit_once('/')
                .map_or_else(String::new, |(dir, _)| dir.to_string());
            from_flags.ignore_file = text;
            from_flags.ignore_flag = Some(label);
        }
    }
    let flags = Flags {
        config: &config,
        ..flags
    };
    if own.is_some() || flags.config.no_config {
        // Your own file (which replaces every other), or none.
        let settings = Settings::discover(own.as_deref(), true, repo)?;
        return Ok((
            Shared::from_settings(flags, settings, &from_flags)?,
            watched,
        ));
    }
    let Some(base) = base else {
        if explicit {
            eprintln!(
                "keysweep: warning: --config {file}: no base commit to read it from (a new branch, and no remote default branch known), so none of the repository's settings apply"
            );
        }
        let settings = Settings::from_commit(!explicit, None, &file)?;
        return Ok((
            Shared::from_settings(flags, settings, &from_flags)?,
            watched,
        ));
    };
    // A base that is not in the clone: the walk reports it, with its hint.
    let text = match crate::sources::file_at(repo, &base, &file) {
        Ok(text) => text,
        Err(_) if !explicit => {
            let settings = Settings::discover(None, false, repo)?;
            return Ok((
                Shared::from_settings(flags, settings, &from_flags)?,
                watched,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if explicit && text.is_none() {
        eprintln!(
            "keysweep: warning: --config {file}: not in the base commit {base}; the range's own copy is not used"
        );
    }
    let name = format!("{base}:{file}");
    let settings = Settings::from_commit(!explicit, text.as_deref(), &name)?;
    let mut files = from_flags;
    if let Some(r) = &settings.repo {
        // Paths in the file are relative to the file's directory.
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        let at = |p: &Path| {
            let rel = p.to_string_lossy().replace('\\', "/");
            let rel = rel.trim_start_matches("./");
            if dir.is_empty() {
                rel.to_string()
            } else {
                format!("{dir}/{rel}")
            }
        };
        let (baseline_from_flag, ignore_from_flag) =
            (files.baseline_flag.is_some(), files.ignore_flag.is_some());
        for (slot, path, flagged) in [
            (&mut files.baseline, &r.baseline, baseline_from_flag),
            (&mut files.ignore_file, &r.ignore_file, ignore_from_flag),
        ] {
            if let (Some(p), false) = (path, flagged) {
                let rel = at(p);
                *slot = crate::sources::file_at(repo, &base, &rel)?;
                watched.push(rel);
            }
        }
        if let (Some(p), false) = (&r.ignore_file, ignore_from_flag) {
            files.ignore_dir = at(p)
                .rsplit_once('/')
                .map_or_else(String::new, |(dir, _)| dir.to_string());
        }
    }
    let shared = Shared::from_settings(flags, settings, &files)?;
    Ok((shared, watched))
}

/// `path` relative to the work tree of the repository at `repo`, when it
/// lies inside it (whether or not it exists there now).
fn in_repository(repo: &Path, path: &Path) -> Option<String> {
    let root = crate::sources::work_tree(repo)?.canonicalize().ok()?;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    // Resolve what exists (symlinks, `..`); a file the range deletes may not.
    let abs = abs
        .parent()
        .and_then(|d| d.canonicalize().ok())
        .map(|d| d.join(abs.file_name().unwrap_or_default()))
        .unwrap_or(abs);
    let rel = abs.strip_prefix(&root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The repository's settings files as a commit holds them (a range's base).
#[derive(Debug, Default)]
pub(super) struct CommitFiles {
    pub(super) baseline: Option<String>,
    pub(super) ignore_file: Option<String>,
    /// The ignore file's directory in the repository.
    pub(super) ignore_dir: String,
    /// Set when `baseline` is what `--baseline` named in the repository (the
    /// base's copy): its label.
    pub(super) baseline_flag: Option<String>,
    /// Likewise for `--ignore-file`.
    pub(super) ignore_flag: Option<String>,
}
