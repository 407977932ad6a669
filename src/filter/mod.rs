//! Filters: findings the user has already reviewed and silenced.
//!
//! Four ways, each counted in the summary (never a silent drop): the inline
//! `keysweep:allow` marker on the matched line; a baseline file of accepted
//! fingerprints; the config's allowlists (path globs, secret regexes,
//! stopwords); and a gitignore-style ignore file. Filters run before
//! verification, so a suppressed key is never sent to a provider.

mod baseline;

pub use baseline::{read_baseline, write_baseline};

use crate::model::Finding;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::RegexSet;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The inline marker.
pub const ALLOW_MARKER: &[u8] = b"keysweep:allow";

/// True when `line` carries the inline allow marker.
pub fn inline_allowed(line: &[u8]) -> bool {
    memchr::memmem::find(line, ALLOW_MARKER).is_some()
}

/// The suppressions in effect (empty: nothing is suppressed).
#[derive(Debug, Default)]
pub struct Filters {
    baseline: HashSet<String>,
    paths: Option<GlobSet>,
    secrets: Option<RegexSet>,
    stopwords: Vec<String>,
    ignore_file: Option<Gitignore>,
}

/// A filter that cannot be built; the message names the file or setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

impl Filters {
    /// Suppress findings whose fingerprint is in `baseline`.
    pub fn with_baseline(mut self, baseline: HashSet<String>) -> Self {
        self.baseline = baseline;
        self
    }

    /// Allowlists: path globs, secret regexes, stopwords (case-insensitive
    /// substrings of the secret). `origin` names where they came from.
    pub fn with_allowlists(
        mut self,
        origin: &str,
        paths: &[String],
        secrets: &[String],
        stopwords: &[String],
    ) -> Result<Self, FilterError> {
        if !paths.is_empty() {
            let mut b = GlobSetBuilder::new();
            for p in paths {
                b.add(
                    Glob::new(p)
                        .map_err(|e| FilterError(format!("{origin}: allow.paths `{p}`: {e}")))?,
                );
            }
            self.paths = Some(
                b.build()
                    .map_err(|e| FilterError(format!("{origin}: allow.paths: {e}")))?,
            );
        }
        if !secrets.is_empty() {
            self.secrets = Some(RegexSet::new(secrets).map_err(|e| {
                FilterError(format!(
                    "{origin}: allow.secrets: {}",
                    e.to_string().lines().last().unwrap_or("")
                ))
            })?);
        }
        self.stopwords = stopwords.iter().map(|s| s.to_lowercase()).collect();
        Ok(self)
    }

    /// Suppress findings in paths matched by a gitignore-style file.
    pub fn with_ignore_file(mut self, path: &Path) -> Result<Self, FilterError> {
        crate::rules::regular_file(path)
            .map_err(|e| FilterError(format!("--ignore-file {}: {e}", path.display())))?;
        let mut b = GitignoreBuilder::new(std::env::current_dir().unwrap_or_default());
        if let Some(e) = b.add(path) {
            // The error may quote the offending line: name the line only.
            let line = match &e {
                ignore::Error::WithLineNumber { line, .. } => format!(" line {line}"),
                _ => String::new(),
            };
            return Err(FilterError(format!(
                "--ignore-file {}:{line}: not a valid gitignore pattern",
                path.display()
            )));
        }
        let gi = b
            .build()
            .map_err(|e| FilterError(format!("--ignore-file {}: {e}", path.display())))?;
        self.ignore_file = Some(gi);
        Ok(self)
    }

    /// Drop suppressed findings; return how many each filter took.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> BTreeMap<String, u64> {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        findings.retain(|f| match self.reason(f) {
            Some(why) => {
                *counts.entry(why.to_string()).or_insert(0) += 1;
                false
            }
            None => true,
        });
        counts
    }

    fn reason(&self, f: &Finding) -> Option<&'static str> {
        if self.baseline.contains(&f.fingerprint) {
            return Some("baseline");
        }
        if self.paths.as_ref().is_some_and(|g| g.is_match(&f.path)) {
            return Some("allow.paths");
        }
        if !f.secret.is_empty() {
            if self.secrets.as_ref().is_some_and(|r| r.is_match(&f.secret)) {
                return Some("allow.secrets");
            }
            let lower = f.secret.to_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return Some("allow.stopwords");
            }
        }
        if let Some(gi) = &self.ignore_file {
            if gi.matched_path_or_any_parents(&f.path, false).is_ignore() {
                return Some("ignore file");
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_anywhere_on_the_line() {
        assert!(inline_allowed(b"k = 'v' # keysweep:allow reviewed"));
        assert!(!inline_allowed(b"k = 'v' # keysweep allow"));
    }

    #[test]
    fn bad_allowlists_name_the_setting() {
        let e = Filters::default()
            .with_allowlists(".keysweep.toml", &[], &["(unclosed".into()], &[])
            .unwrap_err();
        assert!(e.0.starts_with(".keysweep.toml: allow.secrets"), "{e}");
        let e = Filters::default()
            .with_allowlists("cfg", &["a/[".into()], &[], &[])
            .unwrap_err();
        assert!(e.0.contains("allow.paths `a/[`"), "{e}");
    }
}
