//! Sources: where blobs come from.
//!
//! A [`Source`] turns what the user asked to scan (a working tree, git
//! history or a commit range, the index) into [`Blob`]s with provenance
//! ([`Place`]s), handed to a visitor that may run on many threads
//! at once. Sources never decide what is a secret; they only read, decode and
//! account: every file they pass over is recorded in [`SourceStats`] with the
//! reason, so a scan never skips anything silently.

mod archive;
mod decode;
pub mod git;
mod index;
mod linediff;
mod odb;
mod progress;
mod repo;
mod roots;
pub mod staged;
mod strings;
pub mod tree;

pub use archive::ArchiveLimits;
pub use decode::{decode, Decoded};
pub use git::{CommitRange, HistoryMode, HistorySource};
pub use repo::{file_at, fingerprint_key, hooks_dir, remote_default_branch};
pub use roots::{work_tree, Roots};
pub use strings::ENCODING as STRINGS_ENCODING;

/// Read a git index file (split and sparse indexes included).
pub fn read_index(path: &std::path::Path) -> Result<gix::index::File, SourceError> {
    index::read(path)
}
pub use staged::StagedSource;
pub use tree::TreeSource;

use crate::model::{Coverage, EnvCommitted, Finding, Provenance, SkipReason, Skipped, Unreadable};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Content to scan, with every place it was seen. Scanned once, reported
/// per place (a history blob may live at several paths and commits).
#[derive(Debug)]
pub struct Blob<'a> {
    /// Decoded content (UTF-16 already converted to UTF-8), or the
    /// strings view of binary content.
    pub data: &'a [u8],
    /// Where this content was seen.
    pub places: &'a [Place],
    /// `data` is the printable strings of binary content, one per line
    /// (see [`STRINGS_ENCODING`]): its line numbers count strings, not
    /// lines of the file.
    pub strings: bool,
}

/// One place a blob was seen.
#[derive(Debug, Clone)]
pub struct Place {
    /// Path as shown to the user.
    pub path: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// Only findings on these lines count (what a commit or the index
    /// added); `None`: every line.
    pub added_lines: Option<Arc<LineSet>>,
    /// Inside an archive or compressed file: that file's path (the
    /// outermost one); `path` is then `archive!member`.
    pub archive: Option<Arc<str>>,
}

impl Place {
    /// A working-tree file.
    pub fn file(path: String) -> Self {
        Place {
            path,
            provenance: Provenance::File,
            added_lines: None,
            archive: None,
        }
    }
}

/// A set of 1-based line numbers, as sorted, disjoint inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineSet(Vec<(usize, usize)>);

impl LineSet {
    /// Build from line numbers in any order.
    pub fn from_lines(mut lines: Vec<usize>) -> Self {
        lines.sort_unstable();
        lines.dedup();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for l in lines {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == l => *end = l,
                _ => ranges.push((l, l)),
            }
        }
        LineSet(ranges)
    }

    /// Every line.
    pub fn every_line() -> Self {
        LineSet(vec![(1, usize::MAX)])
    }

    /// Build from sorted, disjoint, non-adjacent inclusive ranges.
    pub(crate) fn from_ranges(ranges: Vec<(usize, usize)>) -> Self {
        debug_assert!(ranges.windows(2).all(|w| w[0].1 + 1 < w[1].0));
        LineSet(ranges)
    }

    /// True when any line in `first..=last` is in the set.
    pub fn intersects(&self, first: usize, last: usize) -> bool {
        let i = self.0.partition_point(|&(_, end)| end < first);
        self.0.get(i).is_some_and(|&(start, _)| start <= last)
    }

    /// Lines in both sets.
    pub fn intersection(&self, other: &LineSet) -> LineSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a0, a1) = self.0[i];
            let (b0, b1) = other.0[j];
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo <= hi {
                out.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        LineSet(out)
    }

    /// True when the set holds no line.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Counters a source fills while it runs (shared across worker threads).
#[derive(Debug, Default)]
pub struct SourceStats {
    files: AtomicU64,
    bytes: AtomicU64,
    skipped: Mutex<Vec<Skipped>>,
    coverage: Mutex<Coverage>,
    containers: Mutex<Vec<KeyContainer>>,
    archives: ArchiveLimits,
}

