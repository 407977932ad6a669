//! The working-tree source: a parallel directory walk (the `ignore` crate, as
//! in ripgrep) that honours `.gitignore` files at every level,
//! `.git/info/exclude`, the global excludes file and `.ignore`, includes hidden
//! files (secrets live in `.env`) and never enters `.git`. Each worker reuses
//! one read buffer, so memory stays at threads x largest file read.
//!
//! Ignore rules skip only what git does not track: a file in the index is
//! part of the repository even when a rule added later covers it, so after
//! the walk every directory it entered is listed once more (names only), and
//! each entry the walk passed over is either tracked (then scanned) or
//! ignored (counted, and listed with `--verbose`). That costs one extra
//! directory listing per directory and a set of the visited paths.
//!
//! Paths named on the command line are never skipped quietly: one that does
//! not exist, cannot be read or is not a regular file or directory is an
//! error.

use super::{Blob, Place, SkipReason, Source, SourceError, SourceStats};
use ignore::{WalkBuilder, WalkState};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Walks paths on disk.
#[derive(Debug, Clone)]
pub struct TreeSource {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Scan files that ignore rules would skip.
    pub no_ignore: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// How far archives are opened.
    pub archives: super::ArchiveLimits,
    /// How found paths are named (from `paths`: [`super::Roots::new`]).
    pub roots: super::Roots,
}

impl Source for TreeSource {
    fn archive_limits(&self) -> super::ArchiveLimits {
        self.archives
    }

    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let Some((first, rest)) = self.paths.split_first() else {
            return Err(SourceError::Setup("no paths to scan".into()));
        };
        for p in &self.paths {
            check_named(p)?;
        }
        let mut builder = WalkBuilder::new(first);
        for p in rest {
            builder.add(p);
        }
        let honour = !self.no_ignore;
        builder
            .hidden(false)
            .follow_links(self.follow)
            .git_ignore(honour)
            .git_global(honour)
            .git_exclude(honour)
            .ignore(honour)
            .parents(honour)
            .require_git(false)
            .threads(self.threads)
            .filter_entry(|e| e.file_name() != ".git");
        let max = self.max_file_size;
        let names = &self.roots;
        // What the walk yielded, to find what ignore rules passed over.
        let seen: Mutex<Vec<(Vec<PathBuf>, Vec<PathBuf>)>> = Mutex::new(Vec::new());
        let (seen_ref, track) = (&seen, honour);
        builder.build_parallel().run(|| {
            let mut buf = Vec::new();
            let mut mine = Collector {
                paths: Vec::new(),
                dirs: Vec::new(),
                into: seen_ref,
                on: track,
            };
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        mine.note(&entry);
                        visit_entry(&entry, names, max, &mut buf, stats, visit);
                    }
                    Err(err) => {
                        let (path, msg) = describe_error(&err, names);
                        stats.skip(path, SkipReason::Unreadable { error: msg });
                    }
                }
                WalkState::Continue
            })
        });
        if honour {
            let mut paths = HashSet::new();
            let mut dirs = Vec::new();
            for (p, d) in seen.into_inner().unwrap_or_else(|e| e.into_inner()) {
                paths.extend(p);
                dirs.extend(d);
            }
            dirs.sort();
            self.passed_over(&paths, &dirs, stats, visit);
        }
        Ok(())
    }
}

/// One walker thread's visited paths, handed over when the thread is done.
struct Collector<'a> {
    paths: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    into: &'a Mutex<Vec<(Vec<PathBuf>, Vec<PathBuf>)>>,
    on: bool,
}

impl Collector<'_> {
    fn note(&mut self, entry: &ignore::DirEntry) {
        if self.on {
            self.paths.push(entry.path().to_path_buf());
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                self.dirs.push(entry.path().to_path_buf());
            }
        }
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let paths = std::mem::take(&mut self.paths);
        let dirs = std::mem::take(&mut self.dirs);
        if !paths.is_empty() {
            self.into
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((paths, dirs));
        }
    }
}

