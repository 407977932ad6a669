//! Git sources: the whole history, or what a commit range adds, through
//! gitoxide alone.
//!
//! History is scanned per unique blob, not per commit diff. `walk` lists
//! the commits (refs, ranges, parents first); `treediff` diffs each commit's
//! tree against its first parent's in parallel (runs of commits, newest
//! first, objects read through `sources::odb`), descending only into
//! subtrees that changed; `fold` records every (blob, commit, path)
//! introduction as a 32-byte record. Every unique blob is then read once, in
//! pack order and in parallel, scanned and dropped: memory holds those
//! records, never contents. [`HistorySource::finish`] folds the per-commit
//! findings into one per (rule, secret, path), with the commit that first
//! introduced it and whether HEAD still has it.
//!
//! Fail closed, but report: an object that cannot be read is recorded (the
//! report lists it as incomplete and the run exits 2), and the rest of
//! history is still scanned.

mod fold;
mod lfs;
mod messages;
mod packorder;
mod range;
mod treediff;
mod walk;

use self::fold::{group_by_path, CommitInfos, Intro, Walked};
use self::lfs::is_lfs_pointer;
use self::messages::{scan_message, scan_tag_messages, COMMIT_MESSAGE};
pub use self::range::CommitRange;
use self::treediff::{changes, Change, MODE_BLOB, MODE_COMMIT, MODE_EXEC};
use super::odb::{ObjectStore, Reader};
use super::repo::Repo;
use super::{Blob, Place, Source, SourceError, SourceStats};
use crate::model::{
    display_path_bytes, is_env_file, CommitInfo, EnvCommitted, Finding, Provenance, SkipReason,
};
use gix_hash::ObjectId;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Commits a worker diffs in one go.
const COMMIT_RUN: usize = 64;

/// Commits diffed before their results are folded in (bounds memory).
const COMMIT_BATCH: usize = 8192;

/// Blobs a worker reads in one go, in pack order.
const PACK_RUN: usize = 512;

/// Per-worker delta-base cache for the commit walk (trees and commits).
const WALK_CACHE: usize = 4 << 20;

/// Per-worker delta-base cache for blob reads, which come in pack order.
const BLOB_CACHE: usize = 2 << 20;

/// What to do when the history needed is not in the clone.
const FETCH_HINT: &str =
    "fetch the history it needs (git fetch --unshallow, or actions/checkout with fetch-depth: 0)";

/// What part of history to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryMode {
    /// Every commit reachable from `branches` (every ref, HEAD and stash
    /// entries when empty), optionally only commits at or after `since`
    /// (seconds since the epoch); with `all_objects`, also commits and blobs
    /// no ref reaches.
    All {
        /// Branch, tag or other ref names to start from.
        branches: Vec<String>,
        /// Only commits with a commit time at or after this.
        since: Option<i64>,
        /// Also scan unreachable commits and blobs in the object store.
        all_objects: bool,
    },
    /// Only the lines that the commits in a range add.
    Range(CommitRange),
}

/// The history of one repository.
#[derive(Debug)]
pub struct HistorySource {
    repo_path: PathBuf,
    mode: HistoryMode,
    threads: usize,
    archives: super::ArchiveLimits,
    max_file_size: u64,
    progress: bool,
    /// Track the first commit of every `.env` file (the history lint).
    env_files: bool,
    /// Only these repository-relative paths (and what is under them); empty:
    /// every path.
    paths: Vec<Vec<u8>>,
    /// Paths whose change is reported (keysweep's settings files in a range).
    watched: Vec<Vec<u8>>,
    /// Scan commit and tag messages too (not when only some paths are asked for).
    messages: bool,
    state: Mutex<WalkState>,
}

/// What the walk learns that `finish` needs.
#[derive(Debug, Default)]
struct WalkState {
    /// Displayed path -> blob at HEAD.
    head: HashMap<String, ObjectId>,
    /// First commit that added each `.env` path: (path, commit, walk order).
    env_files: Vec<(String, ObjectId, u32)>,
    /// Filled by `finish`.
    env_committed: Vec<EnvCommitted>,
    /// Watched paths a commit changed: (path, commit, walk order).
    watched_changes: Vec<(String, ObjectId, u32)>,
    /// Filled by `finish`.
    settings_changed: Vec<EnvCommitted>,
}

