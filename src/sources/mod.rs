//! Sources: where blobs come from.
//!
//! A [`Source`] turns what the user asked to scan (a working tree today; git
//! history, the index and commit ranges build on the same trait) into
//! [`Blob`]s with provenance, handed to a visitor that may run on many threads
//! at once. Sources never decide what is a secret; they only read, decode and
//! account: every file they pass over is recorded in [`SourceStats`] with the
//! reason, so a scan never skips anything silently.

mod decode;
pub mod tree;

pub use decode::{decode, Decoded};
pub use tree::TreeSource;

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Content to scan, with where it came from.
#[derive(Debug)]
pub struct Blob<'a> {
    /// Path as shown to the user.
    pub path: &'a str,
    /// Decoded content (UTF-16 already converted to UTF-8).
    pub data: &'a [u8],
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
    /// Looks binary (a NUL byte near the start).
    Binary,
    /// A symlink, and `--follow` was not given.
    Symlink,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// Not a regular file (FIFO, socket, device): never opened.
    NotRegularFile,
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
            SkipReason::Unreadable { .. } => "unreadable",
        }
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

/// Counters a source fills while it runs (shared across worker threads).
#[derive(Debug, Default)]
pub struct SourceStats {
    files: AtomicU64,
    bytes: AtomicU64,
    skipped: Mutex<Vec<Skipped>>,
}

impl SourceStats {
    /// Count one scanned blob of `bytes` bytes.
    pub fn scanned(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Record a skipped file.
    pub fn skip(&self, path: String, reason: SkipReason) {
        self.skipped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Skipped { path, reason });
    }

    /// Files scanned so far.
    pub fn files(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }

    /// Bytes scanned so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Take the skipped list, sorted by path.
    pub fn take_skipped(&self) -> Vec<Skipped> {
        let mut v = std::mem::take(&mut *self.skipped.lock().unwrap_or_else(|e| e.into_inner()));
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }
}

/// A fatal problem with what the user asked to scan.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A path given on the command line does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(String),
    /// Setting up the walk failed.
    #[error("{0}")]
    Setup(String),
}

/// Something that yields blobs to scan.
pub trait Source {
    /// Call `visit` with every blob (possibly from several threads at once),
    /// recording scanned and skipped files in `stats`.
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError>;
}
