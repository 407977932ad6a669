//! The staged source: what `git commit` would record now. The index is
//! diffed against HEAD (an unborn HEAD counts as empty); each added or
//! modified file's staged blob is scanned, and only findings on lines the
//! index adds are kept. This is the pre-commit check, so it reads only the
//! changed files and must stay fast in very large repositories.

use super::git::{added_lines, open_repo, path_string, scan_blob};
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

impl Source for StagedSource {
    fn for_each_blob(
        &self,
        stats: &SourceStats,
        visit: &(dyn Fn(&Blob<'_>) + Sync),
    ) -> Result<(), SourceError> {
        let repo = open_repo(&self.repo_path)?;
        let head = match repo.head() {
            Ok(h) => Some(h.peel_to_tree()?),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                None
            }
            Err(e) => return Err(SourceError::Git(format!("HEAD: {}", e.message()))),
        };
        let index = repo.index()?;
        let mut opts = DiffOptions::new();
        opts.include_typechange(true);
        let diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))?;
        let mut errors = Vec::new();
        for delta in diff.deltas() {
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Typechange | Delta::Renamed | Delta::Copied
            ) {
                continue;
            }
            let new = delta.new_file();
            if !matches!(new.mode(), FileMode::Blob | FileMode::BlobExecutable) {
                continue;
            }
            let path = path_string(new.path_bytes().unwrap_or_default());
            let added = if delta.status() == Delta::Modified
                && delta.old_file().mode() != FileMode::Commit
            {
                Some(Arc::new(added_lines(
                    &repo,
                    delta.old_file().id(),
                    new.id(),
                )?))
            } else {
                None
            };
            let places = [Place {
                path,
                provenance: Provenance::Staged,
                added_lines: added,
            }];
            if let Err(e) = scan_blob(&repo, new.id(), &places, self.max_file_size, stats, visit) {
                errors.push(format!("{}: {e}", places[0].path));
            }
        }
        super::git::fail_closed(errors)
    }
}
