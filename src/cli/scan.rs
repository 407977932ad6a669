//! `keysweep scan` arguments.

use crate::model::{Confidence, Severity};
use crate::report::Format;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Which rules are in effect (shared by `scan` and `rules list`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Rules")]
pub struct RuleArgs {
    /// Add rules from a TOML file or a directory of them (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Run only these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub only: Vec<String>,
    /// Do not run these rules (repeatable).
    #[arg(long = "disable-rule", value_name = "ID")]
    pub disable: Vec<String>,
    /// Do not decode base64, hex, percent-encoded or escaped spans to look inside them.
    #[arg(long)]
    pub no_decode: bool,
}

/// Live verification (shared by `scan`, `history` and `staged`). The
/// options about how keys are sent need one of the three flags that turn
/// verification on: alone they would do nothing, so the parser refuses them.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Verification")]
#[command(group(
    clap::ArgGroup::new("verifying")
        .multiple(true)
        .args(["verify", "only_verified", "fail_on_live"])
))]
pub struct VerifyArgs {
    /// Ask each key's provider whether it is live (sends the key to that provider only).
    #[arg(long)]
    pub verify: bool,
    /// Report only keys confirmed live (implies --verify).
    #[arg(long)]
    pub only_verified: bool,
    /// Exit 1 only when a live key is found (implies --verify).
    #[arg(long, conflicts_with = "fail_on")]
    pub fail_on_live: bool,
    /// Say which provider a shared key shape belongs to, e.g. stripe-secret-key=infinipost (repeatable).
    #[arg(long, value_name = "RULE=PROVIDER", requires = "verifying")]
    pub verify_provider: Vec<String>,
    /// Send RULE's checks to URL instead (https, or http to a loopback address) (repeatable).
    #[arg(long, value_name = "RULE=URL", requires = "verifying")]
    pub verify_endpoint: Vec<String>,
    /// Per-request timeout in seconds [default: 10].
    #[arg(long, value_name = "SECS", requires = "verifying")]
    pub verify_timeout: Option<u64>,
    /// Requests in flight at once, at most 4 per host [default: 8].
    #[arg(long, value_name = "N", requires = "verifying")]
    pub verify_concurrency: Option<usize>,
}

impl VerifyArgs {
    /// Where and how keys are sent.
    pub fn provider(&self) -> ProviderArgs {
        ProviderArgs {
            verify_provider: self.verify_provider.clone(),
            verify_endpoint: self.verify_endpoint.clone(),
            verify_timeout: self.verify_timeout,
            verify_concurrency: self.verify_concurrency,
        }
    }
}

/// Where and how keys go to their providers.
#[derive(Debug, Clone, Default)]
pub struct ProviderArgs {
    /// `RULE=PROVIDER` choices.
    pub verify_provider: Vec<String>,
    /// `RULE=URL` overrides.
    pub verify_endpoint: Vec<String>,
    /// Per-request timeout in seconds.
    pub verify_timeout: Option<u64>,
    /// Requests in flight at once.
    pub verify_concurrency: Option<usize>,
}

/// `revoke`'s provider options: one call, so no concurrency, and no
/// --verify, --only-verified or --fail-on-live to ignore.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Provider")]
pub struct RevokeProviderArgs {
    /// Say which provider a shared key shape belongs to, e.g. stripe-secret-key=infinipost (repeatable).
    #[arg(long, value_name = "RULE=PROVIDER")]
    pub verify_provider: Vec<String>,
    /// Send RULE's calls to URL instead (https, or http to a loopback address) (repeatable).
    #[arg(long, value_name = "RULE=URL")]
    pub verify_endpoint: Vec<String>,
    /// Per-request timeout in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub verify_timeout: Option<u64>,
}

impl RevokeProviderArgs {
    /// Where and how the key is sent.
    pub fn provider(&self) -> ProviderArgs {
        ProviderArgs {
            verify_provider: self.verify_provider.clone(),
            verify_endpoint: self.verify_endpoint.clone(),
            verify_timeout: self.verify_timeout,
            verify_concurrency: None,
        }
    }
}

/// Configuration file, baselines and ignore lists (shared by `scan`,
/// `history` and `staged`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Config and suppression")]
pub struct ConfigArgs {
    /// Read settings from FILE instead of the .keysweep.toml found here or at the repository root.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any .keysweep.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Suppress the findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE as the new baseline (and exit 0).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Suppress findings in paths matching this gitignore-style file.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
}

/// Lint settings (shared by `scan`, `history` and `staged`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Lints")]
pub struct LintArgs {
    /// Rotation window for `stale-key`: keys issued longer ago are flagged (days; `90` or `90d`) [default: 90].
    #[arg(long, value_name = "DAYS", value_parser = parse_days)]
    pub max_key_age: Option<u64>,
}

/// Parse `90` or `90d` (days).
pub fn parse_days(s: &str) -> Result<u64, String> {
    s.trim()
        .trim_end_matches(['d', 'D'])
        .parse()
        .map_err(|_| format!("`{s}` is not a number of days (e.g. 90 or 90d)"))
}

/// How to walk the tree.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Walk")]
pub struct WalkArgs {
    /// Also scan files that .gitignore, .ignore and git excludes would skip.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,
}

/// Threads and size limits (shared by `scan`, `history` and `staged`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip (and count) files or blobs larger than this: bytes, or with K, M, G suffix.
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Open archives and compressed files (zip, jar, tar, gzip, bzip2, xz,
    /// zstd) nested up to N deep and scan what they hold; 0: do not open them.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub archive_depth: u32,
}

/// Annotations printed beside the report (`--annotate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Annotate {
    /// GitHub Actions workflow commands (`::error file=...::`).
    Github,
}

/// Report format and destination.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of stdout (the summary stays on stderr).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also print the findings as annotations on stdout, from the same scan
    /// (`github`: workflow commands), beside the report written to --output.
    #[arg(long, value_enum, value_name = "KIND", requires = "output")]
    pub annotate: Option<Annotate>,
    /// Colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Do not print the summary on stderr.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// List every skipped file in the summary.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Report findings at or above this confidence (low shows samples,
    /// documentation and fixture values too).
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = Confidence::Medium)]
    pub confidence: Confidence,
    /// Keep at most N findings per file and rule; the rest are counted in
    /// the summary and still fail the run (0: keep all).
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::DEFAULT_MAX_FINDINGS_PER_FILE, help_heading = "Limits")]
    pub max_findings_per_file: usize,
}

/// Exit status policy.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Exit status")]
pub struct ExitArgs {
    /// Exit 1 when a finding is at or above this severity [default: low, or the config's fail_on].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Exit 0 even with findings (errors still exit 2).
    #[arg(long, conflicts_with_all = ["fail_on", "fail_on_live", "fail_on_skipped"])]
    pub exit_zero: bool,
    /// Exit 1 when any content was skipped, unreadable or read only in part
    /// (too large, binary, a submodule, an LFS pointer, an archive limit), listing it.
    #[arg(long)]
    pub fail_on_skipped: bool,
}

/// `keysweep scan [PATH]...`
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
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

/// Parse `25M`, `1G`, `512K`, `1000` (binary multiples; `MiB`/`MB` accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 25M, 1G, 4096)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown size unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("25M"), Ok(25 << 20));
        assert_eq!(super::parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(super::parse_size("4096"), Ok(4096));
        assert!(super::parse_size("lots").is_err());
        assert!(super::parse_size("5X").is_err());
    }
}
