//! Git sources: the whole history, or what a commit range adds.
//!
//! History is scanned per unique blob, not per commit diff. libgit2 lists the
//! commits (refs, ranges, topological order); the walk then diffs each
//! commit's tree against its first parent's in parallel (runs of commits,
//! newest first, objects read through `sources::odb`), descending only into
//! subtrees that changed, and records every (blob, commit, path)
//! introduction as a 32-byte `Intro`. Every unique blob is then read once,
//! in pack order and in parallel, scanned and dropped: memory holds those
//! records, never contents. [`HistorySource::finish`] folds the per-commit
//! findings into one per (rule, secret, path), with the commit that first
//! introduced it (its author, date and message read then, for reported
//! commits only) and whether HEAD still has it.
//!
//! Fail closed: an object that cannot be read makes the scan an error, so a
//! history scan never passes when it could not read history.

use super::odb::{self, CommitMeta, ObjectStore, Reader};
use super::{decode, Blob, Decoded, LineSet, Place, SkipReason, Source, SourceError, SourceStats};
use super::{linediff, packorder};
use crate::findings::{fingerprint, CommitInfo, Finding, GitProvenance, Provenance, Severity};
use crate::lint::{is_env_file, ENV_FILE_IN_HISTORY};
use git2::{FileMode, ObjectType, Oid, Repository, RepositoryOpenFlags, Sort};
use gix_hash::{oid, ObjectId};
use gix_object::tree::{name_order, EntryRef};
use gix_object::TreeRefIter;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Memory libgit2 may keep for cached objects (its default: 256 MiB). History
/// reads objects through `odb`; libgit2 only walks refs and commits, which it
/// reads once each, and the index.
const OBJECT_CACHE_BYTES: usize = 4 << 20;

/// Commits a worker diffs in one go.
const COMMIT_RUN: usize = 64;

/// Commits diffed before their results are folded in (bounds the memory
/// the per-commit change lists take).
const COMMIT_BATCH: usize = 8192;

/// Blobs a worker reads in one go, in pack order.
const PACK_RUN: usize = 512;

/// Per-worker delta-base cache for the commit walk (trees and commits).
const WALK_CACHE: usize = 4 << 20;

/// Per-worker delta-base cache for blob reads, which come in pack order.
const BLOB_CACHE: usize = 2 << 20;

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

/// A set of commits: those reachable from `tips` and from none of `hide`
/// (nor, with `hide_remote`, from any remote-tracking ref).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRange {
    /// How the user wrote it, for messages.
    pub label: String,
    /// Revisions to start from.
    pub tips: Vec<String>,
    /// Revisions whose history is left out.
    pub hide: Vec<String>,
    /// Leave out what `refs/remotes/<name>/*` reaches (every remote's refs
    /// when the name is empty): a new branch's pushed commits.
    pub hide_remote: Option<String>,
}

impl CommitRange {
    /// `A..B` (an empty side means HEAD).
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec.contains("...") {
            return Err(format!(
                "`{spec}`: symmetric ranges (A...B) are not supported; use A..B"
            ));
        }
        let Some((a, b)) = spec.split_once("..") else {
            return Err(format!("`{spec}` is not a range (use A..B)"));
        };
        let side = |s: &str| {
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        Ok(CommitRange {
            label: spec.to_string(),
            tips: vec![side(b)],
            hide: vec![side(a)],
            hide_remote: None,
        })
    }
}

impl CommitRange {
    /// The commits a push sends, from the lines git gives a pre-push hook
    /// on standard input (`<local ref> <local id> <remote ref> <remote id>`):
    /// everything the local ids reach that the remote does not have (its
    /// current ids, or for a new branch, anything `refs/remotes/<remote>/`
    /// reaches). Branch deletions send nothing. `None`: nothing to scan.
    pub fn for_push(
        repo_path: &Path,
        remote: Option<&str>,
        input: &str,
    ) -> Result<Option<Self>, SourceError> {
        let repo = open_repo(repo_path)?;
        let mut range = CommitRange {
            label: "the pushed commits".to_string(),
            tips: Vec::new(),
            hide: Vec::new(),
            hide_remote: None,
        };
        for (n, line) in input.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.rsplitn(4, ' ').collect();
            let [remote_id, _remote_ref, local_id, _local_ref] = fields[..] else {
                return Err(SourceError::Setup(format!(
                    "standard input line {}: expected `<local ref> <local id> <remote ref> <remote id>` (as git passes it to a pre-push hook)",
                    n + 1
                )));
            };
            let id = |text: &str| {
                Oid::from_str(text).map_err(|_| {
                    SourceError::Setup(format!(
                        "standard input line {}: `{}` is not a commit id",
                        n + 1,
                        text.chars().take(64).collect::<String>()
                    ))
                })
            };
            let (local, theirs) = (id(local_id)?, id(remote_id)?);
            if local.is_zero() {
                continue; // deleting a branch sends nothing
            }
            range.tips.push(local.to_string());
            if !theirs.is_zero() && repo.find_commit(theirs).is_ok() {
                range.hide.push(theirs.to_string());
            } else {
                // A new branch, or a remote tip this clone does not have.
                range.hide_remote = Some(remote.unwrap_or_default().to_string());
            }
        }
        Ok((!range.tips.is_empty()).then_some(range))
    }
}

