//! Filters: findings the user has already reviewed and silenced.
//!
//! Five ways, each counted in the summary by filter and by where it came
//! from (never a silent drop): the inline `keysweep:allow` marker on the
//! matched line; a baseline file of accepted fingerprints; a config's
//! allowlists (path globs, secret regexes, stopwords); rules a scanned
//! repository's config disables (its findings are dropped here, visibly,
//! rather than never looked for); and a gitignore-style ignore file.
//! Filters run before verification, so a suppressed key is never sent to a
//! provider.

mod baseline;

pub use baseline::{parse_baseline, read_baseline, write_baseline};

use crate::model::Finding;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::RegexSet;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The inline marker.
pub const ALLOW_MARKER: &[u8] = b"keysweep:allow";

/// True when `line` (of the file at `path`) carries the inline allow marker
/// in a comment, by the file's comment syntax (see [`comment_openers`]): the
/// marker must follow a comment opener that is not inside a string literal.
/// A marker inside a string (`key = "sk_live_... keysweep:allow"`) is data,
/// not a reviewer's note, and counts for nothing.
pub fn inline_allowed(line: &[u8], path: &str) -> bool {
    let Some(at) = memchr::memmem::find(line, ALLOW_MARKER) else {
        return false;
    };
    let openers = comment_openers(path);
    if openers.is_empty() {
        return false;
    }
    let before = &line[..at];
    // Walk the line up to the marker, tracking string literals; the marker
    // counts when a comment opener starts outside every string.
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < before.len() {
        let b = before[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == q {
                    quote = None;
                }
            }
            None => {
                if openers.iter().any(|o| {
                    before[i..].starts_with(o.as_bytes())
                        && (*o != "--" || i == 0 || before[i - 1] == b' ' || before[i - 1] == b'\t')
                }) {
                    return true;
                }
                if matches!(b, b'"' | b'\'' | b'`') {
                    quote = Some(b);
                }
            }
        }
        i += 1;
    }
    false
}

