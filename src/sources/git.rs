//! Git sources: the whole history, or what a commit range adds.
//!
//! History is scanned per unique blob, not per commit diff: the commit walk
//! (oldest first) diffs each commit's tree against its first parent's, which
//! only descends into subtrees that changed, and records every (blob, path,
//! commit) it introduces. Every unique blob is then read once, in parallel
//! (rayon, one repository handle per worker), scanned and dropped: memory
//! holds blob ids and paths, never all contents. [`HistorySource::finish`]
//! folds the per-commit findings into one per (rule, secret, path), with the
//! commit that first introduced it and whether HEAD still has it.
//!
//! Fail closed: an object that cannot be read makes the scan an error, so a
//! history scan never passes when it could not read history.

use super::packorder::{self, PackPos};
use super::{decode, Blob, Decoded, LineSet, Place, SkipReason, Source, SourceError, SourceStats};
use crate::findings::{fingerprint, CommitInfo, Finding, GitProvenance, Provenance, Severity};
use crate::lint::{is_env_file, ENV_FILE_IN_HISTORY};
use git2::{Commit, DiffOptions, FileMode, ObjectType, Oid, Repository, RepositoryOpenFlags, Sort};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Memory libgit2 may keep for cached trees and commits (its default: 256 MiB).
const OBJECT_CACHE_BYTES: usize = 64 << 20;

/// Commits a worker diffs in one go.
const COMMIT_RUN: usize = 64;

/// Blobs a worker reads in one go, in pack order.
const PACK_RUN: usize = 512;

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
    /// Only the lines that the commits in `A..B` add.
    Range(String),
}

/// The history of one repository.
#[derive(Debug)]
pub struct HistorySource {
    repo_path: PathBuf,
    mode: HistoryMode,
    threads: usize,
    max_file_size: u64,
    progress: bool,
    env_lint: Option<Severity>,
    state: Mutex<WalkState>,
}

