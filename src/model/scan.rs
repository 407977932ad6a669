//! What a scan saw besides its findings: files passed over and why, what
//! could not be seen (shallow history, unreadable objects, ignored paths),
//! and the run's summary. Plain data: sources fill it, reporters print it.

use super::finding::{CommitInfo, Finding, Severity};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// What a run scanned, as reports name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanInfo {
    /// The command: `scan`, `history` or `staged`.
    pub command: String,
    /// The paths (tree) or the repository (history, staged), as given.
    pub target: String,
    /// The commit range (`history --range`).
    pub range: Option<String>,
    /// The directory report paths are relative to (the repository's work
    /// tree, or a tree scan's root outside one): SARIF's `%SRCROOT%`. Not in
    /// the JSON report.
    #[serde(skip)]
    pub root: Option<std::path::PathBuf>,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than `--max-file-size`.
    TooLarge {
        /// Size in bytes.
        size: u64,
    },
    /// Binary content with nothing to scan: no printable string of 8
    /// characters or more, or an archive left closed (`--archive-depth 0`).
    /// Binary content with strings is scanned, not skipped.
    Binary,
    /// A symlink, and `--follow` was not given.
    Symlink,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// Not a regular file (FIFO, socket, device): never opened.
    NotRegularFile,
    /// A git submodule (a commit entry): not descended.
    Submodule,
    /// A Git LFS pointer: the content lives on the LFS server, not in git.
    LfsPointer,
    /// A ref that points at a tree or blob, not a commit: not walked.
    NonCommitRef,
    /// An archive member (or the archive itself) not opened: a limit was
    /// reached (depth, entries, member or total size, compression ratio), it
    /// is encrypted, or the archive is corrupt.
    Archive {
        /// Which limit, or what was wrong.
        note: String,
    },
    /// Could not be read.
    Unreadable {
        /// The operating system's message.
        error: String,
    },
}

impl SkipReason {
    /// Short label used in summaries.
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::TooLarge { .. } => "too large",
            SkipReason::Binary => "binary",
            SkipReason::Symlink => "symlink",
            SkipReason::BrokenSymlink => "broken symlink",
            SkipReason::NotRegularFile => "not a regular file",
            SkipReason::Submodule => "submodule, not descended",
            SkipReason::LfsPointer => "git lfs pointer",
            SkipReason::NonCommitRef => "ref to a non-commit",
            SkipReason::Archive { .. } => "archive member not opened",
            SkipReason::Unreadable { .. } => "unreadable",
        }
    }

    /// True when content that could hold a secret went unread or was read
    /// only in part (what `--fail-on-skipped` fails on); false for paths
    /// that are not content (symlinks, special files).
    pub fn is_content(&self) -> bool {
        !matches!(
            self,
            SkipReason::Symlink | SkipReason::BrokenSymlink | SkipReason::NotRegularFile
        )
    }

    /// True for skips the user should hear about as warnings.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            SkipReason::BrokenSymlink | SkipReason::Unreadable { .. }
        )
    }
}

/// One file passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path as shown to the user.
    pub path: String,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A git object that could not be read: the scan went on without it, and
/// its report says it is incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The object's id.
    pub object: String,
    /// Paths (or commits) that referenced it, as far as the walk knows.
    pub paths: Vec<String>,
    /// What went wrong.
    pub error: String,
}

/// What the scan could not see; anything here makes the run exit 2 after
/// its report is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The repository is a shallow clone: history before its boundary
    /// commits is not there to scan.
    pub shallow: bool,
    /// Commits at the shallow boundary (their parents are missing).
    pub shallow_boundary: Vec<String>,
    /// Git objects that could not be read.
    pub incomplete: Vec<Unreadable>,
    /// Untracked paths ignore rules skipped (a directory counts once).
    pub ignored: Vec<String>,
    /// Commits the history walk visited (`None` for tree and index scans).
    pub commits: Option<u64>,
}

/// What a scan saw, besides its findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Files (blobs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned (before decoding).
    pub bytes_scanned: u64,
    /// Files passed over, with the reason.
    pub skipped: Vec<Skipped>,
    /// Findings suppressed by an inline `keysweep:allow`.
    pub suppressed_inline: u64,
    /// Encoded spans (or windows of a long one) left undecoded: nested
    /// deeper than the decoder goes, or cut where their encoding cannot be.
    /// Their plain text was scanned; what they encode was not.
    pub not_decoded: u64,
    /// Findings suppressed by the baseline, allowlists and ignore file, by filter.
    pub suppressed: std::collections::BTreeMap<String, u64>,
    /// Rules in effect.
    pub rules: usize,
    /// What the scan could not see (shallow history, unreadable objects,
    /// ignored paths).
    pub coverage: Coverage,
    /// Findings below `--confidence` (not reported; `--confidence low`
    /// shows them).
    pub hidden_low_confidence: u64,
    /// Findings not kept because their file already had
    /// `--max-findings-per-file` of their rule.
    pub capped: Capped,
    /// Wall time of the scan.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Summary {
    /// Count of findings per severity, most severe first.
    pub fn by_severity(findings: &[Finding]) -> Vec<(Severity, usize)> {
        Severity::ALL_DESC
            .iter()
            .map(|&s| (s, findings.iter().filter(|f| f.severity == s).count()))
            .collect()
    }
}

/// How many findings the per-file cap left out, and where.
///
/// Tree and index scans count every occurrence left out; a history counts
/// each (rule, secret, path) once, as its report would have.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capped {
    /// The cap in effect: findings kept per file and rule (0: no cap).
    pub limit: usize,
    /// Findings left out, in all.
    pub findings: u64,
    /// The (file, rule) pairs with the most left out, most first, at most
    /// [`Capped::LISTED`] of them (a report's size stays bounded).
    pub files: Vec<CappedFile>,
    /// The most severe rule any left-out finding had: those findings fail
    /// the run as the kept ones would.
    #[serde(skip)]
    pub severity: Option<Severity>,
}

impl Capped {
    /// How many (file, rule) pairs [`Capped::files`] lists at most.
    pub const LISTED: usize = 100;
}

/// One (file, rule) pair the cap left findings out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CappedFile {
    /// The file, as findings show paths.
    pub path: String,
    /// The rule.
    pub rule_id: String,
    /// Findings left out.
    pub findings: u64,
}

/// A `.env` file that history committed: the first commit that added it,
/// and whether HEAD still tracks it (the `env-file-in-history` lint).
#[derive(Debug, Clone)]
pub struct EnvCommitted {
    /// The path, as reports show it.
    pub path: String,
    /// The commit that first added it.
    pub commit: Arc<CommitInfo>,
    /// Still tracked at HEAD.
    pub tracked: bool,
}