/// A binary file that is itself a key store (found by name; its content is
/// never parsed): reported as one finding per file.
#[derive(Debug, Clone)]
pub struct KeyContainer {
    /// Its rule (`pkcs12-file`, `java-keystore-file`, ...).
    pub rule: &'static str,
    /// Path as shown to the user.
    pub path: String,
    /// Where it was seen.
    pub provenance: Provenance,
    /// Its size in bytes.
    pub size: u64,
    /// The archive it was found in, if any.
    pub archive: Option<Arc<str>>,
}

impl SourceStats {
    /// Counters for a scan that opens archives within `archives`.
    pub fn new(archives: ArchiveLimits) -> Self {
        SourceStats {
            archives,
            ..SourceStats::default()
        }
    }

    /// How far archives are opened.
    pub fn archive_limits(&self) -> ArchiveLimits {
        self.archives
    }

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

    /// Record an object that could not be read (the scan goes on).
    pub fn unreadable(&self, object: String, paths: Vec<String>, error: String) {
        self.coverage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .incomplete
            .push(Unreadable {
                object,
                paths,
                error,
            });
    }

    /// Record that history is shallow, with its boundary commits.
    pub fn shallow(&self, boundary: Vec<String>) {
        let mut c = self.coverage.lock().unwrap_or_else(|e| e.into_inner());
        c.shallow = true;
        c.shallow_boundary = boundary;
    }

    /// Binary content that is not an opened archive, seen at `places`
    /// (named `unnamed()` when it has none): when its name says it is a key
    /// store, kept for a finding of its own (its content is not parsed); an
    /// archive left closed (`--archive-depth 0`) is counted as skipped;
    /// otherwise its printable strings are visited, and content without any
    /// is counted as skipped.
    pub(crate) fn binary(
        &self,
        raw: &[u8],
        places: &[Place],
        unnamed: &dyn Fn() -> String,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) {
        let size = raw.len() as u64;
        if let Some((place, rule)) = places
            .first()
            .and_then(|p| Some((p, crate::model::key_container_rule(&p.path)?)))
        {
            self.containers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(KeyContainer {
                    rule,
                    path: place.path.clone(),
                    provenance: place.provenance.clone(),
                    size,
                    archive: place.archive.clone(),
                });
            return;
        }
        let name = || places.first().map_or_else(unnamed, |p| p.path.clone());
        if archive::is_archive(raw) {
            self.skip(name(), SkipReason::Binary);
            return;
        }
        let view = strings::strings(raw);
        if view.is_empty() {
            self.skip(name(), SkipReason::Binary);
            return;
        }
        self.scanned(size);
        visit(&Blob {
            data: &view,
            places,
            strings: true,
        });
    }

    /// Take the key containers seen, by rule and path (a history's versions
    /// of one are folded by the source's `finish`, like other findings).
    pub fn take_containers(&self) -> Vec<KeyContainer> {
        let mut v = std::mem::take(&mut *self.containers.lock().unwrap_or_else(|e| e.into_inner()));
        v.sort_by(|a, b| (a.rule, &a.path).cmp(&(b.rule, &b.path)));
        v
    }