/// What the walk learns that `finish` needs.
#[derive(Debug, Default)]
struct WalkState {
    /// Path -> blob at HEAD.
    head: HashMap<String, Oid>,
    /// First commit that added each `.env` path.
    env_files: Vec<(String, Arc<CommitInfo>)>,
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
            state: Mutex::new(WalkState::default()),
        })
    }

    /// Walk commits; return every unique blob with the places it was introduced.
    fn walk(
        &self,
        repo: &Repository,
        pool: &rayon::ThreadPool,
        stats: &SourceStats,
    ) -> Result<(Vec<BlobPlaces>, WalkState), SourceError> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        let mut state = WalkState {
            head: head_files(repo)?,
            ..WalkState::default()
        };
        let (since, range) = match &self.mode {
            HistoryMode::Range(spec) => {
                walk.push_range(spec)
                    .map_err(|e| SourceError::Setup(format!("--range {spec}: {}", e.message())))?;
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
        // Diff commits in parallel, in contiguous runs (neighbouring commits
        // share trees in each worker's object cache); results keep walk order.
        let diffed: Vec<Result<Option<Diffed>, SourceError>> = pool.install(|| {
            commits
                .par_iter()
                .enumerate()
                .with_min_len(COMMIT_RUN)
                .map_init(
                    || open_repo(&self.repo_path),
                    |repo, (order, oid)| {
                        let repo = repo.as_ref().map_err(|e| SourceError::Git(e.to_string()))?;
                        let commit = repo.find_commit(*oid)?;
                        if since.is_some_and(|s| commit.time().seconds() < s) {
                            return Ok(None);
                        }
                        let info = Arc::new(commit_info(&commit, order as u32));
                        Ok(Some((info, changes(repo, &commit, range)?)))
                    },
                )
                .collect()
        });
        let mut places: HashMap<Oid, Vec<Place>> = HashMap::new();
        let mut submodules: HashSet<String> = HashSet::new();
        let mut env_seen: HashSet<String> = HashSet::new();
        for result in diffed {
            let Some((info, changed)) = result? else {
                continue;
            };
            for change in changed {
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
                if self.env_lint.is_some() && !range && env_seen.insert(change.path.clone()) {
                    let name = change.path.rsplit('/').next().unwrap_or(&change.path);
                    if is_env_file(name) {
                        state.env_files.push((change.path.clone(), info.clone()));
                    }
                }
                places.entry(change.blob).or_default().push(Place {
                    provenance: Provenance::Commit(GitProvenance {
                        commit: info.clone(),
                        blob: change.blob.to_string(),
                        in_head: false,
                        commits: 1,
                        paths: 1,
                    }),
                    path: change.path,
                    added_lines: change.added_lines.map(Arc::new),
                });
            }
        }
        if let HistoryMode::All {
            all_objects: true, ..
        } = self.mode
        {
            let odb = repo.odb()?;
            let mut loose: Vec<Oid> = Vec::new();
            odb.foreach(|oid| {
                loose.push(*oid);
                true
            })?;
            for oid in loose {
                if places.contains_key(&oid) {
                    continue;
                }
                let (_, kind) = odb.read_header(oid)?;
                if kind == ObjectType::Blob {
                    places.entry(oid).or_default().push(Place {
                        path: format!("(unreachable blob {oid})"),
                        provenance: Provenance::Unreachable {
                            blob: oid.to_string(),
                        },
                        added_lines: None,
                    });
                }
            }
        }
        Ok((pack_ordered(repo, places), state))
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
        let (blobs, state) = self.walk(&open_repo(&self.repo_path)?, &pool, stats)?;
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        let bar = progress_bar(self.progress, blobs.len() as u64);
        let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
        pool.install(|| {
            // Contiguous chunks keep each worker reading a run of the pack.
            blobs.par_chunks(PACK_RUN).for_each_init(
                || open_repo(&self.repo_path),
                |repo, run| {
                    for (oid, places) in run {
                        let result = match repo {
                            Ok(repo) => {
                                scan_blob(repo, *oid, places, self.max_file_size, stats, visit)
                            }
                            Err(e) => Err(SourceError::Git(e.to_string())),
                        };
                        if let Err(e) = result {
                            errors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(format!("blob {oid}: {e}"));
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
        if let Some(severity) = self.env_lint {
            for (path, info) in &state.env_files {
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

/// Order blobs for reading: by position in the packs (see `packorder`),
/// loose objects last, in id order.
fn pack_ordered(repo: &Repository, places: HashMap<Oid, Vec<Place>>) -> Vec<BlobPlaces> {
    let pos = packorder::positions(&repo.path().join("objects"), &places);
    let mut blobs: Vec<(PackPos, BlobPlaces)> = places
        .into_iter()
        .map(|(oid, p)| (pos.get(&oid).copied().unwrap_or((u32::MAX, 0)), (oid, p)))
        .collect();
    blobs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1 .0.cmp(&b.1 .0)));
    blobs.into_iter().map(|(_, bp)| bp).collect()
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

/// Read one blob, skip what is not text, and hand it to the visitor.
pub(crate) fn scan_blob(
    repo: &Repository,
    oid: Oid,
    places: &[Place],
    max: u64,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> Result<(), SourceError> {
    let label = || {
        places
            .first()
            .map_or_else(|| oid.to_string(), |p| p.path.clone())
    };
    let odb = repo.odb()?;
    let (size, _) = odb.read_header(oid)?;
    if size as u64 > max {
        stats.skip(label(), SkipReason::TooLarge { size: size as u64 });
        return Ok(());
    }
    let object = odb.read(oid)?;
    let raw = object.data();
    if raw.starts_with(b"version https://git-lfs.github.com/spec/") {
        stats.skip(label(), SkipReason::LfsPointer);
        return Ok(());
    }
    match decode(raw) {
        Decoded::Binary => stats.skip(label(), SkipReason::Binary),
        Decoded::Text(text) => {
            stats.scanned(raw.len() as u64);
            visit(&Blob {
                data: &text,
                places,
            });
        }
    }
    Ok(())
}

/// A commit and the files it adds or changes.
type Diffed = (Arc<CommitInfo>, Vec<Change>);

/// A unique blob and every place history introduced it.
type BlobPlaces = (Oid, Vec<Place>);

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
    repo: &Repository,
    commit: &Commit<'_>,
    range: bool,
) -> Result<Vec<Change>, SourceError> {
    let tree = commit.tree()?;
    let parents = parent_trees(repo, commit)?;
    let first = parents.first();
    let mut per_parent: Vec<ChangedPaths> = Vec::new();
    let compare: Vec<Option<&git2::Tree<'_>>> = if range && parents.len() > 1 {
        parents.iter().map(Some).collect()
    } else {
        vec![first]
    };
    for parent in compare {
        let mut changed = ChangedPaths::new();
        let mut prefix = Vec::new();
        tree_changes(repo, parent, &tree, &mut prefix, &mut changed)?;
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
            for old in sets.into_iter().flatten() {
                let lines = added_lines(repo, old, blob)?;
                added = Some(match added {
                    Some(a) => a.intersection(&lines),
                    None => lines,
                });
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

/// Files added or changed from `old` (None: empty) to `new`, recursively,
/// into `out` (path -> new blob, mode, old blob when a blob was modified).
/// Only subtrees whose ids differ are read: unchanged directories cost one
/// comparison. Entries of both trees come in git's tree order, so one merge
/// pass pairs them.
fn tree_changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    prefix: &mut Vec<u8>,
    out: &mut ChangedPaths,
) -> Result<(), git2::Error> {
    let olds: Vec<git2::TreeEntry<'_>> = old.map(|t| t.iter().collect()).unwrap_or_default();
    let mut o = 0;
    for entry in new.iter() {
        let is_tree = entry.filemode() == TREE_MODE;
        // Skip old entries that sort before this one (deleted).
        while o < olds.len() && tree_order(&olds[o], &entry) == std::cmp::Ordering::Less {
            o += 1;
        }
        let before = olds
            .get(o)
            .filter(|e| tree_order(e, &entry) == std::cmp::Ordering::Equal);
        if before.is_some_and(|b| b.id() == entry.id() && b.filemode() == entry.filemode()) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(entry.name_bytes());
        if is_tree {
            prefix.push(b'/');
            let sub = repo.find_tree(entry.id())?;
            let old_sub = match before {
                Some(b) if b.filemode() == TREE_MODE => Some(repo.find_tree(b.id())?),
                _ => None,
            };
            tree_changes(repo, old_sub.as_ref(), &sub, prefix, out)?;
        } else {
            let mode = file_mode(entry.filemode());
            let old_blob = before
                .filter(|b| {
                    matches!(
                        file_mode(b.filemode()),
                        FileMode::Blob | FileMode::BlobExecutable
                    )
                })
                .map(|b| b.id());
            out.insert(path_string(prefix), (entry.id(), mode, old_blob));
        }
        prefix.truncate(len);
    }
    Ok(())
}

const TREE_MODE: i32 = 0o040000;

fn file_mode(raw: i32) -> FileMode {
    match raw {
        0o100755 => FileMode::BlobExecutable,
        0o120000 => FileMode::Link,
        0o160000 => FileMode::Commit,
        0o040000 => FileMode::Tree,
        _ => FileMode::Blob,
    }
}

/// Git's tree entry order: names compared bytewise, a tree's name as if it
/// ended in `/`.
fn tree_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let common = an.len().min(bn.len());
    match an[..common].cmp(&bn[..common]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let end = |name: &[u8], e: &git2::TreeEntry<'_>| {
        name.get(common)
            .copied()
            .unwrap_or(if e.filemode() == TREE_MODE { b'/' } else { 0 })
    };
    end(an, a).cmp(&end(bn, b)).then(an.len().cmp(&bn.len()))
}

/// The trees of `commit`'s parents. In a shallow clone the boundary commits'
/// parents are absent: those commits count as roots.
fn parent_trees<'r>(
    repo: &'r Repository,
    commit: &Commit<'r>,
) -> Result<Vec<git2::Tree<'r>>, SourceError> {
    let mut trees = Vec::new();
    for i in 0..commit.parent_count() {
        match commit.parent(i) {
            Ok(p) => trees.push(p.tree()?),
            Err(e) if e.code() == git2::ErrorCode::NotFound && repo.is_shallow() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(trees)
}

/// Line numbers (1-based) in `new` that the diff from `old` adds.
pub(crate) fn added_lines(repo: &Repository, old: Oid, new: Oid) -> Result<LineSet, SourceError> {
    let old = repo.find_blob(old)?;
    let new = repo.find_blob(new)?;
    let mut opts = DiffOptions::new();
    opts.context_lines(0);
    // From buffers, not blobs: without a repository libgit2 skips the
    // attribute lookup, which would load the whole index (120 ms in a
    // 100,000-file repository) just to pick a diff driver.
    let patch =
        git2::Patch::from_buffers(old.content(), None, new.content(), None, Some(&mut opts))?;
    let mut lines = Vec::new();
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            if line.origin() == '+' {
                if let Some(n) = line.new_lineno() {
                    lines.push(n as usize);
                }
            }
        }
    }
    Ok(LineSet::from_lines(lines))
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

fn commit_info(commit: &Commit<'_>, order: u32) -> CommitInfo {
    let author = commit.author();
    CommitInfo {
        commit: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: format_time(author.when()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
        order,
    }
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
