//! Flags to a validated configuration.
//!
//! The clap structs in `cli` describe syntax; this module checks meaning
//! (paths exist, rule ids are known, rules files load, the repository opens)
//! and builds what the pipeline runs with: a source, the rules and the report
//! options. Every error names the argument or file it is about.

use crate::cli::history::{HistoryArgs, StagedArgs};
use crate::cli::scan::{
    ColorChoice, ConfigArgs, ExitArgs, LintArgs, OutputArgs, RuleArgs, ScanArgs, VerifyArgs,
};
use crate::filter::{read_baseline, Filters};
use crate::lint::{Lints, ENV_FILE_IN_HISTORY};
use crate::model::Severity;
use crate::report::Format;
use crate::rules::Rule;
use crate::sources::{
    ArchiveLimits, CommitRange, HistoryMode, HistorySource, Source, StagedSource, TreeSource,
};
use crate::verify;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

mod file;
mod gates;
mod revoke;
mod select;

use gates::{range_settings, CommitFiles};

pub use file::{FileConfig, Settings, CONFIG_NAME, STARTER};
pub use select::select_rules;
use select::select_rules_with;

/// Everything a scanning command needs, validated.
#[derive(Debug)]
pub struct Config {
    /// What to read.
    pub source: SourceSpec,
    /// Rules in effect.
    pub rules: Vec<Rule>,
    /// How to report and exit.
    pub report: ReportOptions,
    /// The hygiene lints in effect.
    pub lints: Lints,
    /// Live verification, when asked for.
    pub verify: Option<VerifySettings>,
    /// Baseline, allowlists, ignore file.
    pub filters: Filters,
    /// `--write-baseline FILE`.
    pub write_baseline: Option<PathBuf>,
    /// The key fingerprints are made with (from the repository's root
    /// commit); `None` outside a repository.
    pub fingerprint_key: Option<[u8; 32]>,
    /// Decode encoded spans and scan inside them.
    pub decode: bool,
    /// What this run scans, for the reports.
    pub scanned: crate::model::ScanInfo,
}

/// What every scanning command shares, built from flags and `.keysweep.toml`.
struct Shared {
    rules: Vec<Rule>,
    report: ReportOptions,
    verify: Option<VerifySettings>,
    filters: Filters,
    write_baseline: Option<PathBuf>,
    max_key_age: u64,
    decode: bool,
}

/// The flag groups every scanning command has.
struct Flags<'a> {
    rules: &'a RuleArgs,
    lints: &'a LintArgs,
    verify: &'a VerifyArgs,
    config: &'a ConfigArgs,
    output: &'a OutputArgs,
    exit: &'a ExitArgs,
}

impl Shared {
    /// Find the settings files (looked for from `start`), merge the flags over them.
    fn new(flags: Flags<'_>, start: &Path) -> Result<Self> {
        let settings = Settings::discover(
            flags.config.config.as_deref(),
            flags.config.no_config,
            start,
        )?;
        Self::from_settings(flags, settings, &CommitFiles::default())
    }