impl HistorySource {
    /// A history source; fails at once when `repo_path` is not a repository
    /// this reader handles.
    pub fn new(
        repo_path: PathBuf,
        mode: HistoryMode,
        threads: usize,
        max_file_size: u64,
        progress: bool,
        env_files: bool,
    ) -> Result<Self, SourceError> {
        let repo = Repo::open(&repo_path)?;
        if repo.repo.object_hash() != gix_hash::Kind::Sha1 {
            return Err(SourceError::Setup(format!(
                "{}: a {} repository; keysweep reads SHA-1 repositories only for now",
                repo_path.display(),
                repo.repo.object_hash()
            )));
        }
        Ok(HistorySource {
            repo_path,
            mode,
            threads,
            archives: super::ArchiveLimits {
                max_member: max_file_size,
                ..Default::default()
            },
            max_file_size,
            progress,
            env_files,
            paths: Vec::new(),
            watched: Vec::new(),
            messages: true,
            state: Mutex::new(WalkState::default()),
        })
    }

    /// Only scan the history of `paths` (relative to the current directory,
    /// as `git log -- PATH` takes them; they need not exist any more).
    pub fn with_paths(mut self, paths: &[PathBuf]) -> Result<Self, SourceError> {
        if paths.is_empty() {
            return Ok(self);
        }
        let repo = Repo::open(&self.repo_path)?;
        let cwd = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .map_err(|e| SourceError::Setup(format!("current directory: {e}")))?;
        let root = match repo.workdir() {
            Some(w) => w
                .canonicalize()
                .map_err(|e| SourceError::Setup(format!("{}: {e}", w.display())))?,
            // A bare repository has no work tree: paths are repository paths.
            None => cwd.clone(),
        };
        for p in paths {
            let abs = normalize(&cwd.join(p));
            let rel = abs.strip_prefix(&root).map_err(|_| {
                SourceError::Setup(format!(
                    "{}: outside the repository {}",
                    p.display(),
                    root.display()
                ))
            })?;
            let parts: Vec<Vec<u8>> = rel
                .components()
                .map(|c| c.as_os_str().as_encoded_bytes().to_vec())
                .collect();
            if parts.is_empty() {
                self.paths.clear(); // the whole repository
                return Ok(self);
            }
            self.paths.push(parts.join(&b'/'));
        }
        // `history -- PATH` asks about those files alone.
        self.messages = self.paths.is_empty();
        Ok(self)
    }

    /// Open archives within `limits` (default: depth 3, members to the file size limit).
    pub fn with_archives(mut self, limits: super::ArchiveLimits) -> Self {
        self.archives = limits;
        self
    }

    /// Report commits that change any of `paths` (repository-relative).
    pub fn with_watched(mut self, paths: Vec<String>) -> Self {
        self.watched = paths.into_iter().map(String::into_bytes).collect();
        self
    }

