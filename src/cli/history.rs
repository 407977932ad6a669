//! `keysweep history` and `keysweep staged` arguments.

use super::scan::{
    parse_size, ConfigArgs, ExitArgs, LimitArgs, LintArgs, OutputArgs, RuleArgs, VerifyArgs,
};
use clap::Args;
use std::path::PathBuf;

/// `keysweep history [REPO]`
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The repository (or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Only what the commits in A..B add (e.g. origin/main..HEAD).
    #[arg(long, value_name = "A..B", conflicts_with_all = ["since", "branch", "all_objects"])]
    pub range: Option<String>,
    /// Only commits made on or after this date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<i64>,
    /// Start from this branch, tag or ref instead of every ref (repeatable).
    #[arg(long, value_name = "REF")]
    pub branch: Vec<String>,
    /// Also scan commits and blobs that no ref reaches (dangling objects).
    #[arg(long)]
    pub all_objects: bool,
    /// Only these paths' history (files or directories, relative to the
    /// current directory, as with `git log -- PATH`).
    #[arg(last = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: LimitArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub lints: LintArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub exit: ExitArgs,
}

/// `keysweep staged [REPO]`
#[derive(Debug, Clone, Args)]
pub struct StagedArgs {
    /// The repository (or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Skip (and count) staged files larger than this: bytes, or with K, M, G suffix.
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size, help_heading = "Limits")]
    pub max_file_size: u64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub lints: LintArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub exit: ExitArgs,
}

/// Parse `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ` to seconds
/// since the epoch: only real calendar dates.
pub fn parse_date(s: &str) -> Result<i64, String> {
    crate::model::parse_date(s)
}

/// `keysweep revoke FINGERPRINT [PATH]...`
#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// Fingerprint of the finding whose key to revoke (from any report).
    #[arg(value_name = "FINGERPRINT")]
    pub fingerprint: String,
    /// Where the key was found (default `.`); with --history, the repository.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Look for the finding in git history instead of the working tree.
    #[arg(long)]
    pub history: bool,
    /// Really call the provider (without it: a dry run that prints the call).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    /// Endpoint overrides and limits (no --verify, --only-verified or
    /// --fail-on-live: revoking is not a scan's verification).
    #[command(flatten)]
    pub verify: super::scan::RevokeProviderArgs,
}

/// The flags the git gates share (`pre-push`, `pre-commit`).
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// Skip (and count) files larger than this: bytes, or with K, M, G suffix.
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size, help_heading = "Limits")]
    pub max_file_size: u64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub lints: LintArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub verify: VerifyArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub exit: ExitArgs,
}

/// `keysweep pre-push [REMOTE] [URL]` (git's pre-push hook arguments; the
/// refs being pushed come on standard input).
#[derive(Debug, Clone, Args)]
pub struct PrePushArgs {
    /// The remote's name, as git passes it to the hook.
    #[arg(value_name = "REMOTE")]
    pub remote: Option<String>,
    /// The remote's URL, as git passes it to the hook.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub gate: GateArgs,
}

/// `keysweep pre-commit [FILE]...` (the pre-commit framework's entry).
#[derive(Debug, Clone, Args)]
pub struct PreCommitArgs {
    /// Files the framework passes (scanned only outside a commit and
    /// without a ref range).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub gate: GateArgs,
}