    /// Flags over the user's (trusted) and the repository's (narrowing only)
    /// settings; `commit` holds the repository's files when they come from
    /// a commit (a range's base) rather than the work tree.
    fn from_settings(flags: Flags<'_>, settings: Settings, commit: &CommitFiles) -> Result<Self> {
        for line in &settings.refused {
            eprintln!("keysweep: warning: {line}");
        }
        let user = &settings.user;
        let repo = settings.repo.as_ref();
        let rules = select_rules_with(flags.rules, user, repo)?;
        let mut filters = Filters::default().with_allowlists(
            &user.origin_name(),
            &user.allow.paths,
            &user.allow.secrets,
            &user.allow.stopwords,
        )?;
        if let Some(r) = repo {
            let label = format!("repository config {}", r.origin_name());
            filters = filters
                .with_allowlists(&label, &r.allow.paths, &r.allow.secrets, &r.allow.stopwords)?
                .with_disabled(&label, &r.disable);
        }
        let repo_label = |what: &str| {
            repo.map_or_else(String::new, |r| {
                format!("repository config {}: {what}", r.origin_name())
            })
        };
        if let (Some(text), Some(label)) = (&commit.baseline, &commit.baseline_flag) {
            // `--baseline` naming a file in the repository, read from a range's base.
            filters = filters.with_baseline(crate::filter::parse_baseline(label, text)?, label);
        } else if let Some(b) = &flags.config.baseline {
            filters =
                filters.with_baseline(read_baseline(b)?, &format!("baseline {}", b.display()));
        } else if let Some(b) = &user.baseline {
            filters =
                filters.with_baseline(read_baseline(b)?, &format!("baseline {}", b.display()));
        } else if let Some(text) = &commit.baseline {
            filters = filters.with_baseline(
                crate::filter::parse_baseline(&repo_label("baseline"), text)?,
                &repo_label("baseline"),
            );
        } else if let Some(b) = repo.and_then(|r| r.baseline.as_ref()) {
            filters = filters.with_baseline(read_baseline(b)?, &repo_label("baseline"));
        }
        if let (Some(text), Some(label)) = (&commit.ignore_file, &commit.ignore_flag) {
            filters = filters.with_ignore_text(label, text, &commit.ignore_dir)?;
        } else if let Some(i) = flags
            .config
            .ignore_file
            .as_ref()
            .or(user.ignore_file.as_ref())
        {
            filters = filters.with_ignore_file(i)?;
        } else if let Some(text) = &commit.ignore_file {
            filters =
                filters.with_ignore_text(&repo_label("ignore_file"), text, &commit.ignore_dir)?;
        } else if let Some(i) = repo.and_then(|r| r.ignore_file.as_ref()) {
            filters = filters.with_ignore_file_labelled(i, &repo_label("ignore_file"))?;
        }
        let fail_on = flags
            .exit
            .fail_on
            .or(user.fail_on)
            .or(repo.and_then(|r| r.fail_on));
        let max_key_age = flags
            .lints
            .max_key_age
            .or(user.max_key_age)
            .or(repo.and_then(|r| r.max_key_age));
        Ok(Shared {
            verify: VerifySettings::from_args(flags.verify, &rules, user)?,
            report: ReportOptions::new(
                flags.output,
                flags.exit,
                fail_on,
                // Either file may turn it on; neither can turn the flag off.
                user.fail_on_skipped == Some(true)
                    || repo.is_some_and(|r| r.fail_on_skipped == Some(true)),
            ),
            max_key_age: max_key_age.unwrap_or(90),
            write_baseline: flags.config.write_baseline.clone(),
            decode: !flags.rules.no_decode,
            filters,
            rules,
        })
    }

    /// The config for `source`; `repo` is the repository a history or
    /// index scan reads (report paths are relative to its work tree).
    fn into_config(self, source: SourceSpec, lints: Lints, repo: Option<&Path>) -> Config {
        let root = match &source {
            SourceSpec::Tree(t) => Some(t.roots.base().to_path_buf()),
            _ => repo.and_then(crate::sources::work_tree),
        };
        let fingerprint_key = source.fingerprint_key(repo);
        Config {
            source,
            lints,
            rules: self.rules,
            report: self.report,
            verify: self.verify,
            filters: self.filters.with_base(root.clone()),
            write_baseline: self.write_baseline,
            fingerprint_key,
            decode: self.decode,
            scanned: crate::model::ScanInfo {
                root,
                ..Default::default()
            },
        }
    }
}

/// `--verify` and friends, validated.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// Timeouts, caps, overrides.
    pub options: verify::Options,
    /// Report only live keys.
    pub only_verified: bool,
    /// Exit 1 only for live keys.
    pub fail_on_live: bool,
}

impl VerifySettings {
    /// `None` unless verification was asked for; errors name the flag.
    fn from_args(args: &VerifyArgs, rules: &[Rule], file: &FileConfig) -> Result<Option<Self>> {
        let options = verify_options(&args.provider(), rules, file)?;
        let on = args.verify || args.only_verified || args.fail_on_live;
        Ok(on.then_some(VerifySettings {
            options,
            only_verified: args.only_verified,
            fail_on_live: args.fail_on_live,
        }))
    }
}