    /// True when `path` is one of the paths asked for, or under one.
    fn wanted(&self, path: &[u8]) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                path.strip_prefix(p.as_slice())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
            })
    }

    /// The commits to diff, parents first, whether only added lines count,
    /// the `--since` bound, and the annotated tags whose messages are scanned.
    fn commits(&self, repo: &Repo, stats: &SourceStats) -> Result<Commits, SourceError> {
        let (tips, hide, since, range, tags) = match &self.mode {
            HistoryMode::Range(spec) => {
                let (tips, hide) = walk::range_ends(repo, spec)?;
                let tags = walk::annotated_tags(&repo.repo, spec.tips.iter().map(String::as_str));
                (tips, hide, None, true, tags)
            }
            HistoryMode::All {
                branches,
                since,
                all_objects,
            } => {
                let (mut tips, tags) = walk::roots(repo, branches, stats)?;
                if *all_objects {
                    tips.extend(walk::all_objects(repo)?.0);
                }
                (tips, Vec::new(), *since, false, tags)
            }
        };
        let commits = walk::commits(repo, tips, hide)?;
        if is_shallow(repo)? {
            let boundary = walk::shallow_boundary(repo);
            if let HistoryMode::Range(spec) = &self.mode {
                // A range that reaches the boundary goes on into history
                // this clone does not have: its scan would be partial.
                if let Some(c) = commits.iter().find(|c| boundary.contains(*c)) {
                    return Err(SourceError::Setup(format!(
                        "--range {}: the range reaches the shallow clone's boundary at commit {c}, so part of it is missing; {FETCH_HINT}",
                        spec.label
                    )));
                }
            }
            let mut ids: Vec<String> = boundary.iter().map(ObjectId::to_string).collect();
            ids.sort();
            stats.shallow(ids);
        }
        Ok((commits, range, since, tags))
    }

    /// Walk commits (scanning their messages as they are read, and the
    /// messages of annotated tags); return every unique blob with the places
    /// it was introduced, in pack order.
    fn walk(
        &self,
        repo: &Repo,
        store: &ObjectStore,
        pool: &rayon::ThreadPool,
        stats: &SourceStats,
        progress: &super::progress::Progress,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(Walked, WalkState), SourceError> {
        let (commits, range, since, tags) = self.commits(repo, stats)?;
        if self.messages {
            scan_tag_messages(repo, &tags, &commits, stats, visit);
        }
        stats.commits(commits.len() as u64);
        progress.diffing(commits.len() as u64);
        let mut state = WalkState {
            head: walk::head_files(repo)?,
            ..WalkState::default()
        };
        let shallow = is_shallow(repo)?;
        let max = self.max_file_size;
        let readers: Vec<Mutex<Reader>> = (0..pool.current_num_threads().max(1))
            .map(|_| Mutex::new(store.reader(WALK_CACHE)))
            .collect();
        let mut walked = Walked::default();
        let mut submodules: HashSet<Vec<u8>> = HashSet::new();
        let mut env_first: HashMap<u32, u32> = HashMap::new();
        // Batches bound what the diff results hold at once. Batches go newest
        // first, and so do the contiguous runs each worker diffs: packs store
        // the newest version of a tree whole and older ones as deltas of it,
        // so reading newest first resolves each tree from the one just cached
        // (oldest first re-applies the whole delta chain per read: twice the
        // time).
        let batches: Vec<usize> = (0..commits.len()).step_by(COMMIT_BATCH).collect();
        for &start in batches.iter().rev() {
            let end = commits.len().min(start + COMMIT_BATCH);
            type Diffed = Result<Option<(u32, Vec<Change>)>, (ObjectId, SourceError)>;
            let diffed: Vec<Diffed> = pool.install(|| {
                commits[start..end]
                    .par_iter()
                    .enumerate()
                    .rev()
                    .with_min_len(COMMIT_RUN)
                    .map(|(i, id)| {
                        let slot = rayon::current_thread_index().unwrap_or(0) % readers.len();
                        let mut reader = readers[slot].lock().unwrap_or_else(|e| e.into_inner());
                        let diffed = reader.commit(id, self.messages).and_then(|meta| {
                            if since.is_some_and(|s| meta.commit_time < s) {
                                return Ok(None);
                            }
                            if let Some(message) = &meta.message {
                                let order = (start + i) as u32;
                                scan_message(message, id, order, COMMIT_MESSAGE, visit);
                            }
                            let changed = changes(&mut reader, &meta, range, shallow, max)?;
                            Ok(Some(((start + i) as u32, changed)))
                        });
                        progress.commit_done();
                        diffed.map_err(|e| (*id, e))
                    })
                    .collect()
            });
            for result in diffed {
                let (order, changed) = match result {
                    Ok(Some(diffed)) => diffed,
                    Ok(None) => continue,
                    // An object the commit needs is missing or corrupt: go
                    // on without what it would have shown, and say so.
                    Err((commit, SourceError::Object { id, at, error })) => {
                        let place = if at.is_empty() {
                            format!("commit {commit}")
                        } else {
                            format!("{at} (commit {commit})")
                        };
                        stats.unreadable(id, vec![place], error);
                        continue;
                    }
                    Err((_, e)) => return Err(e),
                };
                for change in changed {
                    if self.watched.contains(&change.path)
                        && !state
                            .watched_changes
                            .iter()
                            .any(|(p, ..)| p.as_bytes() == change.path.as_slice())
                    {
                        state.watched_changes.push((
                            display_path_bytes(&change.path),
                            commits[order as usize],
                            order,
                        ));
                    }
                    if !self.wanted(&change.path) {
                        continue;
                    }
                    match change.mode {
                        MODE_COMMIT => {
                            if submodules.insert(change.path.clone()) {
                                stats.skip(display_path_bytes(&change.path), SkipReason::Submodule);
                            }
                            continue;
                        }
                        MODE_BLOB | MODE_EXEC => {}
                        _ => {
                            stats.skip(display_path_bytes(&change.path), SkipReason::Symlink);
                            continue;
                        }
                    }
                    let path = walked.paths.intern(&change.path);
                    if self.env_files && !range {
                        let name = change
                            .path
                            .rsplit(|&b| b == b'/')
                            .next()
                            .unwrap_or(&change.path);
                        if is_env_file(&String::from_utf8_lossy(name)) {
                            let first = env_first.entry(path).or_insert(order);
                            *first = (*first).min(order);
                        }
                    }
                    // In a range every line of a new (or undiffable) file is
                    // one the range adds: said explicitly, so an inline allow
                    // on it is known to come from the range.
                    let added_lines = match (range, change.added_lines) {
                        (true, None) => walked.every_line_added(),
                        (_, lines) => walked.added_lines(lines),
                    };
                    walked.intros.push(Intro {
                        blob: fold::blob_bytes(&change.blob),
                        commit: order,
                        path,
                        added_lines,
                    });
                }
            }
        }
        drop(readers);
        let mut env_files: Vec<(u32, u32)> = env_first.into_iter().collect();
        env_files.sort_by_key(|&(path, order)| (order, path));
        for (path, order) in env_files {
            let path = display_path_bytes(walked.paths.get(path));
            state.env_files.push((path, commits[order as usize], order));
        }
        if let HistoryMode::All {
            all_objects: true, ..
        } = self.mode
        {
            walked.add_unreachable(walk::all_objects(repo)?.1);
        }
        walked.group(&repo.common_dir.join("objects"));
        walked.commits = commits;
        release_free_memory();
        Ok((walked, state))
    }
}