impl TreeSource {
    /// Entries the walk did not yield in the directories it entered: tracked
    /// files are scanned, the rest counted as ignored.
    fn passed_over(
        &self,
        seen: &HashSet<PathBuf>,
        dirs: &[PathBuf],
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) {
        let tracked = Tracked::open(&self.paths[0]);
        let mut ignored = Vec::new();
        let mut buf = Vec::new();
        for dir in dirs {
            let Ok(children) = std::fs::read_dir(dir) else {
                continue; // the walk already reported it
            };
            let mut names: Vec<PathBuf> = children
                .filter_map(Result::ok)
                .filter(|c| c.file_name() != ".git")
                .map(|c| c.path())
                .filter(|p| !seen.contains(p))
                .collect();
            names.sort();
            for path in names {
                let files = tracked.as_ref().map_or_else(Vec::new, |t| t.under(&path));
                for file in &files {
                    scan_file(
                        file,
                        &self.roots,
                        self.max_file_size,
                        &mut buf,
                        stats,
                        visit,
                    );
                }
                let untracked_only = files.is_empty();
                if untracked_only {
                    let mut shown = self.roots.name(&path);
                    if path.is_dir() {
                        shown.push('/');
                    }
                    ignored.push(shown);
                }
            }
        }
        stats.ignored(ignored);
    }
}

/// The index of the repository around the scan, to tell tracked files from
/// ignored ones.
struct Tracked {
    index: gix::index::File,
    /// The work tree, canonical.
    root: PathBuf,
}

impl Tracked {
    /// The index of the repository containing `path`, if there is one.
    fn open(path: &Path) -> Option<Self> {
        let repo = gix::discover(path).ok()?;
        let root = repo.workdir()?.canonicalize().ok()?;
        let index = super::index::read(&repo.index_path()).ok()?;
        Some(Tracked { index, root })
    }

    /// Tracked files at `path` or under it, spelled from `path`.
    fn under(&self, path: &Path) -> Vec<PathBuf> {
        let Some(parent) = path.parent().and_then(|p| {
            let p = if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            };
            p.canonicalize().ok()
        }) else {
            return Vec::new();
        };
        let Some(name) = path.file_name() else {
            return Vec::new();
        };
        let Ok(rel) = parent
            .join(name)
            .strip_prefix(&self.root)
            .map(Path::to_path_buf)
        else {
            return Vec::new();
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let backing = self.index.path_backing();
        let Some(entries) = self.index.prefixed_entries(rel.as_bytes().into()) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|e| e.mode.bits() & 0o170000 == 0o100000)
            .filter_map(|e| {
                let p = e.path_in(backing).to_string();
                let rest = p.strip_prefix(rel.as_str())?;
                if rest.is_empty() {
                    Some(path.to_path_buf())
                } else {
                    rest.strip_prefix('/').map(|r| path.join(r))
                }
            })
            .collect()
    }
}

/// A path named on the command line must be there and readable.
fn check_named(p: &Path) -> Result<(), SourceError> {
    let bad = |why: &str| SourceError::Setup(format!("{}: {why}", p.display()));
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(_) if std::fs::symlink_metadata(p).is_ok() => return Err(bad("a broken symlink")),
        Err(_) => return Err(SourceError::NotFound(p.display().to_string())),
    };
    if meta.is_dir() {
        std::fs::read_dir(p).map_err(|e| bad(&format!("cannot read directory: {e}")))?;
    } else if meta.is_file() {
        File::open(p).map_err(|e| bad(&format!("cannot read: {e}")))?;
    } else {
        return Err(bad("not a regular file or directory (never read)"));
    }
    Ok(())
}

/// Scan one file outside the walk (a tracked file ignore rules cover).
fn scan_file(
    path: &Path,
    names: &super::Roots,
    max: u64,
    buf: &mut Vec<u8>,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    let shown = names.name(path);
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return stats.skip(shown, SkipReason::Symlink),
        Ok(m) if !m.is_file() => return stats.skip(shown, SkipReason::NotRegularFile),
        Ok(_) => {}
        // Tracked but deleted from the work tree: nothing on disk to scan.
        Err(_) => return,
    }
    read_and_visit(path, shown, max, buf, stats, visit);
}

