//! The git-ignore lints, for working-tree scans: `env-file-not-ignored`
//! (a `.env` file git would commit, or already tracks) and
//! `missing-env-ignore` (dotenv in use, `.env` not ignored). Ignore decisions
//! are git's own (gitoxide's exclude stack: nested `.gitignore` files,
//! negations, `.git/info/exclude`, `core.excludesFile`; a path under an
//! ignored directory is ignored), not the walker's.

use super::{
    base_name, file_finding, is_dotenv_name, is_template, EnvSeen, ENV_FILE_NOT_IGNORED,
    MISSING_ENV_IGNORE,
};
use crate::model::{Finding, Severity};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// One repository touched by the scan.
struct RepoCtx {
    repo: gix::Repository,
    workdir: PathBuf,
    index: Option<gix::index::File>,
}

impl RepoCtx {
    /// Whether git would ignore the work-tree path `rel` (a file): it or one
    /// of its directories matches an ignore rule. `None` when that cannot be
    /// told (no index to build the stack from, an unreadable rules file).
    fn is_ignored(&self, rel: &str) -> Option<bool> {
        let empty;
        let state: &gix::index::State = match &self.index {
            Some(i) => i,
            None => {
                empty = gix::index::State::new(self.repo.object_hash());
                &empty
            }
        };
        let mut stack = self
            .repo
            .excludes(
                state,
                None,
                gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
            )
            .ok()?;
        let parts: Vec<&str> = rel.split('/').collect();
        for depth in 1..=parts.len() {
            let is_dir = depth < parts.len();
            let mode = if is_dir {
                gix::index::entry::Mode::DIR
            } else {
                gix::index::entry::Mode::FILE
            };
            let here = parts[..depth].join("/");
            if stack
                .at_path(Path::new(&here), Some(mode))
                .ok()?
                .is_excluded()
            {
                return Some(true);
            }
        }
        Some(false)
    }

    /// Whether the index tracks `rel`.
    fn is_tracked(&self, rel: &str) -> bool {
        self.index
            .as_ref()
            .is_some_and(|i| i.entry_by_path(rel.as_bytes().into()).is_some())
    }
}

/// Run both lints over the repositories that contain `roots`.
pub(super) fn check(
    roots: &[PathBuf],
    base: &Path,
    seen: &[EnvSeen],
    loader: Option<&str>,
    not_ignored: Option<Severity>,
    missing: Option<Severity>,
    out: &mut Vec<Finding>,
) {
    if not_ignored.is_none() && missing.is_none() {
        return;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    let cwd = cwd.as_path();
    let mut repos: BTreeMap<PathBuf, RepoCtx> = BTreeMap::new();
    for root in roots {
        let Ok(repo) = gix::discover(root) else {
            continue; // outside a git work tree these lints say nothing
        };
        let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
            continue;
        };
        if repos.contains_key(&workdir) {
            continue;
        }
        let index = crate::sources::read_index(&repo.index_path()).ok();
        repos.insert(
            workdir.clone(),
            RepoCtx {
                repo,
                workdir,
                index,
            },
        );
    }
    for ctx in repos.values() {
        let mine: Vec<&EnvSeen> = seen
            .iter()
            .filter(|s| relative(base, &ctx.workdir, &s.path).is_some())
            .collect();
        if let Some(sev) = not_ignored {
            env_files(ctx, cwd, base, roots, &mine, sev, out);
        }
        if let Some(sev) = missing {
            let loader = loader.filter(|l| relative(base, &ctx.workdir, l).is_some());
            missing_ignore(ctx, base, &mine, loader, sev, out);
        }
    }
}