/// Timeouts, caps and overrides from the verification flags and the
/// config's `[verify]` (flags win), validated.
fn verify_options(
    args: &crate::cli::scan::ProviderArgs,
    rules: &[Rule],
    file: &FileConfig,
) -> Result<verify::Options> {
    let timeout = args.verify_timeout.or(file.verify.timeout).unwrap_or(10);
    let concurrency = args
        .verify_concurrency
        .or(file.verify.concurrency)
        .unwrap_or(8);
    if concurrency > MAX_THREADS {
        bail!("--verify-concurrency {concurrency}: at most {MAX_THREADS}");
    }
    if timeout > MAX_TIMEOUT {
        bail!("--verify-timeout {timeout}: at most {MAX_TIMEOUT} seconds");
    }
    if concurrency > 8 {
        can_start(concurrency).map_err(|e| {
            anyhow::anyhow!(
                "--verify-concurrency {concurrency}: cannot start {concurrency} threads ({e}); use fewer"
            )
        })?;
    }
    let mut options = verify::Options {
        timeout: std::time::Duration::from_secs(timeout.max(1)),
        concurrency: concurrency.max(1),
        ..verify::Options::default()
    };
    options.per_host = options.per_host.min(options.concurrency);
    let pairs =
        |from_file: &std::collections::BTreeMap<String, String>, flags: &[String]| -> Vec<String> {
            from_file
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(flags.iter().cloned())
                .collect()
        };
    for spec in pairs(&file.verify.providers, &args.verify_provider) {
        let (rule, provider) = split_pair("--verify-provider", &spec)?;
        let r = verifiable_rule(rules, "--verify-provider", rule)?;
        if !r.verify.iter().any(|v| v.provider == provider) {
            let names: Vec<&str> = r.verify.iter().map(|v| v.provider.as_str()).collect();
            bail!(
                "--verify-provider {spec}: rule `{rule}` knows providers {}",
                names.join(", ")
            );
        }
        options
            .providers
            .insert(rule.to_string(), provider.to_string());
    }
    for spec in pairs(&file.verify.endpoints, &args.verify_endpoint) {
        let (rule, url) = split_pair("--verify-endpoint", &spec)?;
        verifiable_rule(rules, "--verify-endpoint", rule)?;
        verify::check_endpoint(url)
            .map_err(|e| anyhow::anyhow!("--verify-endpoint {rule}=...: {e}"))?;
        options.endpoints.insert(rule.to_string(), url.to_string());
    }
    // Only a host the user typed on the command line may be a local one.
    for spec in &args.verify_endpoint {
        if let Some((_, url)) = spec.split_once('=') {
            options.local_hosts.insert(verify::url_host(url));
        }
    }
    Ok(options)
}

fn split_pair<'a>(flag: &str, spec: &'a str) -> Result<(&'a str, &'a str)> {
    spec.split_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| anyhow::anyhow!("{flag} {spec}: expected RULE=VALUE"))
}

fn verifiable_rule<'r>(rules: &'r [Rule], flag: &str, id: &str) -> Result<&'r Rule> {
    let r = rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| anyhow::anyhow!("{flag}: unknown rule id `{id}`"))?;
    if r.verify.is_empty() && r.revoke.is_none() {
        bail!("{flag}: rule `{id}` has no [verify] or [revoke] table");
    }
    Ok(r)
}

/// The source a command scans.
#[derive(Debug)]
pub enum SourceSpec {
    /// Files on disk.
    Tree(TreeSource),
    /// Git history or a commit range (boxed: it carries the walk's state).
    History(Box<HistorySource>),
    /// The index.
    Staged(StagedSource),
}

impl SourceSpec {
    /// The key fingerprints are made with: that of the repository a tree
    /// scan's paths are in (not the one the command runs in), or of `repo`,
    /// the repository a history or index scan reads; `None` outside one.
    fn fingerprint_key(&self, repo: Option<&Path>) -> Option<[u8; 32]> {
        match self {
            SourceSpec::Tree(t) if t.roots.in_repository() => {
                crate::sources::fingerprint_key(t.roots.base())
            }
            SourceSpec::Tree(_) => None,
            _ => repo.and_then(crate::sources::fingerprint_key),
        }
    }

    /// The source as a trait object.
    pub fn as_source(&self) -> &dyn Source {
        match self {
            SourceSpec::Tree(s) => s,
            SourceSpec::History(s) => s.as_ref(),
            SourceSpec::Staged(s) => s,
        }
    }
}

