//! Settings files and how far each is trusted.
//!
//! Trusted: a file named with `--config FILE`, and the user's own
//! `$XDG_CONFIG_HOME/keysweep/config.toml` (`~/.config/keysweep/config.toml`).
//! Not trusted: the scanned repository's `.keysweep.toml` (in the current
//! directory or at the work tree's root; `--no-config` ignores it), which
//! came with code the user may not have written. It may narrow what is
//! reported (allowlists, disabled rules, a baseline, an ignore file; each
//! suppression is counted under its name), but it may not set verification
//! endpoints or providers, and every file it names must be a regular file
//! inside the repository (no absolute path, no `..`, no symlink out). What
//! it may not do is refused with a one-line warning naming the file and the
//! key, and the rest of the file still applies. Rules it adds lose their
//! verification tables. Flags on the command line win over every file.
//! Unknown keys are errors naming the key, file, line and column; relative
//! paths are relative to the file.

use crate::model::Severity;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const CONFIG_NAME: &str = ".keysweep.toml";

/// The parsed file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Extra rules files or directories.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Rule ids not to run.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Exit 1 at or above this severity.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Rotation window (days) for `stale-key`.
    #[serde(default)]
    pub max_key_age: Option<u64>,
    /// Baseline file to suppress.
    #[serde(default)]
    pub baseline: Option<PathBuf>,
    /// Gitignore-style file of paths to suppress.
    #[serde(default)]
    pub ignore_file: Option<PathBuf>,
    /// Allowlists.
    #[serde(default)]
    pub allow: AllowConfig,
    /// Verification settings.
    #[serde(default)]
    pub verify: VerifyConfig,
    /// Exit 1 when anything was skipped or read only in part (like
    /// `--fail-on-skipped`); a scanned repository may turn it on, not off.
    #[serde(default)]
    pub fail_on_skipped: Option<bool>,
    /// Where the file was read from (set by the loader).
    #[serde(skip)]
    pub origin: Option<PathBuf>,
    /// The user's own file (or `--config`), not the scanned repository's.
    #[serde(skip)]
    pub trusted: bool,
}

/// The settings files in effect for one scan.
#[derive(Debug, Default)]
pub struct Settings {
    /// `--config FILE` or the user's own config (trusted), or empty.
    pub user: FileConfig,
    /// The scanned repository's `.keysweep.toml` (not trusted).
    pub repo: Option<FileConfig>,
    /// What the repository's file asked for and was refused, one line each.
    pub refused: Vec<String>,
}

impl Settings {
    /// Find the files: `--config FILE` alone when given; else the user's
    /// config and (unless `skip_repo`) the repository's `.keysweep.toml`
    /// looked for from `start`.
    pub fn discover(explicit: Option<&Path>, skip_repo: bool, start: &Path) -> Result<Self> {
        if let Some(p) = explicit {
            let mut user = FileConfig::load(p)?;
            user.trusted = true;
            return Ok(Settings {
                user,
                ..Settings::default()
            });
        }
        let mut s = Settings::default();
        if let Some(p) = user_config_path().filter(|p| p.is_file()) {
            s.user = FileConfig::load(&p)?;
            s.user.trusted = true;
        }
        if !skip_repo {
            match repo_config_path(start) {
                Ok(Some((path, root))) => {
                    let mut repo = FileConfig::load(&path)?;
                    s.refused = repo.restrict(RepoFiles::Dir(&root));
                    s.repo = Some(repo);
                }
                Ok(None) => {}
                Err(refused) => s.refused.push(refused),
            }
        }
        Ok(s)
    }

    /// Settings read from a commit (the base of a range): the user's own
    /// config when `user` (not when `--config` named a file in the
    /// repository, which replaces it), and the repository's file as `text`
    /// (`None`: the commit has none), under the same policy as a work
    /// tree's `.keysweep.toml`.
    pub fn from_commit(user: bool, text: Option<&str>, name: &str) -> Result<Self> {
        let mut s = if user {
            Settings::discover(None, true, Path::new("."))?
        } else {
            Settings::default()
        };
        if let Some(text) = text {
            let mut repo = FileConfig::parse(text, name)?;
            repo.origin = Some(PathBuf::from(name));
            s.refused = repo.restrict(RepoFiles::Commit);
            s.repo = Some(repo);
        }
        Ok(s)
    }
}

