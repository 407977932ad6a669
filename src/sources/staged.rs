//! The staged source: what `git commit` would record now. The index is
//! diffed against HEAD (an unborn HEAD counts as empty); each added or
//! modified file's staged blob is scanned, and only findings on lines the
//! index adds are kept. This is the pre-commit check, so it reads only the
//! changed files and must stay fast in very large repositories.

use super::git::{added_lines, is_unborn, open_repo, path_string, scan_blob};
use super::index::{self, StagedChange};
use super::{Blob, Place, Source, SourceError, SourceStats};
use crate::findings::Provenance;
use git2::{Delta, DiffOptions, FileMode};
use std::path::PathBuf;
use std::sync::Arc;

/// The index of one repository.
#[derive(Debug, Clone)]
pub struct StagedSource {
    repo_path: PathBuf,
    max_file_size: u64,
}

impl StagedSource {
    /// A staged source; fails at once when `repo_path` is not a repository.
    pub fn new(repo_path: PathBuf, max_file_size: u64) -> Result<Self, SourceError> {
        if !repo_path.exists() {
            return Err(SourceError::NotFound(repo_path.display().to_string()));
        }
        let repo = open_repo(&repo_path)?;
        if repo.is_bare() {
            return Err(SourceError::Setup(format!(
                "{}: a bare repository has no index to check",
                repo_path.display()
            )));
        }
        Ok(StagedSource {
            repo_path,
            max_file_size,
        })
    }
}

/// The same answer as `index::staged_changes`, through libgit2's diff: for
/// indexes the fast reader leaves alone.
fn libgit2_changes(
    repo: &git2::Repository,
    head: Option<&git2::Tree<'_>>,
) -> Result<Vec<StagedChange>, SourceError> {
    let index = repo.index()?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let diff = repo.diff_tree_to_index(head, Some(&index), Some(&mut opts))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Typechange | Delta::Renamed | Delta::Copied
        ) {
            continue;
        }
        let new = delta.new_file();
        let old = delta.old_file();
        let old_is_blob = matches!(old.mode(), FileMode::Blob | FileMode::BlobExecutable);
        out.push(StagedChange {
            path: new.path_bytes().unwrap_or_default().to_vec(),
            blob: new.id(),
            mode: u32::from(new.mode()),
            old: (delta.status() == Delta::Modified && old_is_blob).then(|| old.id()),
        });
    }
    Ok(out)
}

impl Source for StagedSource {
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let repo = open_repo(&self.repo_path)?;
        let head = match repo.head() {
            Ok(h) => Some(h.peel_to_tree()?),
            Err(e) if is_unborn(&e) => None,
            Err(e) => return Err(SourceError::Git(format!("HEAD: {}", e.message()))),
        };
        let changes = match index::staged_changes(&repo, head.as_ref()) {
            Some(c) => c,
            None => libgit2_changes(&repo, head.as_ref())?,
        };
        let mut errors = Vec::new();
        for change in changes {
            if !matches!(change.mode & 0o170000, 0o100000) {
                continue; // symlinks, submodules
            }
            let added = match change.old {
                Some(old) => Some(Arc::new(added_lines(&repo, old, change.blob)?)),
                None => None,
            };
            let places = [Place {
                path: path_string(&change.path),
                provenance: Provenance::Staged,
                added_lines: added,
            }];
            if let Err(e) = scan_blob(
                &repo,
                change.blob,
                &places,
                self.max_file_size,
                stats,
                visit,
            ) {
                errors.push(format!("{}: {e}", places[0].path));
            }
        }
        super::git::fail_closed(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn put(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn sorted(mut v: Vec<StagedChange>) -> Vec<StagedChange> {
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    /// The fast index reader and libgit2's diff agree, for index versions 2
    /// and 4, across added, modified, deleted, nested and mode-changed files.
    #[test]
    fn fast_index_reader_matches_libgit2() {
        for version in ["2", "4"] {
            let t = tempfile::TempDir::new().unwrap();
            let d = t.path();
            git(d, &["init", "-q", "-b", "main"]);
            for i in 0..30 {
                put(d, &format!("a/b{}/c/file{i}.txt", i % 3), &format!("{i}\n"));
                put(d, &format!("top{i}.txt",), "x\n");
            }
            put(d, "a.txt", "sorts before a/\n");
            put(d, "a-b/x.txt", "dash\n");
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", "base"]);
            git(d, &["update-index", "--index-version", version]);
            put(d, "a/b1/c/file1.txt", "changed\n");
            put(d, "a/b2/new/deep.txt", "new dir\n");
            put(d, "top3.txt", "changed too\n");
            put(d, "zz.txt", "added at the end\n");
            std::fs::remove_file(d.join("top4.txt")).unwrap();
            git(d, &["add", "-A"]);
            git(d, &["update-index", "--chmod=+x", "top5.txt"]);
            let repo = git2::Repository::open(d).unwrap();
            let head = repo.head().unwrap().peel_to_tree().unwrap();
            let fast =
                index::staged_changes(&repo, Some(&head)).expect("fast path handles this index");
            let slow = libgit2_changes(&repo, Some(&head)).unwrap();
            assert_eq!(sorted(fast.clone()), sorted(slow), "index v{version}");
            let paths: Vec<String> = sorted(fast).iter().map(|c| path_string(&c.path)).collect();
            assert_eq!(
                paths,
                [
                    "a/b1/c/file1.txt",
                    "a/b2/new/deep.txt",
                    "top3.txt",
                    "top5.txt",
                    "zz.txt"
                ],
                "index v{version}"
            );
            // Before the first commit everything staged is new.
            let fresh = tempfile::TempDir::new().unwrap();
            git(fresh.path(), &["init", "-q"]);
            put(fresh.path(), "x/y.txt", "y\n");
            git(fresh.path(), &["add", "-A"]);
            let repo = git2::Repository::open(fresh.path()).unwrap();
            let fast = index::staged_changes(&repo, None).unwrap();
            assert_eq!(fast.len(), 1);
            assert_eq!(fast[0].old, None);
        }
    }
}