/// The line-comment and block-comment openers of the file at `path`, by
/// extension or name; files without comments (JSON) have none, so an inline
/// allow never counts there. Unknown kinds accept the common openers.
pub fn comment_openers(path: &str) -> &'static [&'static str] {
    const HASH: &[&str] = &["#"];
    const SLASH: &[&str] = &["//", "/*"];
    const SLASH_HASH: &[&str] = &["//", "/*", "#"];
    const DASH: &[&str] = &["--", "/*"];
    const SEMI: &[&str] = &[";", "#"];
    const XML: &[&str] = &["<!--"];
    const CSS: &[&str] = &["/*"];
    const BASIC: &[&str] = &["'", "REM ", "rem ", "::"];
    const TEX: &[&str] = &["%"];
    const ANY: &[&str] = &["#", "//", "/*", "--", ";", "<!--"];
    // A commit or tag message is written by whoever made the commit: an
    // allow in it would silence the very key it carries.
    if path.starts_with("(commit message)") || path.starts_with("(tag message ") {
        return &[];
    }
    let name = path.rsplit(['/', '!']).next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if crate::model::is_dotenv_name(name) {
        return HASH;
    }
    match lower.as_str() {
        "dockerfile" | "containerfile" | "makefile" | "gnumakefile" | "gemfile" | "rakefile"
        | "vagrantfile" | "procfile" | "pipfile" | "brewfile" | "podfile" | ".gitignore"
        | ".dockerignore" | ".npmrc" | ".yarnrc" | ".netrc" | ".pypirc" | ".gitconfig"
        | "config" | "credentials" | "known_hosts" | "authorized_keys" => return HASH,
        _ => {}
    }
    let ext = match lower.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext,
        _ => return ANY,
    };
    match ext {
        "py" | "pyi" | "rb" | "rake" | "gemspec" | "sh" | "bash" | "zsh" | "fish" | "ksh"
        | "yaml" | "yml" | "toml" | "env" | "conf" | "cfg" | "properties" | "pl" | "pm" | "r"
        | "ps1" | "psm1" | "psd1" | "mk" | "cmake" | "nix" | "ex" | "exs" | "jl" | "coffee"
        | "cr" | "awk" | "tcl" | "txt" | "dockerfile" | "gitignore" | "nim" | "graphql" | "gql"
        | "service" | "desktop" | "pp" | "hcl" | "envrc" => HASH,
        "tf" | "tfvars" | "php" => SLASH_HASH,
        "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "hh" | "cs" | "java" | "kt" | "kts"
        | "scala" | "sc" | "groovy" | "gradle" | "go" | "rs" | "swift" | "dart" | "js" | "jsx"
        | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" | "json5" | "jsonc" | "proto" | "sol"
        | "zig" | "scss" | "less" | "m" | "mm" | "fs" | "fsx" | "v" | "sv" | "hx"
        | "jenkinsfile" | "bicep" => SLASH,
        "sql" | "lua" | "hs" | "elm" | "ada" | "adb" | "vhd" | "vhdl" => DASH,
        "ini" | "clj" | "cljs" | "edn" | "lisp" | "el" | "scm" | "asm" | "s" | "reg" => SEMI,
        "xml" | "html" | "htm" | "xhtml" | "svg" | "csproj" | "vbproj" | "fsproj" | "props"
        | "targets" | "plist" | "md" | "markdown" | "jsp" | "aspx" | "xaml" | "resx" | "nuspec"
        | "pom" | "wsdl" | "xsd" | "vue" | "svelte" | "config" | "cshtml" | "razor" => XML,
        "css" => CSS,
        "vb" | "vbs" | "bas" | "bat" | "cmd" => BASIC,
        "tex" | "sty" | "erl" | "hrl" => TEX,
        "json" | "ipynb" | "csv" | "lock" | "pem" | "key" | "crt" | "der" | "p12" | "pfx" => &[],
        _ => ANY,
    }
}

/// The suppressions in effect (empty: nothing is suppressed).
#[derive(Debug, Default)]
pub struct Filters {
    baseline: HashSet<String>,
    baseline_label: String,
    layers: Vec<Layer>,
    ignore_file: Option<IgnoreFile>,
    /// The directory finding paths are relative to (absolute).
    base: Option<PathBuf>,
    legacy_hits: std::sync::atomic::AtomicU64,
}

/// One config's allowlists and disabled rules, with where they came from.
#[derive(Debug)]
struct Layer {
    origin: String,
    paths: Option<GlobSet>,
    secrets: Option<RegexSet>,
    stopwords: Vec<String>,
    disabled: HashSet<String>,
}

/// A gitignore-style file of paths to suppress.
#[derive(Debug)]
struct IgnoreFile {
    patterns: Gitignore,
    label: String,
    dir: IgnoreDir,
}

/// Where an ignore file's patterns are rooted.
#[derive(Debug)]
enum IgnoreDir {
    /// A file on disk: its own directory (canonical), as a `.gitignore`;
    /// the scan's base when the file lies outside it.
    Disk(PathBuf),
    /// A file read from a commit: its directory in the repository.
    Repo(String),
}

/// A filter that cannot be built; the message names the file or setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

impl Filters {
    /// Suppress findings whose fingerprint is in `baseline`; `label` names
    /// it in the summary.
    pub fn with_baseline(mut self, baseline: HashSet<String>, label: &str) -> Self {
        self.baseline = baseline;
        self.baseline_label = label.to_string();
        self
    }

