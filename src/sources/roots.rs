//! How working-tree paths are named in reports, whatever way the user spelled
//! them: relative to the repository's work tree when every path scanned lies
//! in one repository, else relative to the deepest directory that holds them
//! all (a named directory itself; a named file's directory). `./x`, `x`,
//! `sub/../x` and `/abs/x` give the same name, from any current directory, so
//! fingerprints, baselines, ignore files and SARIF locations agree across
//! invocations.

use std::path::{Component, Path, PathBuf};

/// The base directory and, per path given, its name relative to the base.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    base: PathBuf,
    in_repo: bool,
    /// (the path as given, its name relative to `base`)
    given: Vec<(PathBuf, String)>,
}

impl Roots {
    /// Name the paths given on the command line (they must exist).
    pub fn new(paths: &[PathBuf]) -> Self {
        let located: Vec<(PathBuf, PathBuf, bool)> = paths
            .iter()
            .map(|p| {
                let abs = absolute(p);
                let is_dir = abs.is_dir();
                (p.clone(), abs, is_dir)
            })
            .collect();
        let workdir = located.first().and_then(|(_, abs, _)| work_tree(abs));
        let (base, in_repo) = match workdir {
            Some(w) if located.iter().all(|(_, abs, _)| abs.starts_with(&w)) => (w, true),
            _ => (common_dir(&located), false),
        };
        let given = located
            .into_iter()
            .map(|(p, abs, _)| {
                let name = abs
                    .strip_prefix(&base)
                    .map(slashed)
                    .unwrap_or_else(|_| slashed(&abs));
                (p, name)
            })
            .collect();
        Roots {
            base,
            in_repo,
            given,
        }
    }

    /// The directory names are relative to (absolute, symlinks resolved).
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// True when the base is a repository's work tree.
    pub fn in_repository(&self) -> bool {
        self.in_repo
    }

    /// The report name of `path`, a path the walk produced under one of the
    /// given paths (as the walk spells it: the given path joined with names).
    pub fn name(&self, path: &Path) -> String {
        for (given, name) in &self.given {
            if let Ok(rest) = path.strip_prefix(given) {
                let rest = super::tree::display_path(rest);
                return match (name.is_empty(), rest.is_empty()) {
                    (_, true) => name.clone(),
                    (true, false) => rest,
                    (false, false) => format!("{name}/{rest}"),
                };
            }
        }
        super::tree::display_path(path)
    }
}

/// `p` made absolute without resolving its last component (a symlink named
/// on the command line keeps its own name); `.` and `..` are resolved.
fn absolute(p: &Path) -> PathBuf {
    let joined = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (joined.parent(), joined.components().next_back()) {
        (Some(parent), Some(Component::Normal(name))) => parent
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| joined.clone()),
        _ => joined.canonicalize().unwrap_or(joined),
    }
}

/// The work tree of the repository holding `path`, canonical (`None`
/// outside a repository and for a bare one).
pub fn work_tree(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let start = if abs.is_dir() { &abs } else { abs.parent()? };
    let repo = gix::discover(start).ok()?;
    repo.workdir()?.canonicalize().ok()
}

/// The deepest directory holding every located path.
fn common_dir(located: &[(PathBuf, PathBuf, bool)]) -> PathBuf {
    let mut dirs = located.iter().map(|(_, abs, is_dir)| {
        if *is_dir {
            abs.clone()
        } else {
            abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf)
        }
    });
    let Some(mut common) = dirs.next() else {
        return PathBuf::new();
    };
    for d in dirs {
        while !d.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

fn slashed(p: &Path) -> String {
    super::tree::display_path(p).replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_name_alike() {
        let t = tempfile::TempDir::new().unwrap();
        let root = t.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("sub/deep")).unwrap();
        std::fs::write(root.join("sub/deep/x.env"), "").unwrap();
        let roots = Roots::new(&[root.join("sub")]);
        assert_eq!(roots.base(), root.join("sub"));
        assert_eq!(roots.name(&root.join("sub/deep/x.env")), "deep/x.env");
        let dotted = root.join("sub/deep/../deep");
        let roots = Roots::new(std::slice::from_ref(&dotted));
        assert_eq!(roots.name(&dotted.join("x.env")), "x.env");
        // Two paths: named from the directory holding both.
        let roots = Roots::new(&[root.join("sub/deep/x.env"), root.join("sub")]);
        assert_eq!(roots.base(), root.join("sub"));
        assert_eq!(roots.name(&root.join("sub/deep/x.env")), "deep/x.env");
    }
}
