//! `.keysweep.toml`: settings a repository keeps with its code.
//!
//! Looked for in the current directory, then at the root of the git work
//! tree (or `--config FILE`; `--no-config` skips it). Flags given on the
//! command line win over the file. Unknown keys are errors that name the key
//! and the file, so a typo never silently disables a setting. Relative paths
//! in the file are relative to the file.

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
    /// Where the file was read from (set by the loader).
    #[serde(skip)]
    pub origin: Option<PathBuf>,
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

    /// `--config FILE`, or `.keysweep.toml` in `start` or at the root of the
    /// git work tree containing it; the default (empty) config otherwise.
    pub fn discover(explicit: Option<&Path>, skip: bool, start: &Path) -> Result<Self> {
        if let Some(p) = explicit {
            return Self::load(p);
        }
        if skip {
            return Ok(FileConfig::default());
        }
        let here = start.join(CONFIG_NAME);
        if here.is_file() {
            return Self::load(&here);
        }
        if let Ok(repo) = gix::discover(start) {
            if let Some(root) = repo.workdir() {
                let at_root = root.join(CONFIG_NAME);
                if at_root.is_file() {
                    return Self::load(&at_root);
                }
            }
        }
        Ok(FileConfig::default())
    }

    /// The file's name for messages.
    pub fn origin_name(&self) -> String {
        self.origin
            .as_ref()
            .map_or_else(|| CONFIG_NAME.to_string(), |p| p.display().to_string())
    }
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