fn visit_entry(
    entry: &ignore::DirEntry,
    names: &super::Roots,
    max: u64,
    buf: &mut Vec<u8>,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    let Some(ft) = entry.file_type() else {
        return; // stdin; never produced for paths
    };
    if ft.is_dir() {
        return;
    }
    let path = names.name(entry.path());
    if ft.is_symlink() && entry.depth() == 0 {
        // Named on the command line: read what it points at, as ripgrep does.
        if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            read_and_visit(entry.path(), path, max, buf, stats, visit);
            return;
        }
    }
    if ft.is_symlink() {
        let reason = if std::fs::metadata(entry.path()).is_ok() {
            SkipReason::Symlink
        } else {
            SkipReason::BrokenSymlink
        };
        stats.skip(path, reason);
        return;
    }
    if !ft.is_file() {
        stats.skip(path, SkipReason::NotRegularFile);
        return;
    }
    read_and_visit(entry.path(), path, max, buf, stats, visit);
}

/// Read a regular file (capped at `max`), decode it and visit it.
fn read_and_visit(
    file: &Path,
    path: String,
    max: u64,
    buf: &mut Vec<u8>,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    match read_capped(file, max, buf) {
        Ok(Some(())) => {}
        Ok(None) => {
            let size = std::fs::metadata(file)
                .map(|m| m.len())
                .unwrap_or(max.saturating_add(1));
            stats.skip(path, SkipReason::TooLarge { size });
            return;
        }
        Err(e) => {
            stats.skip(
                path,
                SkipReason::Unreadable {
                    error: e.to_string(),
                },
            );
            return;
        }
    }
    super::visit_content(buf, &[Place::file(path)], &String::new, stats, visit);
}

/// Read `path` into `buf` unless it is larger than `max` (then `Ok(None)`).
/// The size is checked on the open handle and again while reading, so a file
/// that grows after the walk saw it is still capped.
fn read_capped(path: &Path, max: u64, buf: &mut Vec<u8>) -> std::io::Result<Option<()>> {
    let file = File::open(path)?;
    if file.metadata()?.len() > max {
        return Ok(None);
    }
    buf.clear();
    file.take(max.saturating_add(1)).read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(()))
}

/// A path as text, without a leading `./`. On Unix a name
/// that is not UTF-8 shows its other bytes escaped (`\\xFF`), one to one, as
/// git paths do.
pub fn display_path(p: &Path) -> String {
    #[cfg(unix)]
    let s: std::borrow::Cow<'_, str> = match p.to_str() {
        Some(text) if !text.contains('\\') && !crate::model::has_bidi(text) => {
            std::borrow::Cow::Borrowed(text)
        }
        _ => std::borrow::Cow::Owned(crate::model::display_path_bytes(
            std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()),
        )),
    };
    #[cfg(not(unix))]
    let s = p.to_string_lossy();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s.into_owned(),
    }
}

fn describe_error(err: &ignore::Error, names: &super::Roots) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (names.name(path), describe_error(err, names).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_error(err, names)
        }
        ignore::Error::Loop { child, .. } => (names.name(child), "symlink loop".into()),
        ignore::Error::Io(e) => ("?".into(), e.to_string()),
        other => ("?".into(), other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file deleted between the walk and the read is an error for that file
    /// (reported as unreadable), and a file that grew past the cap after the
    /// walk saw it is still capped.
    #[test]
    fn files_that_change_under_the_walk() {
        let t = tempfile::TempDir::new().unwrap();
        let mut buf = Vec::new();
        let gone = t.path().join("gone");
        assert!(read_capped(&gone, 100, &mut buf).is_err());
        let grown = t.path().join("grown");
        std::fs::write(&grown, vec![b'a'; 200]).unwrap();
        assert!(matches!(read_capped(&grown, 100, &mut buf), Ok(None)));
        std::fs::write(&grown, b"short").unwrap();
        assert!(matches!(read_capped(&grown, 100, &mut buf), Ok(Some(()))));
        assert_eq!(buf, b"short");
    }
}