/// `$XDG_CONFIG_HOME/keysweep/config.toml`, else `~/.config/keysweep/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("keysweep").join("config.toml"))
}

/// The repository's `.keysweep.toml` for a scan starting at `start` (here,
/// or at the work tree's root), with the directory it may name files in.
/// A symlink to a file outside that directory is refused (the line says
/// why; the file is never opened, so nothing of it is shown).
fn repo_config_path(start: &Path) -> Result<Option<(PathBuf, PathBuf)>, String> {
    let root = gix::discover(start)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf));
    let here = start.join(CONFIG_NAME);
    let (path, dir) = if std::fs::symlink_metadata(&here).is_ok() {
        (here, root.unwrap_or_else(|| start.to_path_buf()))
    } else {
        let Some(root) = root else {
            return Ok(None);
        };
        let at_root = root.join(CONFIG_NAME);
        if std::fs::symlink_metadata(&at_root).is_err() {
            return Ok(None);
        }
        (at_root, root)
    };
    if let Err(why) = contained(&path, &dir) {
        return Err(format!("{}: {why} (ignored)", path.display()));
    }
    Ok(path.is_file().then_some((path, dir)))
}

/// Where a scanned repository's settings file finds the files it names.
#[derive(Debug, Clone, Copy)]
pub enum RepoFiles<'a> {
    /// The work tree: each must be a regular file inside this directory.
    Dir(&'a Path),
    /// A commit (a range's base): its baseline and ignore file are read
    /// from the commit by the caller; rules files are not loaded.
    Commit,
}

/// `[allow]`: findings to suppress.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowConfig {
    /// Path globs (`fixtures/**`, `**/*.snap`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the secret.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Case-insensitive words that mark a secret as not a leak.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// `[verify]`: endpoint overrides and limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Rule id -> URL (like `--verify-endpoint`).
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    /// Rule id -> provider (like `--verify-provider`).
    #[serde(default)]
    pub providers: BTreeMap<String, String>,
    /// Per-request timeout, seconds.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Requests in flight at once.
    #[serde(default)]
    pub concurrency: Option<usize>,
}

impl FileConfig {
    /// Read and parse `path`; errors name the file (and the key and line).
    pub fn load(path: &Path) -> Result<Self> {
        crate::rules::regular_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--config {}", path.display()))?;
        let mut cfg = FileConfig::parse(&text, &path.display().to_string())?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        cfg.rules.iter_mut().for_each(rel);
        cfg.baseline.as_mut().map(rel);
        cfg.ignore_file.as_mut().map(rel);
        cfg.origin = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parse a config file's text; errors name `name` (and the key and line).
    /// Relative paths in it stay relative: [`FileConfig::load`] resolves them.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{name}:{}", crate::rules::toml_error(text, &e)))
    }