/// Report format, destination and exit policy.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Report format.
    pub format: Format,
    /// Report destination (stdout when `None`).
    pub output: Option<PathBuf>,
    /// Annotations on stdout beside the report file (`--annotate github`).
    pub annotate_github: bool,
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
    /// Exit 1 when content was skipped or read in part (`--fail-on-skipped`).
    pub fail_on_skipped: bool,
    /// Findings below this confidence are not reported.
    pub min_confidence: crate::model::Confidence,
    /// Findings kept per (file, rule); 0: all.
    pub max_findings_per_file: usize,
}

impl ReportOptions {
    fn new(
        out: &OutputArgs,
        exit: &ExitArgs,
        fail_on: Option<Severity>,
        fail_on_skipped: bool,
    ) -> Self {
        let color_report = match out.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                out.output.as_ref().is_none_or(|p| p.as_os_str() == "-")
                    && color_allowed()
                    && std::io::stdout().is_terminal()
            }
        };
        let color_summary = match out.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => color_allowed() && std::io::stderr().is_terminal(),
        };
        ReportOptions {
            format: out.format,
            // `--output -` is standard output, as everywhere else.
            output: out.output.clone().filter(|p| p.as_os_str() != "-"),
            annotate_github: out.annotate == Some(crate::cli::scan::Annotate::Github),
            color_report,
            color_summary,
            show_secrets: out.show_secrets,
            quiet: out.quiet,
            verbose: out.verbose,
            fail_on: exit.fail_on.or(fail_on).unwrap_or(Severity::Low),
            exit_zero: exit.exit_zero,
            fail_on_skipped: exit.fail_on_skipped || fail_on_skipped,
            min_confidence: out.confidence,
            max_findings_per_file: out.max_findings_per_file,
        }
    }
}

impl Config {
    /// `keysweep scan`.
    pub fn scan(args: &ScanArgs) -> Result<Self> {
        for p in &args.paths {
            if std::fs::symlink_metadata(p).is_err() {
                bail!("{}: no such file or directory", p.display());
            }
        }
        let shared = Shared::new(
            Flags {
                rules: &args.rules,
                lints: &args.lints,
                verify: &args.verify,
                config: &args.config,
                output: &args.output,
                exit: &args.exit,
            },
            Path::new("."),
        )?;
        let roots = crate::sources::Roots::new(&args.paths);
        let lints = lints(&shared.rules, shared.max_key_age)
            .with_tree_roots(args.paths.clone(), roots.base().to_path_buf());
        let source = SourceSpec::Tree(TreeSource {
            paths: args.paths.clone(),
            no_ignore: args.walk.no_ignore,
            follow: args.walk.follow,
            threads: threads(args.limits.threads)?,
            max_file_size: args.limits.max_file_size,
            archives: archive_limits(&args.limits),
            roots,
        });
        let mut config = shared.into_config(source, lints, None);
        config.describe(
            "scan",
            args.paths.iter().map(|p| p.display().to_string()),
            None,
        );
        Ok(config)
    }

    /// `keysweep history`.
    pub fn history(args: &HistoryArgs) -> Result<Self> {
        let mode = match &args.range {
            Some(range) => HistoryMode::Range(
                CommitRange::parse(range)
                    .map_err(|e| anyhow::anyhow!("--range {e} (for example origin/main..HEAD)"))?,
            ),
            None => HistoryMode::All {
                branches: args.branch.clone(),
                since: args.since,
                all_objects: args.all_objects,
            },
        };
        if !args.repo.exists() {
            bail!("{}: no such file or directory", args.repo.display());
        }
        if !args.repo.is_dir() {
            bail!(
                "{}: a file, not a repository; to scan the history of one path: keysweep history -- {}",
                args.repo.display(),
                args.repo.display()
            );
        }
        let flags = Flags {
            rules: &args.rules,
            lints: &args.lints,
            verify: &args.verify,
            config: &args.config,
            output: &args.output,
            exit: &args.exit,
        };
        let (shared, watched) = match &mode {
            HistoryMode::Range(range) => range_settings(flags, &args.repo, range)?,
            HistoryMode::All { .. } => (Shared::new(flags, &args.repo)?, Vec::new()),
        };
        let progress = !args.output.quiet && std::io::stderr().is_terminal();
        let source = HistorySource::new(
            args.repo.clone(),
            mode,
            threads(args.limits.threads)?,
            args.limits.max_file_size,
            progress,
            lint_severity(&shared.rules, ENV_FILE_IN_HISTORY).is_some(),
        )?
        .with_paths(&args.paths)?
        .with_watched(watched)
        .with_archives(archive_limits(&args.limits));
        let lints = lints(&shared.rules, shared.max_key_age);
        let mut config = shared.into_config(
            SourceSpec::History(Box::new(source)),
            lints,
            Some(&args.repo),
        );
        config.describe(
            "history",
            [args.repo.display().to_string()],
            args.range.clone(),
        );
        Ok(config)
    }

