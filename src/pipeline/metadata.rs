//! Commit metadata goes through the same redaction as file content.
//!
//! A history finding shows its commit's author, email and message summary
//! in every report format, and so do the history lints. Those strings come
//! from whoever wrote the commit: `git commit -m "set TOKEN=ghp_..."` would
//! otherwise print the key in full next to a redacted finding. So before
//! any reporter sees them, every secret the rules find in them, and every
//! secret the scan found anywhere, is replaced by its redaction.

use crate::matcher::Matcher;
use crate::model::{redact, CommitInfo, EnvCommitted, Finding, Provenance};
use aho_corasick::AhoCorasick;
use std::collections::HashMap;
use std::sync::Arc;

/// Shortest found secret looked for in metadata (shorter ones would mask
/// ordinary words).
const MIN_KNOWN: usize = 8;

/// Redact the commit metadata of `findings` and of the lint inputs `more`.
pub(super) fn redact_commits(
    matcher: &Matcher,
    findings: &mut [Finding],
    more: &mut [&mut Vec<EnvCommitted>],
) {
    let has_commits = findings
        .iter()
        .any(|f| matches!(f.provenance, Provenance::Commit(_)))
        || more.iter().any(|v| !v.is_empty());
    if !has_commits {
        return;
    }
    let mut known: Vec<&str> = findings
        .iter()
        .map(|f| f.secret.as_str())
        .filter(|s| s.len() >= MIN_KNOWN)
        .collect();
    known.sort_unstable();
    known.dedup();
    let known: Vec<String> = known.into_iter().map(str::to_string).collect();
    let redactor = Redactor {
        matcher,
        known: (!known.is_empty())
            .then(|| AhoCorasick::new(&known).ok())
            .flatten(),
        done: HashMap::new(),
    };
    let mut redactor = redactor;
    for f in findings.iter_mut() {
        if let Provenance::Commit(g) = &mut f.provenance {
            g.commit = redactor.info(&g.commit);
        }
    }
    for list in more.iter_mut() {
        for e in list.iter_mut() {
            e.commit = redactor.info(&e.commit);
        }
    }
}

struct Redactor<'m> {
    matcher: &'m Matcher,
    known: Option<AhoCorasick>,
    /// Commit id -> its redacted record (each commit's text searched once).
    done: HashMap<String, Arc<CommitInfo>>,
}

impl Redactor<'_> {
    fn info(&mut self, info: &Arc<CommitInfo>) -> Arc<CommitInfo> {
        if let Some(done) = self.done.get(&info.commit) {
            if done.order == info.order {
                return done.clone();
            }
        }
        let (author, email, summary) = (
            self.text(&info.author),
            self.text(&info.email),
            self.text(&info.summary),
        );
        let out = if author.is_none() && email.is_none() && summary.is_none() {
            info.clone()
        } else {
            Arc::new(CommitInfo {
                author: author.unwrap_or_else(|| info.author.clone()),
                email: email.unwrap_or_else(|| info.email.clone()),
                summary: summary.unwrap_or_else(|| info.summary.clone()),
                ..(**info).clone()
            })
        };
        self.done.insert(info.commit.clone(), out.clone());
        out
    }

    /// `text` with every secret in it redacted; `None` when it holds none.
    fn text(&self, text: &str) -> Option<String> {
        if text.is_empty() {
            return None;
        }
        let bytes = text.as_bytes();
        let mut spans: Vec<std::ops::Range<usize>> = self
            .matcher
            .find(bytes)
            .into_iter()
            .map(|m| m.secret)
            .collect();
        if let Some(ac) = &self.known {
            spans.extend(ac.find_overlapping_iter(bytes).map(|m| m.range()));
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for r in spans {
            if r.start < at {
                // Inside (or overlapping) a span already redacted: cover the rest.
                if r.end > at {
                    at = r.end;
                }
                continue;
            }
            out.push_str(&String::from_utf8_lossy(&bytes[at..r.start]));
            out.push_str(&redact(&String::from_utf8_lossy(&bytes[r.clone()])));
            at = r.end;
        }
        out.push_str(&String::from_utf8_lossy(&bytes[at..]));
        Some(out)
    }
}
