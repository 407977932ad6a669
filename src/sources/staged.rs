//! The staged source: exactly what `git commit` is about to record. The
//! index git names (`GIT_INDEX_FILE` in a hook: `git commit -a`, `<path>`
//! and `--only` commit a temporary index; `.git/index` otherwise, see
//! `repo`) is diffed against HEAD (an unborn HEAD counts as empty); each
//! added or modified file's staged blob is scanned, and only findings on
//! lines the index adds are kept (diffed on decoded text, `linediff`). This
//! is the pre-commit check, so it reads only the changed files and must stay
//! fast in very large repositories.

use super::index::{self, StagedChange};
use super::odb::{ObjectStore, Reader};
use super::repo::{one_line, Repo};
use super::{linediff, Blob, Place, SkipReason, Source, SourceError, SourceStats};
use crate::model::Provenance;
use std::path::PathBuf;
use std::sync::Arc;

/// Delta-base cache for the few objects a staged check reads.
const CACHE: usize = 1 << 20;

/// The index of one repository.
#[derive(Debug, Clone)]
pub struct StagedSource {
    repo_path: PathBuf,
    max_file_size: u64,
}

impl StagedSource {
    /// A staged source; fails at once when `repo_path` is not in a
    /// repository with a work tree (or an index git names).
    pub fn new(repo_path: PathBuf, max_file_size: u64) -> Result<Self, SourceError> {
        let repo = Repo::open(&repo_path)?;
        if repo.workdir().is_none() && std::env::var_os("GIT_INDEX_FILE").is_none() {
            return Err(SourceError::Setup(format!(
                "{}: a bare repository has no index to check (use --git-dir with --work-tree, as git does)",
                repo_path.display()
            )));
        }
        Ok(StagedSource {
            repo_path,
            max_file_size,
        })
    }
}

/// HEAD's tree, or `None` for an unborn HEAD.
fn head_tree(repo: &gix::Repository) -> Result<Option<gix_hash::ObjectId>, SourceError> {
    let bad =
        |e: &dyn std::fmt::Display| SourceError::Git(format!("HEAD: {}", one_line(&e.to_string())));
    let mut head = repo.head().map_err(|e| bad(&e))?;
    if head.is_unborn() {
        return Ok(None);
    }
    let commit = head.peel_to_commit().map_err(|e| bad(&e))?;
    let tree = commit.tree_id().map_err(|e| bad(&e))?;
    Ok(Some(tree.detach()))
}

impl Source for StagedSource {
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let repo = Repo::open(&self.repo_path)?;
        let head = head_tree(&repo.repo)?;
        let index = index::read(&repo.index_path())?;
        let store = ObjectStore::open(&repo.common_dir)?;
        let mut reader = store.reader(CACHE);
        let changes = index::staged_changes(&mut reader, &index, head)?;
        let mut errors = Vec::new();
        let mut buf = Vec::new();
        for change in changes {
            let path = crate::model::display_path_bytes(&change.path);
            match change.mode & 0o170000 {
                0o100000 => {}
                0o120000 => {
                    stats.skip(path, SkipReason::Symlink);
                    continue;
                }
                0o160000 => {
                    stats.skip(path, SkipReason::Submodule);
                    continue;
                }
                _ => continue, // no other kind of entry holds content
            }
            if let Err(e) = scan_change(
                &mut reader,
                &mut buf,
                &change,
                path.clone(),
                self.max_file_size,
                stats,
                visit,
            ) {
                errors.push(format!("{path}: {e}"));
            }
        }
        super::git::fail_closed(errors)
    }
}

