//! The working-tree source: a parallel directory walk (the `ignore` crate, as
//! in ripgrep) that honours `.gitignore` files at every level,
//! `.git/info/exclude`, the global excludes file and `.ignore`, includes hidden
//! files (secrets live in `.env`) and never enters `.git`. Each worker reuses
//! one read buffer, so memory stays at threads x largest file read.

use super::{decode, Blob, Decoded, Place, SkipReason, Source, SourceError, SourceStats};
use ignore::{WalkBuilder, WalkState};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

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
}

impl Source for TreeSource {
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let Some((first, rest)) = self.paths.split_first() else {
            return Err(SourceError::Setup("no paths to scan".into()));
        };
        for p in &self.paths {
            if std::fs::symlink_metadata(p).is_err() {
                return Err(SourceError::NotFound(p.display().to_string()));
            }
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
        builder.build_parallel().run(|| {
            let mut buf = Vec::new();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => visit_entry(&entry, max, &mut buf, stats, visit),
                    Err(err) => {
                        let (path, msg) = describe_error(&err);
                        stats.skip(path, SkipReason::Unreadable { error: msg });
                    }
                }
                WalkState::Continue
            })
        });
        Ok(())
    }
}

fn visit_entry(
    entry: &ignore::DirEntry,
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
    let path = display_path(entry.path());
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
    match read_capped(entry.path(), max, buf) {
        Ok(Some(())) => {}
        Ok(None) => {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(max + 1);
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
    match decode(buf) {
        Decoded::Binary => stats.skip(path, SkipReason::Binary),
        Decoded::Text(text) => {
            stats.scanned(buf.len() as u64);
            visit(&Blob {
                data: &text,
                places: &[Place::file(path)],
            });
        }
    }
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
    file.take(max + 1).read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(()))
}

/// Paths as the user typed them, without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s.into_owned(),
    }
}

fn describe_error(err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (display_path(path), describe_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_error(err)
        }
        ignore::Error::Loop { child, .. } => (display_path(child), "symlink loop".into()),
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
