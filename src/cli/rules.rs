//! `keysweep rules ...` arguments.

use super::scan::RuleArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `keysweep rules`
#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// What to do with rules.
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Format of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One rule per line.
    Text,
    /// A JSON array.
    Json,
}

/// `rules` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RulesCommand {
    /// List every rule in effect: id, severity, keywords, description.
    List {
        #[command(flatten)]
        #[allow(missing_docs)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Validate rules files and run their examples and counterexamples.
    Check {
        /// Rules files or directories to check.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
}
