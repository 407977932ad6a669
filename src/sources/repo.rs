//! Finding the repository the way git does: discovery upwards from the path
//! given, and, when git has set them (it does for hooks, and for commands run
//! with `--git-dir`/`--work-tree`), `GIT_DIR`, `GIT_WORK_TREE`,
//! `GIT_INDEX_FILE` (relative to the current directory, as git reads it) and
//! `GIT_COMMON_DIR`. A hook must read exactly the index git is about to
//! commit: `git commit -a`, `git commit <path>` and `--only` write a
//! temporary index and name it in `GIT_INDEX_FILE`.

use super::SourceError;
use std::path::{Path, PathBuf};

/// A repository opened for reading, with the paths the sources need.
pub(crate) struct Repo {
    /// The gitoxide handle (refs, config, objects, index path).
    pub repo: gix::Repository,
    /// Where objects, refs and shared config live (`GIT_COMMON_DIR` when set).
    pub common_dir: PathBuf,
}

impl Repo {
    /// Open the repository at or above `path`, honouring git's environment.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        if !path.exists() && std::env::var_os("GIT_DIR").is_none() {
            return Err(SourceError::NotFound(path.display().to_string()));
        }
        let mut repo = gix::discover_with_environment_overrides(path).map_err(|e| {
            let text = chain(&e);
            if text.contains("objectFormat") && text.contains("sha256") {
                return SourceError::Setup(format!(
                    "{}: a SHA-256 repository (extensions.objectFormat = sha256); keysweep reads SHA-1 repositories only for now",
                    path.display()
                ));
            }
            if text.contains("not a git repository")
                || text.contains("Could not find a git repository")
                || text.contains("does not appear to be a git repository")
            {
                SourceError::Setup(format!("{}: not a git repository", path.display()))
            } else {
                SourceError::Git(format!("{}: {}", path.display(), one_line(&text)))
            }
        })?;
        let common_dir = match std::env::var_os("GIT_COMMON_DIR") {
            Some(dir) if !dir.is_empty() => absolute(Path::new(&dir)),
            _ => repo.common_dir().to_path_buf(),
        };
        // This handle maps the same pack files as `odb::ObjectStore`, whose
        // release of resident pack pages relies on nothing unmapping them
        // while it runs: packs this handle maps stay mapped until it drops.
        repo.objects.prevent_pack_unload();
        Ok(Repo { repo, common_dir })
    }

    /// The index git reads (and, in a hook, is about to commit).
    pub fn index_path(&self) -> PathBuf {
        self.repo.index_path()
    }

    /// The work tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }
}

/// `p` made absolute against the current directory (as git anchors its
/// environment paths).
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    std::env::current_dir().map_or_else(|_| p.to_path_buf(), |cwd| cwd.join(p))
}

/// An error and its causes, on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![one_line(&e.to_string())];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = one_line(&c.to_string());
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

/// gitoxide's messages can span lines (a chain of causes); one line each.
pub(crate) fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

/// Where git runs this repository's hooks: `core.hooksPath` (relative to the
/// work tree, as git reads it) or the common directory's `hooks`.
pub fn hooks_dir(path: &Path) -> Result<PathBuf, SourceError> {
    let repo = Repo::open(path)?;
    let base = repo
        .workdir()
        .map_or_else(|| repo.repo.git_dir().to_path_buf(), Path::to_path_buf);
    let configured = repo
        .repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .map_err(|e| SourceError::Setup(format!("core.hooksPath: {}", one_line(&e.to_string()))))?;
    Ok(match configured {
        Some(p) if p.is_relative() => base.join(p),
        Some(p) => p,
        None => repo.common_dir.join("hooks"),
    })
}

/// The fingerprint key of the repository at or above `path`: SHA-256 of a
/// fixed label and the id of the root commit HEAD's first-parent line ends
/// at (the same in every clone); `None` outside a repository or before the
/// first commit.
pub fn fingerprint_key(path: &Path) -> Option<[u8; 32]> {
    use sha2::Digest;
    let repo = gix::discover(path).ok()?;
    let head = repo.head_id().ok()?;
    let walk = repo
        .rev_walk([head.detach()])
        .first_parent_only()
        .all()
        .ok()?;
    let root = walk.filter_map(Result::ok).last()?.id;
    let mut h = sha2::Sha256::new();
    h.update(b"keysweep fingerprint key v2\0");
    h.update(root.to_string().as_bytes());
    Some(h.finalize().into())
}

/// The text of `path` (repository-relative) in commit `rev`, or `None` when
/// the commit has no such file.
pub fn file_at(repo_path: &Path, rev: &str, path: &str) -> Result<Option<String>, SourceError> {
    let repo = Repo::open(repo_path)?;
    let bad = |e: &dyn std::fmt::Display| {
        SourceError::Setup(format!("{rev}:{path}: {}", one_line(&e.to_string())))
    };
    let commit = repo
        .repo
        .rev_parse_single(rev)
        .map_err(|e| bad(&e))?
        .object()
        .map_err(|e| bad(&e))?
        .peel_to_commit()
        .map_err(|e| bad(&e))?;
    let tree = commit.tree().map_err(|e| bad(&e))?;
    let Some(entry) = tree.lookup_entry_by_path(path).map_err(|e| bad(&e))? else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        // A symlink (or a directory) is not a settings file: absent.
        return Ok(None);
    }
    let object = entry.object().map_err(|e| bad(&e))?;
    Ok(Some(String::from_utf8_lossy(&object.data).into_owned()))
}

/// The commit the remote's default branch points at, as this clone last
/// saw it (`refs/remotes/<remote>/HEAD`; `origin` when no remote is named);
/// `None` when the clone does not know one (a first push to an empty remote).
pub fn remote_default_branch(repo_path: &Path, remote: &str) -> Option<String> {
    let repo = Repo::open(repo_path).ok()?;
    let remote = if remote.is_empty() { "origin" } else { remote };
    let mut reference = repo
        .repo
        .try_find_reference(format!("refs/remotes/{remote}/HEAD").as_str())
        .ok()??;
    let id = reference.peel_to_id().ok()?;
    let commit = id.object().ok()?.peel_to_commit().ok()?;
    Some(commit.id.to_string())
}