/// What to do when the history needed is not in the clone.
const FETCH_HINT: &str =
    "fetch the history it needs (git fetch --unshallow, or actions/checkout with fetch-depth: 0)";

/// The history of one repository.
#[derive(Debug)]
pub struct HistorySource {
    repo_path: PathBuf,
    mode: HistoryMode,
    threads: usize,
    max_file_size: u64,
    progress: bool,
    env_lint: Option<Severity>,
    /// Only these repository-relative paths (and what is under them); empty:
    /// every path.
    paths: Vec<String>,
    state: Mutex<WalkState>,
}

/// What the walk learns that `finish` needs.
#[derive(Debug, Default)]
struct WalkState {
    /// Path -> blob at HEAD.
    head: HashMap<String, Oid>,
    /// First commit that added each `.env` path: (path, commit, walk order).
    env_files: Vec<(String, Oid, u32)>,
}

/// Open the repository at or above `path`; a clear error when there is none.
pub(crate) fn open_repo(path: &Path) -> Result<Repository, SourceError> {
    // Re-hashing every object on read (libgit2's default) costs more than
    // scanning it; git itself does not do it either. Corruption still shows:
    // zlib checks every object it inflates.
    static TUNE: std::sync::Once = std::sync::Once::new();
    TUNE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // The object cache (trees and commits the walk revisits) is global to
        // the process; bound it so memory stays flat however long the history.
        // SAFETY: libgit2 is initialised (by the call above) and this option
        // only stores an integer; it runs once, before any worker starts.
        unsafe {
            libgit2_sys::git_libgit2_opts(
                libgit2_sys::GIT_OPT_SET_CACHE_MAX_SIZE as std::ffi::c_int,
                OBJECT_CACHE_BYTES as isize,
            );
        }
    });
    Repository::open_ext(
        path,
        RepositoryOpenFlags::empty(),
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            SourceError::Setup(format!("{}: not a git repository", path.display()))
        } else {
            SourceError::Git(format!("{}: {}", path.display(), e.message()))
        }
    })
}

impl HistorySource {
    /// A history source; fails at once when `repo_path` is not a repository.
    pub fn new(
        repo_path: PathBuf,
        mode: HistoryMode,
        threads: usize,
        max_file_size: u64,
        progress: bool,
        env_lint: Option<Severity>,
    ) -> Result<Self, SourceError> {
        if !repo_path.exists() {
            return Err(SourceError::NotFound(repo_path.display().to_string()));
        }
        open_repo(&repo_path)?;
        Ok(HistorySource {
            repo_path,
            mode,
            threads,
            max_file_size,
            progress,
            env_lint,
            paths: Vec::new(),
            state: Mutex::new(WalkState::default()),
        })
    }