/// Read one staged blob (size checked before it is read), work out the
/// lines it adds over HEAD's version, and visit it.
fn scan_change(
    reader: &mut Reader,
    buf: &mut Vec<u8>,
    change: &StagedChange,
    path: String,
    max: u64,
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> Result<(), SourceError> {
    let size = reader.size(&change.blob)?;
    if size > max {
        stats.skip(path, SkipReason::TooLarge { size });
        return Ok(());
    }
    let old = match change.old {
        // An old side too large to read cannot be diffed: every line counts.
        Some(old) => {
            let old_size = reader.size(&old)?;
            (old_size <= max).then_some((old, old_size))
        }
        None => None,
    };
    let added = match old {
        Some((old, old_size)) if linediff::is_large(old_size, size) => {
            // Leaves the new side in `buf`.
            linediff::added_lines_large(reader, &old, &change.blob, buf)?.map(Arc::new)
        }
        Some((old, _)) => {
            reader.read_into(&change.blob, buf)?;
            let mut old_data = reader.buffer();
            reader.read_into(&old, &mut old_data)?;
            let lines = linediff::added_lines(&old_data, buf);
            reader.recycle(old_data);
            lines.map(Arc::new)
        }
        None => {
            reader.read_into(&change.blob, buf)?;
            None
        }
    };
    let places = [Place {
        path,
        provenance: Provenance::Staged,
        added_lines: added,
        archive: None,
    }];
    super::git::visit_raw(buf, &change.blob, &places, stats, visit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::test_git as git;
    use std::path::Path;

    fn put(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Paths the index reader finds staged, sorted.
    fn staged_paths(dir: &Path) -> Vec<String> {
        let repo = gix::open(dir).unwrap();
        let head = head_tree(&repo).unwrap();
        let index = index::read(&repo.index_path()).unwrap();
        let store = ObjectStore::open(repo.common_dir()).unwrap();
        let mut reader = store.reader(CACHE);
        let mut paths: Vec<String> = index::staged_changes(&mut reader, &index, head)
            .unwrap()
            .iter()
            .map(|c| crate::model::display_path_bytes(&c.path))
            .collect();
        paths.sort();
        paths
    }

    /// What `git diff --cached` lists as added, modified or type-changed.
    fn git_paths(dir: &Path) -> Vec<String> {
        let out = git(
            dir,
            &[
                "diff",
                "--cached",
                "--no-renames",
                "--name-only",
                "--diff-filter=AMT",
            ],
        );
        let mut v: Vec<String> = out.lines().map(str::to_string).collect();
        v.sort();
        v
    }

    fn base_repo(d: &Path) {
        git(d, &["init", "-q", "-b", "main"]);
        for i in 0..30 {
            put(d, &format!("a/b{}/c/file{i}.txt", i % 3), &format!("{i}\n"));
            put(d, &format!("top{i}.txt",), "x\n");
        }
        put(d, "a.txt", "sorts before a/\n");
        put(d, "a-b/x.txt", "dash\n");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "base"]);
    }

    fn change_some(d: &Path) {
        put(d, "a/b1/c/file1.txt", "changed\n");
        put(d, "a/b2/new/deep.txt", "new dir\n");
        put(d, "top3.txt", "changed too\n");
        put(d, "zz.txt", "added at the end\n");
        std::fs::remove_file(d.join("top4.txt")).unwrap();
        git(d, &["add", "-A"]);
        git(d, &["update-index", "--chmod=+x", "top5.txt"]);
    }

    /// The index reader and `git diff --cached` agree, for index versions 2,
    /// 3 and 4 and a split index, across added, modified, deleted, nested
    /// and mode-changed files.
    #[test]
    fn index_reader_matches_git() {
        for variant in ["2", "3", "4", "split"] {
            let t = tempfile::TempDir::new().unwrap();
            let d = t.path();
            base_repo(d);
            if variant == "split" {
                git(d, &["update-index", "--split-index"]);
            } else {
                git(d, &["update-index", "--index-version", variant]);
            }
            change_some(d);
            let want = git_paths(d);
            assert_eq!(staged_paths(d), want, "index {variant}");
            assert_eq!(
                want,
                [
                    "a/b1/c/file1.txt",
                    "a/b2/new/deep.txt",
                    "top3.txt",
                    "top5.txt",
                    "zz.txt"
                ]
            );
        }
        // Before the first commit everything staged is new.
        let fresh = tempfile::TempDir::new().unwrap();
        git(fresh.path(), &["init", "-q"]);
        put(fresh.path(), "x/y.txt", "y\n");
        git(fresh.path(), &["add", "-A"]);
        assert_eq!(staged_paths(fresh.path()), ["x/y.txt"]);
    }

    /// A sparse index keeps whole directories as one entry: they are read,
    /// and a change staged inside the cone is found.
    #[test]
    fn sparse_index_is_read() {
        let t = tempfile::TempDir::new().unwrap();
        let d = t.path();
        base_repo(d);
        git(d, &["sparse-checkout", "init", "--cone", "--sparse-index"]);
        git(d, &["sparse-checkout", "set", "a/b1"]);
        let ls = git(d, &["ls-files", "--sparse", "-s"]);
        assert!(ls.contains("040000"), "the index is sparse: {ls}");
        put(d, "a/b1/c/new.txt", "inside the cone\n");
        git(d, &["add", "a/b1/c/new.txt"]);
        assert_eq!(staged_paths(d), git_paths(d));
        assert_eq!(staged_paths(d), ["a/b1/c/new.txt"]);
    }
}
