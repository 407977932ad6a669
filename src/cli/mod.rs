//! Command-line syntax only: clap-derive structs, one file per subcommand.
//! Validation and defaults that need more than syntax live in `config`.

pub mod history;
pub mod rules;
pub mod scan;

use clap::{Parser, Subcommand};

/// The version `--version` prints: the crate version and the commit it was
/// built from (`build.rs`: `git rev-parse`, or `KEYSWEEP_COMMIT` for builds
/// from a source archive), e.g. `0.1.0 (1a2b3c4d5e6f)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("KEYSWEEP_COMMIT"),
    ")"
);

/// keysweep: find leaked API keys and enforce key hygiene.
#[derive(Debug, Parser)]
#[command(name = "keysweep", version = VERSION, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Formats `keysweep report` renders a JSON report into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RenderFormat {
    /// The self-contained HTML page.
    Html,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (the working tree) for secrets.
    Scan(scan::ScanArgs),
    /// Scan git history: every blob of every commit of every ref, or a commit range.
    History(history::HistoryArgs),
    /// Scan what the index adds over HEAD (the pre-commit check).
    Staged(history::StagedArgs),
    /// The pre-push gate: scan every commit being pushed (refs on standard input, as git's pre-push hook gets them).
    PrePush(history::PrePushArgs),
    /// Entry point for the pre-commit framework: the staged content in a commit, the ref range it names (PRE_COMMIT_FROM_REF/TO_REF), otherwise the files it passes.
    PreCommit(history::PreCommitArgs),
    /// Revoke a found key at its provider (dry run unless --yes).
    Revoke(history::RevokeArgs),
    /// Write a commented starter .keysweep.toml.
    Init {
        /// Where to write it.
        #[arg(long, value_name = "FILE", default_value = ".keysweep.toml")]
        path: std::path::PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Install a git hook: pre-commit (runs `keysweep staged`), or with --pre-push the pre-push gate.
    InstallHook {
        /// The repository (or a directory inside it).
        #[arg(value_name = "REPO", default_value = ".")]
        repo: std::path::PathBuf,
        /// Install the pre-push hook (runs `keysweep pre-push`) instead of the pre-commit hook.
        #[arg(long)]
        pre_push: bool,
        /// Replace an existing hook that keysweep did not install.
        #[arg(long)]
        force: bool,
    },
    /// List the rules or check a rules file.
    Rules(rules::RulesArgs),
    /// Render a JSON report written earlier (`--format json`) as another
    /// format, without scanning again.
    Report {
        /// The JSON report file.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RenderFormat::Html)]
        format: RenderFormat,
        /// Write to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from these definitions.
    Man,
}