    /// `keysweep staged`.
    pub fn staged(args: &StagedArgs) -> Result<Self> {
        // The source checks the path first (before any config is looked for).
        let source = StagedSource::new(args.repo.clone(), args.max_file_size)?;
        let shared = Shared::new(
            Flags {
                rules: &args.rules,
                lints: &args.lints,
                verify: &args.verify,
                config: &args.config,
                output: &args.output,
                exit: &args.exit,
            },
            &args.repo,
        )?;
        let lints = lints(&shared.rules, shared.max_key_age);
        let mut config = shared.into_config(SourceSpec::Staged(source), lints, Some(&args.repo));
        config.describe("staged", [args.repo.display().to_string()], None);
        Ok(config)
    }
}

/// What a run scans, as the reports name it.
impl Config {
    /// Say what the run scans, for the reports.
    fn describe(
        &mut self,
        command: &str,
        targets: impl IntoIterator<Item = String>,
        range: Option<String>,
    ) {
        self.scanned.command = command.to_string();
        self.scanned.target = targets.into_iter().collect::<Vec<_>>().join(" ");
        self.scanned.range = range;
    }
}

/// `--threads`: at least one; default one per core.
fn threads(requested: Option<usize>) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        Some(0) => bail!("--threads: must be at least 1"),
        Some(n) if n > MAX_THREADS => bail!("--threads {n}: at most {MAX_THREADS}"),
        Some(n) if n > cores => {
            can_start(n).map_err(|e| {
                anyhow::anyhow!("--threads {n}: cannot start {n} threads ({e}); use fewer")
            })?;
            Ok(n)
        }
        Some(n) => Ok(n),
        None => Ok(cores),
    }
}

/// The most worker threads (`--threads`) or requests in flight
/// (`--verify-concurrency`) a run may ask for.
const MAX_THREADS: usize = 1024;

/// The longest `--verify-timeout`, in seconds (an hour).
const MAX_TIMEOUT: u64 = 3600;

/// Whether this process can run `n` threads at once (a process or memory
/// limit may forbid it): start them, then let them all go. The walkers
/// treat a thread that cannot start as fatal, so this is asked first.
fn can_start(n: usize) -> std::io::Result<()> {
    let gate = std::sync::Arc::new(std::sync::RwLock::new(()));
    let hold = gate.write().unwrap_or_else(|e| e.into_inner());
    let mut started = Vec::with_capacity(n);
    let mut failed = None;
    for _ in 0..n {
        let gate = std::sync::Arc::clone(&gate);
        match std::thread::Builder::new().spawn(move || drop(gate.read())) {
            Ok(h) => started.push(h),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(hold);
    for h in started {
        let _ = h.join();
    }
    failed.map_or(Ok(()), Err)
}

/// The lints among `rules`, judged against the current time.
fn lints(rules: &[Rule], max_key_age_days: u64) -> Lints {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Lints::new(rules, max_key_age_days, now)
}

/// The severity of lint `id` when it is among the selected rules.
fn lint_severity(rules: &[Rule], id: &str) -> Option<Severity> {
    rules.iter().find(|r| r.id == id).map(|r| r.severity)
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Archive limits from `--archive-depth` and `--max-file-size` (a member
/// is held to the same size limit as a file).
fn archive_limits(limits: &crate::cli::scan::LimitArgs) -> ArchiveLimits {
    ArchiveLimits {
        depth: limits.archive_depth,
        max_member: limits.max_file_size,
        ..ArchiveLimits::default()
    }
}