    /// Apply the limits of a scanned repository's file (see the module
    /// comment), wherever it was read from: the one trust policy for
    /// repository settings. Returns what was refused, one line each.
    pub fn restrict(&mut self, files: RepoFiles<'_>) -> Vec<String> {
        let name = self.origin_name();
        let mut refused = Vec::new();
        self.trusted = false;
        if !self.verify.endpoints.is_empty() || !self.verify.providers.is_empty() {
            refused.push(format!(
                "{name}: [verify] endpoints/providers: a scanned repository's config may not choose where keys are sent (ignored)"
            ));
            self.verify.endpoints.clear();
            self.verify.providers.clear();
        }
        if self.fail_on_skipped == Some(false) {
            refused.push(format!(
                "{name}: fail_on_skipped = false: a scanned repository's config may not turn the check off (ignored)"
            ));
            self.fail_on_skipped = None;
        }
        let root = match files {
            RepoFiles::Dir(root) => root,
            RepoFiles::Commit => {
                if !self.rules.is_empty() {
                    refused.push(format!(
                        "{name}: rules: rules files from the base commit are not loaded (ignored)"
                    ));
                    self.rules.clear();
                }
                return refused;
            }
        };
        let inside = |p: &Path, key: &str, refused: &mut Vec<String>| -> bool {
            match contained(p, root) {
                Ok(()) => true,
                Err(why) => {
                    refused.push(format!("{name}: {key} {}: {why} (ignored)", p.display()));
                    false
                }
            }
        };
        let rules = std::mem::take(&mut self.rules);
        self.rules = rules
            .into_iter()
            .filter(|p| inside(p, "rules", &mut refused))
            .collect();
        if let Some(b) = self.baseline.take() {
            if inside(&b, "baseline", &mut refused) {
                self.baseline = Some(b);
            }
        }
        if let Some(i) = self.ignore_file.take() {
            if inside(&i, "ignore_file", &mut refused) {
                self.ignore_file = Some(i);
            }
        }
        refused
    }

    /// The file's name for messages.
    pub fn origin_name(&self) -> String {
        self.origin
            .as_ref()
            .map_or_else(|| CONFIG_NAME.to_string(), |p| p.display().to_string())
    }
}

/// A path a repository's file names must stay inside `root`: relative, no
/// `..`, and (following symlinks) inside it, a regular file.
fn contained(p: &Path, root: &Path) -> Result<(), String> {
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err("a path with `..`".into());
    }
    let real = p.canonicalize().map_err(|e| e.to_string())?;
    let root = root.canonicalize().map_err(|e| e.to_string())?;
    if !real.starts_with(&root) {
        return Err("outside the repository".into());
    }
    if !real.is_file() && !real.is_dir() {
        return Err("not a regular file".into());
    }
    Ok(())
}

/// The starter file `keysweep init` writes.
pub const STARTER: &str = r#"# keysweep configuration (https://github.com/keysweep/keysweep#configuration)
# Flags on the command line win over these settings. Paths are relative to this file.

# Extra rules files or directories (same format as keysweep's rules/*.toml).
# rules = ["ci/keysweep-rules"]

# Rules not to run (see `keysweep rules list`).
# disable = ["generic-bearer-token"]

# Exit 1 only for findings at or above this severity: low, medium, high, critical.
# fail_on = "low"

# Rotation window in days for the stale-key lint.
# max_key_age = 90

# Findings accepted after review (write one with `keysweep scan --write-baseline FILE`).
# baseline = ".keysweep-baseline.json"

# Paths to suppress, gitignore syntax.
# ignore_file = ".keysweepignore"

[allow]
# Globs of paths whose findings are suppressed.
# paths = ["fixtures/**", "**/*.snap"]
# Regexes: a secret matching one is not reported.
# secrets = ["^sk_test_"]
# Words: a secret containing one (case-insensitive) is not reported.
# stopwords = ["dummy"]

[verify]
# Send a rule's checks to another host (https, or http to a loopback address),
# e.g. a self-managed GitLab or a staging API with its own keys.
# endpoints = { "gitlab-pat" = "https://gitlab.example.com/api/v4/personal_access_tokens/self" }
# Say which provider a shared key shape belongs to.
# providers = { "stripe-secret-key" = "stripe" }
# timeout = 10
# concurrency = 8
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_parses() {
        let cfg: FileConfig = toml::from_str(STARTER).unwrap();
        assert!(cfg.rules.is_empty() && cfg.fail_on.is_none());
    }

    #[test]
    fn unknown_keys_name_key_and_line() {
        let t = tempfile::TempDir::new().unwrap();
        let p = t.path().join(".keysweep.toml");
        std::fs::write(&p, "fail_on = \"high\"\n[allow]\npath = [\"x\"]\n").unwrap();
        let e = FileConfig::load(&p).unwrap_err().to_string();
        assert!(
            e.contains(".keysweep.toml")
                && e.contains(":3:1:")
                && e.contains("unknown field `path`"),
            "{e}"
        );
    }
}