    /// Drop (and count) findings of these rules: a scanned repository's
    /// `disable` list.
    pub fn with_disabled(mut self, origin: &str, rules: &[String]) -> Self {
        if !rules.is_empty() {
            self.layers.push(Layer {
                origin: origin.to_string(),
                paths: None,
                secrets: None,
                stopwords: Vec::new(),
                disabled: rules.iter().cloned().collect(),
            });
        }
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
        let mut layer = Layer {
            origin: origin.to_string(),
            paths: None,
            secrets: None,
            stopwords: Vec::new(),
            disabled: HashSet::new(),
        };
        if !paths.is_empty() {
            let mut b = GlobSetBuilder::new();
            for p in paths {
                b.add(
                    Glob::new(p)
                        .map_err(|e| FilterError(format!("{origin}: allow.paths `{p}`: {e}")))?,
                );
            }
            layer.paths = Some(
                b.build()
                    .map_err(|e| FilterError(format!("{origin}: allow.paths: {e}")))?,
            );
        }
        if !secrets.is_empty() {
            layer.secrets = Some(RegexSet::new(secrets).map_err(|e| {
                FilterError(format!(
                    "{origin}: allow.secrets: {}",
                    e.to_string().lines().last().unwrap_or("")
                ))
            })?);
        }
        layer.stopwords = stopwords.iter().map(|s| s.to_lowercase()).collect();
        if layer.paths.is_some() || layer.secrets.is_some() || !layer.stopwords.is_empty() {
            self.layers.push(layer);
        }
        Ok(self)
    }

    /// Suppress findings in paths matched by a gitignore-style file.
    pub fn with_ignore_file(self, path: &Path) -> Result<Self, FilterError> {
        let label = format!("ignore file {}", path.display());
        self.with_ignore_file_labelled(path, &label)
    }