/// What [`HistorySource::commits`] finds: the commits parents first, whether
/// only added lines count, the `--since` bound, the annotated tags.
type Commits = (Vec<ObjectId>, bool, Option<i64>, Vec<ObjectId>);

/// Whether the repository is a shallow clone.
fn is_shallow(repo: &Repo) -> Result<bool, SourceError> {
    repo.repo.is_shallow().map_err(|e| {
        SourceError::Git(format!(
            "shallow file: {}",
            super::repo::one_line(&e.to_string())
        ))
    })
}

/// `.` and `..` resolved lexically (the path may no longer exist).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Hand memory the walk freed back to the system: its per-commit change
/// lists were allocated across worker threads' malloc arenas, which glibc
/// keeps (and counts as resident) until trimmed.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl Source for HistorySource {
    fn archive_limits(&self) -> super::ArchiveLimits {
        self.archives
    }

    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| {
                SourceError::Setup(format!("cannot start {} worker threads: {e}", self.threads))
            })?;
        let repo = Repo::open(&self.repo_path)?;
        let store = ObjectStore::open(&repo.common_dir)?;
        let progress = super::progress::Progress::new(self.progress);
        let (walked, state) = self.walk(&repo, &store, &pool, stats, &progress, visit)?;
        drop(repo);
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        progress.scanning(walked.blobs.len() as u64);
        let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
        pool.install(|| {
            // Contiguous chunks keep each worker reading a run of the pack.
            walked.blobs.par_chunks(PACK_RUN).for_each_init(
                || (store.reader(BLOB_CACHE), Vec::new()),
                |(reader, buf), run| {
                    for (oid, range) in run {
                        let places = walked.places(oid, range.clone());
                        let result =
                            read_blob(reader, buf, oid, &places, self.max_file_size, stats, visit);
                        match result {
                            Ok(()) => {}
                            Err(SourceError::Object { error, .. }) => stats.unreadable(
                                oid.to_string(),
                                places.iter().map(|p| p.path.clone()).collect(),
                                error,
                            ),
                            Err(e) => errors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(format!("blob {oid}: {e}")),
                        }
                        progress.blob_done(buf.len() as u64);
                    }
                },
            )
        });
        progress.finish();
        fail_closed(errors.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    fn finish(&self, findings: Vec<Finding>) -> Result<Vec<Finding>, SourceError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = group_by_path(findings, &state.head);
        let repo = Repo::open(&self.repo_path)?;
        let mut infos = CommitInfos::new(&repo.repo);
        for f in &mut out {
            if let Provenance::Commit(g) = &mut f.provenance {
                g.commit = infos.get(&g.commit.commit, g.commit.order)?;
            }
        }
        let mut committed = Vec::new();
        for (path, id, order) in &state.env_files {
            let commit: Arc<CommitInfo> = infos.get(&id.to_string(), *order)?;
            committed.push(EnvCommitted {
                path: path.clone(),
                commit,
                tracked: state.head.contains_key(path),
            });
        }
        state.env_committed = committed;
        let mut changed = Vec::new();
        for (path, id, order) in &state.watched_changes {
            changed.push(EnvCommitted {
                path: path.clone(),
                commit: infos.get(&id.to_string(), *order)?,
                tracked: state.head.contains_key(path),
            });
        }
        state.settings_changed = changed;
        Ok(out)
    }

    fn settings_changed(&self) -> Vec<EnvCommitted> {
        std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .settings_changed,
        )
    }

    fn env_files_committed(&self) -> Vec<EnvCommitted> {
        std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .env_committed,
        )
    }
}