    /// The skipped files so far (for tests).
    #[cfg(test)]
    pub(crate) fn skipped_for_tests(&self) -> Vec<Skipped> {
        self.skipped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Record how many commits the history walk visited.
    pub fn commits(&self, n: u64) {
        let mut c = self.coverage.lock().unwrap_or_else(|e| e.into_inner());
        *c.commits.get_or_insert(0) += n;
    }

    /// Record untracked paths that ignore rules skipped.
    pub fn ignored(&self, mut paths: Vec<String>) {
        self.coverage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .ignored
            .append(&mut paths);
    }

    /// Take what the scan could not see, sorted.
    pub fn take_coverage(&self) -> Coverage {
        let mut c = std::mem::take(&mut *self.coverage.lock().unwrap_or_else(|e| e.into_inner()));
        c.incomplete.sort_by(|a, b| a.object.cmp(&b.object));
        c.incomplete.dedup_by(|a, b| {
            if a.object == b.object {
                b.paths.append(&mut a.paths);
                true
            } else {
                false
            }
        });
        for u in &mut c.incomplete {
            u.paths.sort();
            u.paths.dedup();
        }
        c.ignored.sort();
        c.ignored.dedup();
        c
    }

    /// Files scanned so far.
    pub fn files(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }

    /// Bytes scanned so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Take the skipped list, sorted by path, each path and reason once.
    pub fn take_skipped(&self) -> Vec<Skipped> {
        let mut v = std::mem::take(&mut *self.skipped.lock().unwrap_or_else(|e| e.into_inner()));
        v.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then_with(|| a.reason.label().cmp(b.reason.label()))
        });
        v.dedup();
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
    /// Git could not be read: the scan is incomplete, so it fails (closed).
    #[error("{0}")]
    Git(String),
    /// One git object could not be read (missing or corrupt). History scans
    /// go on without it and list it in the report as incomplete.
    #[error("object {id}{}: {error}", if at.is_empty() { String::new() } else { format!(" at '{at}'") })]
    Object {
        /// The object's id.
        id: String,
        /// The path that referenced it, when known.
        at: String,
        /// What went wrong.
        error: String,
    },
}

impl SourceError {
    /// An error about object `id`.
    pub(crate) fn object(id: &dyn std::fmt::Display, error: impl Into<String>) -> Self {
        SourceError::Object {
            id: id.to_string(),
            at: String::new(),
            error: error.into(),
        }
    }

    /// Name the path that referenced the object, if none is named yet.
    pub(crate) fn at(self, path: &str) -> Self {
        match self {
            SourceError::Object { id, at, error } if at.is_empty() => SourceError::Object {
                id,
                at: path.to_string(),
                error,
            },
            other => other,
        }
    }
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

    /// How far this source opens archives (default: [`ArchiveLimits::default`]).
    fn archive_limits(&self) -> ArchiveLimits {
        ArchiveLimits::default()
    }

    /// Turn the per-place findings into the reported ones (history groups
    /// them by rule, secret and path and fills in provenance). Default: as is.
    fn finish(&self, findings: Vec<Finding>) -> Result<Vec<Finding>, SourceError> {
        Ok(findings)
    }

    /// After `finish`: the `.env` files history committed (first commit
    /// each), for the `env-file-in-history` lint. Default: none.
    fn env_files_committed(&self) -> Vec<EnvCommitted> {
        Vec::new()
    }

    /// After `finish`: keysweep's own settings files a range changed (first
    /// commit each), reported so a reviewer sees them. Default: none.
    fn settings_changed(&self) -> Vec<EnvCommitted> {
        Vec::new()
    }
}

/// Visit raw content seen at `places`: text is decoded and visited; binary
/// content is opened when it is an archive or compressed file, and
/// otherwise handled by [`SourceStats::binary`] (named `unnamed()` when it
/// has no place).
pub(crate) fn visit_content(
    raw: &[u8],
    places: &[Place],
    unnamed: &dyn Fn() -> String,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    match decode(raw) {
        Decoded::Text(text) => {
            stats.scanned(raw.len() as u64);
            visit(&Blob {
                data: &text,
                places,
                strings: false,
            });
        }
        Decoded::Binary => {
            if !archive::open(raw, places, stats, visit) {
                stats.binary(raw, places, unnamed, visit);
            }
        }
    }
}

/// Run git in `dir` for a unit test, isolated from the user's config and
/// from the environment of a hook that runs the tests; its stdout.
#[cfg(test)]
pub(crate) fn test_git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(test)]
mod tests {
    use super::LineSet;

    #[test]
    fn line_sets() {
        let a = LineSet::from_lines(vec![5, 1, 2, 3, 9]);
        assert!(a.intersects(3, 4));
        assert!(a.intersects(9, 9));
        assert!(!a.intersects(4, 4));
        assert!(!a.intersects(6, 8));
        let b = LineSet::from_lines(vec![2, 9, 10]);
        assert_eq!(a.intersection(&b), LineSet::from_lines(vec![2, 9]));
        assert!(LineSet::default().is_empty());
    }
}