    /// Only scan the history of `paths` (relative to the current directory,
    /// as `git log -- PATH` takes them; they need not exist any more).
    pub fn with_paths(mut self, paths: &[PathBuf]) -> Result<Self, SourceError> {
        if paths.is_empty() {
            return Ok(self);
        }
        let repo = open_repo(&self.repo_path)?;
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
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if rel.is_empty() {
                self.paths.clear(); // the whole repository
                return Ok(self);
            }
            self.paths.push(rel.join("/"));
        }
        Ok(self)
    }

    /// True when `path` is one of the paths asked for, or under one.
    fn wanted(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                path.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    /// Walk commits; return every unique blob with the places it was
    /// introduced, in pack order.
    fn walk(
        &self,
        repo: &Repository,
        store: &ObjectStore,
        pool: &rayon::ThreadPool,
        stats: &SourceStats,
    ) -> Result<(Walked, WalkState), SourceError> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        let mut state = WalkState {
            head: head_files(repo)?,
            ..WalkState::default()
        };
        let (since, range) = match &self.mode {
            HistoryMode::Range(spec) => {
                push_range(repo, &mut walk, spec)?;
                (None, true)
            }
            HistoryMode::All {
                branches,
                since,
                all_objects,
            } => {
                push_roots(repo, &mut walk, branches, *all_objects, stats)?;
                (*since, false)
            }
        };
        let commits: Vec<Oid> = walk.collect::<Result<_, _>>()?;
        let shallow = repo.is_shallow();
        if shallow {
            let boundary = shallow_boundary(repo);
            if let HistoryMode::Range(spec) = &self.mode {
                // A range that reaches the boundary goes on into history
                // this clone does not have: its scan would be partial.
                if let Some(c) = commits.iter().find(|c| boundary.contains(c)) {
                    return Err(SourceError::Setup(format!(
                        "--range {}: the range reaches the shallow clone's boundary at commit {c}, so part of it is missing; {FETCH_HINT}",
                        spec.label
                    )));
                }
            }
            let mut ids: Vec<String> = boundary.iter().map(Oid::to_string).collect();
            ids.sort();
            stats.shallow(ids);
        }
        let readers: Vec<Mutex<Reader>> = (0..pool.current_num_threads().max(1))
            .map(|_| Mutex::new(store.reader(WALK_CACHE)))
            .collect();
        let mut walked = Walked::default();
        let mut submodules: HashSet<String> = HashSet::new();
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
            let diffed: Vec<Result<Option<Diffed>, (Oid, SourceError)>> = pool.install(|| {
                commits[start..end]
                    .par_iter()
                    .enumerate()
                    .rev()
                    .with_min_len(COMMIT_RUN)
                    .map(|(i, id)| {
                        let slot = rayon::current_thread_index().unwrap_or(0) % readers.len();
                        let mut reader = readers[slot].lock().unwrap_or_else(|e| e.into_inner());
                        let diffed = reader.commit(&odb::to_gix(*id)).and_then(|meta| {
                            if since.is_some_and(|s| meta.commit_time < s) {
                                return Ok(None);
                            }
                            let changed = changes(&mut reader, &meta, range, shallow)?;
                            Ok(Some(((start + i) as u32, changed)))
                        });
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
                    if !self.wanted(&change.path) {
                        continue;
                    }
                    match change.mode {
                        FileMode::Commit => {
                            if submodules.insert(change.path.clone()) {
                                stats.skip(change.path, SkipReason::Submodule);
                            }
                            continue;
                        }
                        FileMode::Blob | FileMode::BlobExecutable => {}
                        _ => continue,
                    }
                    let path = walked.paths.intern(&change.path);
                    if self.env_lint.is_some() && !range {
                        let name = change.path.rsplit('/').next().unwrap_or(&change.path);
                        if is_env_file(name) {
                            let first = env_first.entry(path).or_insert(order);
                            *first = (*first).min(order);
                        }
                    }
                    let added_lines = walked.added_lines(change.added_lines);
                    walked.intros.push(Intro {
                        blob: change.blob,
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
            let path = walked.paths.get(path).to_string();
            state.env_files.push((path, commits[order as usize], order));
        }
        if let HistoryMode::All {
            all_objects: true, ..
        } = self.mode
        {
            walked.add_unreachable(repo)?;
        }
        walked.group(&repo.commondir().join("objects"));
        walked.commits = commits;
        release_free_memory();
        Ok((walked, state))
    }
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

/// Paths, each stored once and named by its number.
#[derive(Debug, Default)]
struct Paths {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Paths {
    fn intern(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(path.into());
        self.ids.insert(path.into(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// One time history introduced a blob at a path: a few words, so memory
/// stays small however long the history (a `Place` is built from it only
/// while its blob is scanned).
#[derive(Debug)]
struct Intro {
    blob: Oid,
    /// Walk order of the commit; [`UNREACHABLE`] for a blob no commit reaches.
    commit: u32,
    path: u32,
    /// Index into `Walked::added` (range mode), or [`EVERY_LINE`].
    added_lines: u32,
}

// Memory per introduction, as README "Benchmarks" says.
const _: () = assert!(std::mem::size_of::<Intro>() == 32);

/// `Intro::added_lines` when every line of the blob counts.
const EVERY_LINE: u32 = u32::MAX;

/// `Intro::commit` of blobs found only in the object store (`--all-objects`).
const UNREACHABLE: u32 = u32::MAX;

/// What the walk found: every introduction, grouped by blob.
#[derive(Debug, Default)]
struct Walked {
    /// Sorted by blob, then commit order.
    intros: Vec<Intro>,
    /// Each unique blob's introductions (a range of `intros`), in pack order.
    blobs: Vec<(Oid, std::ops::Range<usize>)>,
    paths: Paths,
    /// Every walked commit, by walk order.
    commits: Vec<Oid>,
    /// Lines each introduction added (range mode only).
    added: Vec<Arc<LineSet>>,
}

impl Walked {
    /// Store what an introduction added; its index for `Intro::added_lines`.
    fn added_lines(&mut self, lines: Option<LineSet>) -> u32 {
        match lines {
            Some(lines) => {
                self.added.push(Arc::new(lines));
                (self.added.len() - 1) as u32
            }
            None => EVERY_LINE,
        }
    }

    /// Blobs in the object store that no walked commit introduced.
    fn add_unreachable(&mut self, repo: &Repository) -> Result<(), SourceError> {
        let seen: HashSet<Oid> = self.intros.iter().map(|i| i.blob).collect();
        let odb = repo.odb()?;
        let mut all: Vec<Oid> = Vec::new();
        odb.foreach(|oid| {
            all.push(*oid);
            true
        })?;
        for oid in all {
            if seen.contains(&oid) || odb.read_header(oid)?.1 != ObjectType::Blob {
                continue;
            }
            let path = self.paths.intern(&format!("(unreachable blob {oid})"));
            self.intros.push(Intro {
                blob: oid,
                commit: UNREACHABLE,
                path,
                added_lines: EVERY_LINE,
            });
        }
        Ok(())
    }

    /// Group introductions by blob and order the blobs for reading: by
    /// position in the packs (see `packorder`), loose objects last, in id order.
    fn group(&mut self, objects_dir: &Path) {
        self.intros
            .sort_unstable_by_key(|i| (i.blob, i.commit, i.path));
        let mut ids: Vec<Oid> = Vec::new();
        let mut ranges = Vec::new();
        let mut start = 0;
        for i in 1..=self.intros.len() {
            if i == self.intros.len() || self.intros[i].blob != self.intros[start].blob {
                ids.push(self.intros[start].blob);
                ranges.push(start..i);
                start = i;
            }
        }
        self.intros.shrink_to_fit();
        let pos = packorder::positions(objects_dir, &ids);
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_unstable_by_key(|&i| (pos[i], ids[i]));
        self.blobs = order
            .into_iter()
            .map(|i| (ids[i], ranges[i].clone()))
            .collect();
    }

    /// The places of one blob, built for its scan. Commits carry only their
    /// id and order here; [`HistorySource::finish`] reads author, date and
    /// message for the commits that end up in findings.
    fn places(&self, oid: Oid, range: std::ops::Range<usize>) -> Vec<Place> {
        let blob = oid.to_string();
        let mut last: Option<Arc<CommitInfo>> = None;
        self.intros[range]
            .iter()
            .map(|intro| Place {
                path: self.paths.get(intro.path).to_string(),
                provenance: match self.commits.get(intro.commit as usize) {
                    Some(id) => {
                        let info = match &last {
                            Some(info) if info.order == intro.commit => info.clone(),
                            _ => Arc::new(CommitInfo {
                                commit: id.to_string(),
                                author: String::new(),
                                email: String::new(),
                                date: String::new(),
                                summary: String::new(),
                                order: intro.commit,
                            }),
                        };
                        last = Some(info.clone());
                        Provenance::Commit(GitProvenance {
                            commit: info,
                            blob: blob.clone(),
                            in_head: false,
                            commits: 1,
                            paths: 1,
                        })
                    }
                    None => Provenance::Unreachable { blob: blob.clone() },
                },
                added_lines: self.added.get(intro.added_lines as usize).cloned(),
            })
            .collect()
    }
}

impl Source for HistorySource {
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| SourceError::Setup(e.to_string()))?;
        let repo = open_repo(&self.repo_path)?;
        let store = ObjectStore::open(repo.commondir())?;
        let (walked, state) = self.walk(&repo, &store, &pool, stats)?;
        drop(repo);
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        let bar = progress_bar(self.progress, walked.blobs.len() as u64);
        let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
        pool.install(|| {
            // Contiguous chunks keep each worker reading a run of the pack.
            walked.blobs.par_chunks(PACK_RUN).for_each_init(
                || (store.reader(BLOB_CACHE), Vec::new()),
                |(reader, buf), run| {
                    for (oid, range) in run {
                        let places = walked.places(*oid, range.clone());
                        let result =
                            read_blob(reader, buf, *oid, &places, self.max_file_size, stats, visit);
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
                        bar.inc(1);
                    }
                },
            )
        });
        bar.finish_and_clear();
        fail_closed(errors.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    fn finish(&self, findings: Vec<Finding>) -> Result<Vec<Finding>, SourceError> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = group_by_path(findings, &state.head);
        let repo = open_repo(&self.repo_path)?;
        // Author, date and message, read once per commit that is reported.
        let mut infos: HashMap<u32, Arc<CommitInfo>> = HashMap::new();
        let mut info_of = |id: Oid, order: u32| -> Result<Arc<CommitInfo>, SourceError> {
            if let Some(info) = infos.get(&order) {
                return Ok(info.clone());
            }
            let info = Arc::new(commit_info(&repo, id, order)?);
            infos.insert(order, info.clone());
            Ok(info)
        };
        for f in &mut out {
            if let Provenance::Commit(g) = &mut f.provenance {
                let id = Oid::from_str(&g.commit.commit)?;
                g.commit = info_of(id, g.commit.order)?;
            }
        }
        if let Some(severity) = self.env_lint {
            for (path, id, order) in &state.env_files {
                let info = info_of(*id, *order)?;
                let tracked = state.head.contains_key(path);
                let short = &info.commit[..info.commit.len().min(12)];
                let status = if tracked {
                    "still tracked at HEAD: untrack it (git rm --cached), add it to .gitignore and rotate every key it holds"
                } else {
                    "deleted since, but every clone still has it: rotate every key it held"
                };
                out.push(Finding {
                    rule_id: ENV_FILE_IN_HISTORY.to_string(),
                    severity,
                    secret: String::new(),
                    path: path.clone(),
                    line: 1,
                    column: 1,
                    context_before: String::new(),
                    context_after: String::new(),
                    fingerprint: fingerprint(ENV_FILE_IN_HISTORY, "", path),
                    provenance: Provenance::Commit(GitProvenance {
                        commit: info.clone(),
                        blob: String::new(),
                        in_head: tracked,
                        commits: 1,
                        paths: 1,
                    }),
                    message: Some(format!(
                        "{path} was committed in {short} ({}); {status}",
                        info.summary
                    )),
                    provider: None,
                    verification: None,
                    key_info: None,
                });
            }
        }
        Ok(out)
    }
}

/// Turn collected object errors into the scan's result.
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
/// text, and hand it to the visitor.
fn read_blob(
    reader: &mut Reader,
    buf: &mut Vec<u8>,
    oid: Oid,
    places: &[Place],
    max: u64,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> Result<(), SourceError> {
    let id = odb::to_gix(oid);
    let size = reader.size(&id)?;
    if size > max {
        stats.skip(label(&oid, places), SkipReason::TooLarge { size });
        return Ok(());
    }
    let kind = reader.read_into(&id, buf)?;
    if kind != gix_object::Kind::Blob {
        return Err(SourceError::Git(format!(
            "object {oid} is a {kind}, expected a blob"
        )));
    }
    visit_raw(buf, &oid, places, stats, visit);
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
    if raw.starts_with(b"version https://git-lfs.github.com/spec/") {
        stats.skip(label(oid, places), SkipReason::LfsPointer);
        return;
    }
    match decode(raw) {
        Decoded::Binary => stats.skip(label(oid, places), SkipReason::Binary),
        Decoded::Text(text) => {
            stats.scanned(raw.len() as u64);
            visit(&Blob {
                data: &text,
                places,
            });
        }
    }
}

/// A commit (by walk order) and the files it adds or changes.
type Diffed = (u32, Vec<Change>);

/// Per path: (new blob, mode, old blob when modified).
type ChangedPaths = HashMap<String, (Oid, FileMode, Option<Oid>)>;

/// One file a commit adds or changes.
struct Change {
    path: String,
    blob: Oid,
    mode: FileMode,
    /// Lines added relative to every parent (range mode, changed files only).
    added_lines: Option<LineSet>,
}

/// The files `commit` adds or changes relative to its first parent. In range
/// mode a merge counts only what it adds over every parent, and modified files
/// carry the exact lines added.
fn changes(
    reader: &mut Reader,
    commit: &CommitMeta,
    range: bool,
    shallow: bool,
) -> Result<Vec<Change>, SourceError> {
    let parents = parent_trees(reader, commit, shallow)?;
    let first = parents.first();
    let mut per_parent: Vec<ChangedPaths> = Vec::new();
    let compare: Vec<Option<&ObjectId>> = if range && parents.len() > 1 {
        parents.iter().map(Some).collect()
    } else {
        vec![first]
    };
    for parent in compare {
        let mut changed = ChangedPaths::new();
        let mut prefix = Vec::new();
        tree_changes(
            reader,
            parent.map(|p| p.as_ref()),
            &commit.tree,
            &mut prefix,
            &mut changed,
        )?;
        per_parent.push(changed);
    }
    let Some((against_first, rest)) = per_parent.split_first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    'paths: for (path, &(blob, mode, old)) in against_first {
        let mut added: Option<LineSet> = None;
        if range && mode != FileMode::Commit {
            // A line is new only if it is new against every parent.
            let mut sets = vec![old];
            for other in rest {
                match other.get(path) {
                    Some(&(_, _, o)) => sets.push(o),
                    None => continue 'paths, // unchanged against that parent
                }
            }
            // `None` (every line) until a parent's diff narrows it.
            for old in sets.into_iter().flatten() {
                if let Some(lines) = blob_added_lines(reader, old, blob)? {
                    added = Some(match added {
                        Some(a) => a.intersection(&lines),
                        None => lines,
                    });
                }
            }
            if added.as_ref().is_some_and(LineSet::is_empty) {
                continue;
            }
        }
        out.push(Change {
            path: path.clone(),
            blob,
            mode,
            added_lines: added,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Files added or changed from the tree `old` (None: empty) to `new`,
/// recursively, into `out` (path -> new blob, mode, old blob when a blob was
/// modified). Only subtrees whose ids differ are read: unchanged directories
/// cost one comparison.
fn tree_changes(
    reader: &mut Reader,
    old: Option<&oid>,
    new: &oid,
    prefix: &mut Vec<u8>,
    out: &mut ChangedPaths,
) -> Result<(), SourceError> {
    let here = || String::from_utf8_lossy(prefix.strip_suffix(b"/").unwrap_or(prefix)).into_owned();
    let new_tree = reader.tree(new).map_err(|e| e.at(&here()))?;
    let old_tree = match old {
        Some(id) => reader.tree(id).map_err(|e| e.at(&here()))?,
        None => reader.buffer_empty(),
    };
    let result = diff_entries(reader, &old_tree, &new_tree, prefix, out);
    reader.recycle(new_tree);
    reader.recycle(old_tree);
    result
}

/// One level of [`tree_changes`]: entries of both trees come in git's tree
/// order, so one merge pass pairs them.
fn diff_entries(
    reader: &mut Reader,
    old: &[u8],
    new: &[u8],
    prefix: &mut Vec<u8>,
    out: &mut ChangedPaths,
) -> Result<(), SourceError> {
    let mut olds = TreeRefIter::from_bytes(old, gix_hash::Kind::Sha1);
    let mut next_old: Option<EntryRef<'_>> =
        olds.next().transpose().map_err(|e| tree_error(prefix, e))?;
    for entry in TreeRefIter::from_bytes(new, gix_hash::Kind::Sha1) {
        let entry = entry.map_err(|e| tree_error(prefix, e))?;
        let is_tree = entry.mode.is_tree();
        // Skip old entries that sort before this one (deleted); pair an equal one.
        let mut before = None;
        while let Some(o) = next_old {
            match name_order(o.filename, o.mode.is_tree(), entry.filename, is_tree) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => before = Some(o),
                std::cmp::Ordering::Greater => break,
            }
            next_old = olds.next().transpose().map_err(|e| tree_error(prefix, e))?;
            if before.is_some() {
                break;
            }
        }
        if before.is_some_and(|b| b.oid == entry.oid && b.mode.value() == entry.mode.value()) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(entry.filename);
        if is_tree {
            prefix.push(b'/');
            let old_sub = before.filter(|b| b.mode.is_tree()).map(|b| b.oid);
            tree_changes(reader, old_sub, entry.oid, prefix, out)?;
        } else {
            let mode = file_mode(i32::from(entry.mode.value()));
            let old_blob = before
                .filter(|b| {
                    matches!(
                        file_mode(i32::from(b.mode.value())),
                        FileMode::Blob | FileMode::BlobExecutable
                    )
                })
                .map(|b| odb::to_git2(b.oid));
            out.insert(
                path_string(prefix),
                (odb::to_git2(entry.oid), mode, old_blob),
            );
        }
        prefix.truncate(len);
    }
    Ok(())
}

/// A tree that does not parse: the scan fails closed.
fn tree_error(prefix: &[u8], e: impl std::fmt::Display) -> SourceError {
    SourceError::Git(format!("tree at '{}': {e}", path_string(prefix)))
}

fn file_mode(raw: i32) -> FileMode {
    match raw {
        0o100755 => FileMode::BlobExecutable,
        0o120000 => FileMode::Link,
        0o160000 => FileMode::Commit,
        0o040000 => FileMode::Tree,
        _ => FileMode::Blob,
    }
}

/// The trees of `commit`'s parents. In a shallow clone the boundary commits'
/// parents are absent: those commits count as roots.
fn parent_trees(
    reader: &mut Reader,
    commit: &CommitMeta,
    shallow: bool,
) -> Result<Vec<ObjectId>, SourceError> {
    let mut trees = Vec::new();
    for parent in &commit.parents {
        match reader.commit_tree(parent)? {
            Some(tree) => trees.push(tree),
            None if shallow => {}
            None => return Err(SourceError::Git(format!("commit {parent} is missing"))),
        }
    }
    Ok(trees)
}

/// Line numbers (1-based) in blob `new` that the diff from blob `old` adds,
/// on decoded text; `None` when the change cannot be diffed (a binary side):
/// every line counts.
fn blob_added_lines(
    reader: &mut Reader,
    old: Oid,
    new: Oid,
) -> Result<Option<LineSet>, SourceError> {
    let mut old_data = reader.buffer();
    let mut new_data = reader.buffer();
    let result = reader
        .read_into(&odb::to_gix(old), &mut old_data)
        .and_then(|_| reader.read_into(&odb::to_gix(new), &mut new_data))
        .map(|_| linediff::added_lines(&old_data, &new_data));
    reader.recycle(old_data);
    reader.recycle(new_data);
    result
}

/// Push a commit range's tips and hide its bases. A base that is not in
/// the repository is an error with a hint (a shallow CI checkout).
fn push_range(
    repo: &Repository,
    walk: &mut git2::Revwalk<'_>,
    spec: &CommitRange,
) -> Result<(), SourceError> {
    let resolve = |rev: &str, what: &str| {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| {
                let shallow = if repo.is_shallow() { " (this is a shallow clone)" } else { "" };
                SourceError::Setup(format!(
                    "--range {}: {what} `{rev}` is not a commit in this repository{shallow}; {FETCH_HINT}",
                    spec.label
                ))
            })
    };
    for tip in &spec.tips {
        walk.push(resolve(tip, "revision")?)?;
    }
    for base in &spec.hide {
        walk.hide(resolve(base, "base")?)?;
    }
    if let Some(remote) = &spec.hide_remote {
        let prefix = if remote.is_empty() {
            "refs/remotes/".to_string()
        } else {
            format!("refs/remotes/{remote}/")
        };
        for reference in repo.references()? {
            let reference = reference?;
            if !reference.name_bytes().starts_with(prefix.as_bytes()) {
                continue;
            }
            if let Ok(c) = reference.peel_to_commit() {
                walk.hide(c.id())?;
            }
        }
    }
    Ok(())
}

/// The commits at a shallow clone's boundary (listed in `shallow`).
fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

/// Push the walk's starting points: the named refs, or every ref, HEAD and
/// every stash entry; with `all_objects`, every commit in the object store.
fn push_roots(
    repo: &Repository,
    walk: &mut git2::Revwalk<'_>,
    branches: &[String],
    all_objects: bool,
    stats: &SourceStats,
) -> Result<(), SourceError> {
    if !branches.is_empty() {
        for name in branches {
            let commit = repo
                .revparse_single(name)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| SourceError::Setup(format!("--branch {name}: {}", e.message())))?;
            walk.push(commit.id())?;
        }
        return Ok(());
    }
    for reference in repo.references()? {
        let reference = reference?;
        let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
        match reference.peel(ObjectType::Any)?.peel_to_commit() {
            Ok(c) => walk.push(c.id())?,
            Err(_) => stats.skip(name, SkipReason::NonCommitRef),
        }
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        for entry in reflog.iter() {
            walk.push(entry.id_new())?;
        }
    }
    match repo.head() {
        Ok(head) => {
            if let Ok(c) = head.peel_to_commit() {
                walk.push(c.id())?;
            }
        }
        Err(e) if is_unborn(&e) => {}
        Err(e) => return Err(SourceError::Git(format!("HEAD: {}", e.message()))),
    }
    if all_objects {
        let odb = repo.odb()?;
        let mut commits = Vec::new();
        let mut all = Vec::new();
        odb.foreach(|oid| {
            all.push(*oid);
            true
        })?;
        for oid in all {
            if odb.read_header(oid)?.1 == ObjectType::Commit {
                commits.push(oid);
            }
        }
        for oid in commits {
            walk.push(oid)?;
        }
    }
    Ok(())
}

/// An unborn HEAD (no commit yet) or a missing one: not an error.
pub(crate) fn is_unborn(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
    )
}

/// Every file at HEAD: path -> blob (empty for an unborn HEAD).
pub(crate) fn head_files(repo: &Repository) -> Result<HashMap<String, Oid>, SourceError> {
    let mut files = HashMap::new();
    let tree = match repo.head() {
        Ok(head) => head
            .peel_to_tree()
            .map_err(|e| SourceError::Git(format!("HEAD: {}", e.message())))?,
        Err(e) if is_unborn(&e) => return Ok(files),
        Err(e) => return Err(SourceError::Git(format!("HEAD: {}", e.message()))),
    };
    let mut stack = vec![(String::new(), tree)];
    while let Some((prefix, tree)) = stack.pop() {
        for entry in tree.iter() {
            let path = format!("{prefix}{}", path_string(entry.name_bytes()));
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    stack.push((format!("{path}/"), repo.find_tree(entry.id())?))
                }
                Some(ObjectType::Blob) => {
                    files.insert(path, entry.id());
                }
                _ => {}
            }
        }
    }
    Ok(files)
}

/// Git paths are bytes; show non-UTF-8 ones lossily.
pub(crate) fn path_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A commit's id, author, date and summary, read with libgit2.
fn commit_info(repo: &Repository, id: Oid, order: u32) -> Result<CommitInfo, SourceError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| SourceError::Git(format!("commit {id}: {}", e.message())))?;
    let author = commit.author();
    Ok(CommitInfo {
        commit: id.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: format_time(author.when()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
        order,
    })
}

/// `2025-01-31T09:15:00+01:00` from a git timestamp and its offset.
pub fn format_time(t: git2::Time) -> String {
    let offset = i64::from(t.offset_minutes());
    let local = t.seconds() + offset * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a civil date (inverse of `civil_from_days`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Fold per-commit findings into one per (rule, secret, path): the earliest
/// commit wins; count the commits and paths; mark what HEAD still has.
fn group_by_path(findings: Vec<Finding>, head: &HashMap<String, Oid>) -> Vec<Finding> {
    let mut paths: HashMap<(String, String), HashSet<String>> = HashMap::new();
    let mut groups: HashMap<(String, String, String), Vec<Finding>> = HashMap::new();
    for f in findings {
        paths
            .entry((f.rule_id.clone(), f.secret.clone()))
            .or_default()
            .insert(f.path.clone());
        groups
            .entry((f.rule_id.clone(), f.secret.clone(), f.path.clone()))
            .or_default()
            .push(f);
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((rule, secret, path), mut group) in groups {
        let head_blob = head.get(&path).map(Oid::to_string);
        let in_head = group.iter().any(|f| match &f.provenance {
            Provenance::Commit(g) => head_blob.as_deref() == Some(g.blob.as_str()),
            _ => false,
        });
        let commits: HashSet<&str> = group
            .iter()
            .filter_map(|f| match &f.provenance {
                Provenance::Commit(g) => Some(g.commit.commit.as_str()),
                _ => None,
            })
            .collect();
        let commits = commits.len();
        let n_paths = paths.get(&(rule, secret)).map_or(1, HashSet::len);
        group.sort_by_key(|f| match &f.provenance {
            Provenance::Commit(g) => (g.commit.order, f.line, f.column),
            _ => (u32::MAX, f.line, f.column),
        });
        let mut first = group.swap_remove(0);
        if let Provenance::Commit(g) = &mut first.provenance {
            g.in_head = in_head;
            g.commits = commits;
            g.paths = n_paths;
        }
        out.push(first);
    }
    out
}

/// A progress bar on stderr, hidden unless asked for (a terminal, not quiet).
pub(crate) fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} scanning blobs {bar:40} {pos}/{len} ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(days_from_civil(2025, 1, 1), 20_089);
        assert_eq!(
            format_time(git2::Time::new(1_700_000_000, 60)),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            format_time(git2::Time::new(0, -330)),
            "1969-12-31T18:30:00-05:30"
        );
    }
}
