//! Reporters: findings to text, JSON, SARIF or GitHub annotations.
//!
//! Every reporter gets the same [`Report`] (sorted findings, the rules in
//! effect, the summary) and writes to any `io::Write`. Secrets reach a
//! reporter only through [`Finding::display_secret`] and
//! [`Finding::display_line`], which redact unless the user passed
//! `--show-secrets`.

mod github;
mod html;
mod json;
mod sarif;
pub use sarif::MAX_RESULTS as SARIF_MAX_RESULTS;
mod text;

pub use html::render as render_html;
pub use json::JSON_VERSION;
pub use text::write_summary;

use crate::model::Finding;
use crate::model::Summary;
use crate::rules::Rule;
use std::collections::HashMap;
use std::io::{self, Write};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, grouped by file, coloured on a terminal.
    Text,
    /// Versioned JSON document (schema in README).
    Json,
    /// SARIF 2.1.0, as GitHub code scanning accepts it.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// One self-contained HTML page (inline CSS and script, no network).
    Html,
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Sorted findings.
    pub findings: &'a [Finding],
    /// The rules in effect (for names, descriptions, SARIF rule metadata).
    pub rules: &'a [Rule],
    /// Counters and skipped files.
    pub summary: &'a Summary,
    /// Print secrets in full.
    pub show_secrets: bool,
    /// Use ANSI colours (text format only).
    pub color: bool,
    /// What the run scanned.
    pub scanned: &'a crate::model::ScanInfo,
}

impl<'a> Report<'a> {
    /// Rule metadata by id.
    fn rule_index(&self) -> HashMap<&'a str, &'a Rule> {
        self.rules.iter().map(|r| (r.id.as_str(), r)).collect()
    }
}

/// Write `report` in `format` to `out`.
pub fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Html => html::render_page(&json::head(report), &json::Values::new(report), out),
    }
}

/// A sequence serialised item by item: each item exists as a JSON value only
/// while it is written, so a report's memory does not grow with its length.
struct Streamed<'a, T, F>(&'a [T], F);

impl<T, F: Fn(&T) -> serde_json::Value> serde::Serialize for Streamed<'_, T, F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(&self.1))
    }
}

/// The providers a finding's key shape could belong to, when its rule names
/// several and the file named none of them.
pub fn ambiguous_providers(rules: &HashMap<&str, &Rule>, f: &Finding) -> Option<Vec<String>> {
    if f.provider.is_some() {
        return None;
    }
    let rule = rules.get(f.rule_id.as_str())?;
    (rule.verify.len() > 1).then(|| rule.verify.iter().map(|v| v.provider.clone()).collect())
}

/// Make untrusted text (paths, matched lines) safe to print on a terminal:
/// control characters, including ESC, are shown escaped, never sent raw.
pub fn escape_control(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(super::escape_control("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(super::escape_control("plain\ttab"), "plain\ttab");
    }
}