/// `path` (as reported: relative to `base`, or as given on the command
/// line: relative to the current directory) relative to the work tree.
fn relative(base: &Path, workdir: &Path, path: &str) -> Option<String> {
    let abs = base.join(path);
    let abs = abs.canonicalize().unwrap_or(abs);
    let rel = abs.strip_prefix(workdir).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// How reports name a work-tree path: relative to the scan's base.
fn display(base: &Path, workdir: &Path, rel: &str) -> String {
    let abs = workdir.join(rel);
    match abs.strip_prefix(base) {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => abs.to_string_lossy().into_owned(),
    }
}

fn env_files(
    ctx: &RepoCtx,
    cwd: &Path,
    base: &Path,
    roots: &[PathBuf],
    seen: &[&EnvSeen],
    sev: Severity,
    out: &mut Vec<Finding>,
) {
    // (work-tree path, displayed path, holds a secret)
    let mut candidates: Vec<(String, String, bool)> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    for s in seen {
        if let Some(rel) = relative(base, &ctx.workdir, &s.path) {
            if known.insert(rel.clone()) {
                candidates.push((rel, s.path.clone(), s.has_secret));
            }
        }
    }
    // Tracked .env files the walk did not read (ignore rules made it skip
    // them): their content was not scanned here, so they count as holding no
    // secret, and templates among them are left alone.
    if let Some(index) = &ctx.index {
        let under_roots: Vec<String> = roots
            .iter()
            .filter_map(|r| relative(cwd, &ctx.workdir, &r.to_string_lossy()))
            .collect();
        for entry in index.entries() {
            let rel = entry.path(index).to_string();
            let inside = under_roots
                .iter()
                .any(|r| r.is_empty() || rel == *r || rel.starts_with(&format!("{r}/")));
            let name = base_name(&rel);
            if inside && is_dotenv_name(name) && !is_template(name) && known.insert(rel.clone()) {
                let shown = display(base, &ctx.workdir, &rel);
                candidates.push((rel, shown, false));
            }
        }
    }
    for (rel, shown, has_secret) in candidates {
        let name = base_name(&rel).to_string();
        // Templates (.env.example, .sample, .template, .dist) are meant to
        // be committed; a real key in one is its own finding.
        if is_template(&name) {
            continue;
        }
        let ignored = ctx.is_ignored(&rel).unwrap_or(false);
        let tracked = ctx.is_tracked(&rel);
        if ignored && !tracked {
            continue;
        }
        let line = if rel.contains('/') { rel.clone() } else { name };
        let mut message = if tracked {
            format!("{shown} is tracked by git (an ignore rule does not untrack it): run `git rm --cached {rel}`")
        } else {
            format!("{shown} is not ignored by git: the next `git add .` commits it")
        };
        if !ignored {
            message.push_str(&format!(
                "; append the line `{line}` to the .gitignore at the repository root"
            ));
        }
        if has_secret {
            message.push_str(", and rotate the keys it holds");
        }
        let severity = if has_secret {
            sev
        } else {
            sev.min(Severity::Medium)
        };
        let mut f = file_finding(&shown, ENV_FILE_NOT_IGNORED, severity, message);
        if !has_secret {
            f.confidence = crate::model::Confidence::Low;
            f.confidence_reasons = vec!["the file holds no secret keysweep recognises".to_string()];
        }
        out.push(f);
    }
}

fn missing_ignore(
    ctx: &RepoCtx,
    base: &Path,
    seen: &[&EnvSeen],
    loader: Option<&str>,
    sev: Severity,
    out: &mut Vec<Finding>,
) {
    if ctx.is_ignored(".env").unwrap_or(true) {
        return;
    }
    // Only a project with a dotenv file of its own (a template counts), or
    // code of its own that loads one: a library that merely depends on
    // dotenv, or mentions it, is not told to ignore files it never has.
    let own = seen.iter().find(|s| is_dotenv_name(base_name(&s.path)));
    let why = match (own, loader) {
        (Some(t), _) => Some(format!("{} shows the project reads .env files", t.path)),
        (None, Some(l)) => Some(format!("{l} loads .env files")),
        (None, None) => None,
    };
    if let Some(why) = why {
        let shown = display(base, &ctx.workdir, ".gitignore");
        out.push(file_finding(&shown, MISSING_ENV_IGNORE, sev, format!(
            "{why}, but no ignore rule covers .env: append the line `.env` to the .gitignore at the repository root"
        )));
    }
}