/// Turn collected errors into the scan's result.
pub(crate) fn fail_closed(errors: Vec<String>) -> Result<(), SourceError> {
    match errors.first() {
        None => Ok(()),
        Some(first) => Err(SourceError::Git(format!(
            "{} git object(s) could not be read, the scan is incomplete; first: {first}",
            errors.len()
        ))),
    }
}

/// Read one history blob into `buf` (reused across blobs), skip what is not
/// text, and hand it to the visitor. The size is checked before the blob is
/// inflated.
fn read_blob(
    reader: &mut Reader,
    buf: &mut Vec<u8>,
    oid: &ObjectId,
    places: &[Place],
    max: u64,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> Result<(), SourceError> {
    let size = reader.size(oid)?;
    if size > max {
        stats.skip(label(oid, places), SkipReason::TooLarge { size });
        return Ok(());
    }
    let kind = reader.read_into(oid, buf)?;
    if kind != gix_object::Kind::Blob {
        return Err(SourceError::object(
            oid,
            format!("is a {kind}, expected a blob"),
        ));
    }
    visit_raw(buf, oid, places, stats, visit);
    Ok(())
}

/// How a skipped blob is named: its first path, or its id.
fn label(oid: &dyn std::fmt::Display, places: &[Place]) -> String {
    places
        .first()
        .map_or_else(|| oid.to_string(), |p| p.path.clone())
}

/// Skip LFS pointers and binary content; decode text and visit it.
pub(crate) fn visit_raw(
    raw: &[u8],
    oid: &dyn std::fmt::Display,
    places: &[Place],
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    if is_lfs_pointer(raw) {
        stats.skip(label(oid, places), SkipReason::LfsPointer);
        return;
    }
    super::visit_content(raw, places, &|| oid.to_string(), stats, visit);
}
