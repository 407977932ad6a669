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
    /// List the rules or check a rules file.
    Rules(rules::RulesArgs),
}