    /// [`Filters::with_ignore_file`], named `label` in the summary.
    pub fn with_ignore_file_labelled(
        mut self,
        path: &Path,
        label: &str,
    ) -> Result<Self, FilterError> {
        crate::rules::regular_file(path)
            .map_err(|e| FilterError(format!("--ignore-file {}: {e}", path.display())))?;
        let dir = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().and_then(|d| d.canonicalize().ok()))
            .unwrap_or_default();
        let mut b = GitignoreBuilder::new(&dir);
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
        self.ignore_file = Some(IgnoreFile {
            patterns: gi,
            label: label.to_string(),
            dir: IgnoreDir::Disk(dir),
        });
        Ok(self)
    }

    /// Suppress findings in paths matched by gitignore-style `text` (an
    /// ignore file read from a commit, in the repository directory `dir`);
    /// `name` for messages and the summary.
    pub fn with_ignore_text(
        mut self,
        name: &str,
        text: &str,
        dir: &str,
    ) -> Result<Self, FilterError> {
        let mut b = GitignoreBuilder::new("");
        for (n, line) in text.lines().enumerate() {
            b.add_line(None, line).map_err(|_| {
                FilterError(format!(
                    "{name}: line {}: not a valid gitignore pattern",
                    n + 1
                ))
            })?;
        }
        let gi = b
            .build()
            .map_err(|_| FilterError(format!("{name}: not a valid ignore file")))?;
        self.ignore_file = Some(IgnoreFile {
            patterns: gi,
            label: format!("ignore file {name}"),
            dir: IgnoreDir::Repo(dir.trim_matches('/').to_string()),
        });
        Ok(self)
    }

    /// Finding paths are relative to `base` (the repository's work tree or
    /// the tree scan's root); `None`: the current directory.
    pub fn with_base(mut self, base: Option<PathBuf>) -> Self {
        self.base = base.or_else(|| std::env::current_dir().ok());
        self
    }

    /// Whether the ignore file covers `path` (a finding's path).
    fn ignored(&self, ignore: &IgnoreFile, path: &str) -> bool {
        let rel = match &ignore.dir {
            IgnoreDir::Disk(dir) => {
                let Some(base) = &self.base else {
                    return false;
                };
                if dir.starts_with(base) {
                    base.join(path)
                        .strip_prefix(dir)
                        .ok()
                        .map(Path::to_path_buf)
                } else {
                    Some(PathBuf::from(path))
                }
            }
            IgnoreDir::Repo(dir) if dir.is_empty() => Some(PathBuf::from(path)),
            IgnoreDir::Repo(dir) => Path::new(path)
                .strip_prefix(dir)
                .ok()
                .map(Path::to_path_buf),
        };
        rel.filter(|r| !r.as_os_str().is_empty() && !r.has_root())
            .is_some_and(|r| {
                ignore
                    .patterns
                    .matched_path_or_any_parents(&r, false)
                    .is_ignore()
            })
    }

    /// How many findings the baseline matched by their old unkeyed
    /// fingerprint (a baseline to rewrite).
    pub fn legacy_baseline_hits(&self) -> u64 {
        self.legacy_hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Drop suppressed findings; return how many each filter took.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> BTreeMap<String, u64> {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        findings.retain(|f| match self.reason(f) {
            Some(why) => {
                *counts.entry(why).or_insert(0) += 1;
                false
            }
            None => true,
        });
        counts
    }

    fn reason(&self, f: &Finding) -> Option<String> {
        if self.baseline.contains(&f.fingerprint) {
            return Some(self.baseline_label.clone());
        }
        // A baseline written before fingerprints were keyed still works.
        if !self.baseline.is_empty()
            && self.baseline.contains(&crate::model::legacy_fingerprint(
                &f.rule_id, &f.secret, &f.path,
            ))
        {
            self.legacy_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Some(self.baseline_label.clone());
        }
        for layer in &self.layers {
            if layer.disabled.contains(&f.rule_id) {
                return Some(format!("{}: disable", layer.origin));
            }
            if layer.paths.as_ref().is_some_and(|g| g.is_match(&f.path)) {
                return Some(format!("{}: allow.paths", layer.origin));
            }
            if !f.secret.is_empty() {
                if layer
                    .secrets
                    .as_ref()
                    .is_some_and(|r| r.is_match(&f.secret))
                {
                    return Some(format!("{}: allow.secrets", layer.origin));
                }
                let lower = f.secret.to_lowercase();
                if layer.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                    return Some(format!("{}: allow.stopwords", layer.origin));
                }
            }
        }
        if let Some(ignore) = &self.ignore_file {
            let outer = f.archive.as_deref().unwrap_or(&f.path);
            if self.ignored(ignore, &f.path) || self.ignored(ignore, outer) {
                return Some(ignore.label.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_counts_only_in_a_comment() {
        assert!(inline_allowed(b"k = 'v' # keysweep:allow reviewed", "a.py"));
        assert!(!inline_allowed(b"k = 'v' # keysweep allow", "a.py"));
        // Inside a string literal: data, not a comment.
        assert!(!inline_allowed(b"k = 'v # keysweep:allow'", "a.py"));
        assert!(!inline_allowed(b"k = \"v // keysweep:allow\";", "a.js"));
        assert!(inline_allowed(b"k = \"v\"; // keysweep:allow", "a.js"));
        assert!(inline_allowed(
            b"k = \"a\\\"b\" /* keysweep:allow */",
            "A.java"
        ));
        // The wrong syntax for the file: `#` is no comment in Go.
        assert!(!inline_allowed(b"k := \"v\" # keysweep:allow", "main.go"));
        assert!(inline_allowed(b"KEY=v # keysweep:allow", ".env.local"));
        assert!(inline_allowed(
            b"<k>v</k> <!-- keysweep:allow -->",
            "pom.xml"
        ));
        assert!(inline_allowed(b"x = 'v' -- keysweep:allow", "q.sql"));
        // No allow in a commit message, nor in JSON (no comments).
        assert!(!inline_allowed(b"t=x # keysweep:allow", "(commit message)"));
        assert!(!inline_allowed(
            b"{\"k\": \"v\"} // keysweep:allow",
            "a.json"
        ));
        // No marker at all, and no opener before it.
        assert!(!inline_allowed(b"k = 'v'", "a.py"));
        assert!(!inline_allowed(b"keysweep:allow k = 'v'", "a.py"));
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
