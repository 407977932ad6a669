//! Command-line syntax only: clap-derive structs, one file per subcommand.
//! Validation and defaults that need more than syntax live in `config`.

pub mod history;
pub mod rules;
pub mod scan;

use clap::{Parser, Subcommand};

/// keysweep: find leaked API keys and enforce key hygiene.
#[derive(Debug, Parser)]
#[command(name = "keysweep", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
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
    /// Install a git pre-commit hook that runs `keysweep staged`.
    InstallHook {
        /// The repository (or a directory inside it).
        #[arg(value_name = "REPO", default_value = ".")]
        repo: std::path::PathBuf,
        /// Replace an existing pre-commit hook that keysweep did not install.
        #[arg(long)]
        force: bool,
    },
    /// List the rules or check a rules file.
    Rules(rules::RulesArgs),
}
