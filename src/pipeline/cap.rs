//! The per-file cap: at most `--max-findings-per-file` findings per (file,
//! rule), the rest counted, so memory follows what is reported, not what a
//! file holds (24 MB of JWT-shaped lines are 380,000 findings).
//!
//! The cap is applied where findings are made ([`super::findings_in_blob`]
//! picks before it builds any), so the ones left out never exist as
//! [`Finding`]s. Which ones are kept depends only on the secrets a file
//! holds, never on where they stand or in which version of the file: of a
//! (file, rule) pair over the cap, the first occurrence of each of the `N`
//! distinct secrets that sort first (by their bytes) is kept, then, while
//! fewer than `N` are kept, later occurrences of those secrets in file
//! order. That is what a history needs: findings are made per version and
//! folded per (rule, secret, path) into the earliest commit afterwards, so a
//! choice by position could keep a secret in a later version after leaving
//! it out of the version that introduced it, and report the wrong commit.
//! With a choice by secret, a secret kept in one version is kept (at its
//! first line) in every version that has it, so the fold still sees its
//! first commit and every commit that held it. After the fold, a path whose
//! versions together held more than `N` distinct secrets keeps the ones
//! that sort first again ([`Cap::limit`]); the earlier choice agrees with it.
//!
//! What is counted: a tree or index scan counts every occurrence left out
//! (each would have been a finding); a history counts each (rule, secret,
//! path) left out once, as its folded report would have, by a 64-bit hash
//! per distinct secret left out (8 bytes each, not a finding each). The
//! most severe rule left out is kept too: capped findings fail the run
//! whatever happens to the kept ones (see `app::scan_findings`).
//!
//! Cost: per (file, rule) pair over the cap, one pass over its matches with
//! an ordered set of at most `N` secrets (references into the blob).

use crate::model::{Capped, CappedFile, Finding, Provenance, Severity};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// The default `--max-findings-per-file`.
pub const DEFAULT_LIMIT: usize = 100;

/// The cap and what it left out so far; shared by the scan's workers.
#[derive(Debug, Default)]
pub struct Cap {
    limit: usize,
    tally: Mutex<Tally>,
}

#[derive(Debug, Default)]
struct Tally {
    findings: u64,
    /// Hashes of the (path, rule, secret) a history left out.
    distinct: HashSet<u64>,
    by_file: HashMap<(String, String), u64>,
    severity: Option<Severity>,
}

/// One group's findings left out, before they are added to the tally.
pub(super) struct Dropped<'a> {
    /// The file, as findings show it.
    pub path: &'a str,
    /// The rule's id and severity.
    pub rule: (&'a str, Severity),
    /// Findings of a history are counted once per distinct secret.
    pub folded: bool,
    /// The secrets left out, one per occurrence.
    pub secrets: Vec<&'a [u8]>,
}

impl Cap {
    /// A cap of `limit` findings per (file, rule); 0: no cap.
    pub fn new(limit: usize) -> Self {
        Cap {
            limit,
            tally: Mutex::default(),
        }
    }

    /// Findings kept per (file, rule); 0: no cap.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Count what one blob (or the final pass) left out; one lock per call.
    pub(super) fn record(&self, dropped: &[Dropped<'_>]) {
        if dropped.is_empty() {
            return;
        }
        let mut t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        for d in dropped {
            let mut n = 0;
            for s in &d.secrets {
                if !d.folded || t.distinct.insert(secret_hash(d.path, d.rule.0, s)) {
                    n += 1;
                }
            }
            if n == 0 {
                continue;
            }
            t.findings += n;
            t.severity = t.severity.max(Some(d.rule.1));
            *t.by_file
                .entry((d.path.to_string(), d.rule.0.to_string()))
                .or_default() += n;
        }
    }

    /// Keep at most the cap of `findings` per (path, rule), chosen as
    /// [`select`] chooses, and count the rest: the pass after a history's
    /// fold (one path's versions may hold more distinct secrets together
    /// than any one of them), and for findings built before the cap applied
    /// (decoded spans).
    pub fn limit_findings(&self, findings: &mut Vec<Finding>) {
        if self.limit == 0 || findings.len() <= self.limit {
            return;
        }
        let mut groups: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            groups
                .entry((f.path.as_str(), f.rule_id.as_str()))
                .or_default()
                .push(i);
        }
        let mut keep = vec![true; findings.len()];
        let mut dropped = Vec::new();
        for ((path, rule), mut group) in groups {
            if group.len() <= self.limit {
                continue;
            }
            // File order, so later occurrences fill in after first ones.
            group.sort_by_key(|&i| (findings[i].line, findings[i].column));
            let secrets: Vec<&[u8]> = group
                .iter()
                .map(|&i| findings[i].secret.as_bytes())
                .collect();
            let kept = select(&secrets, self.limit);
            let mut d = Dropped {
                path,
                rule: (rule, findings[group[0]].severity),
                folded: is_folded(&findings[group[0]].provenance),
                secrets: Vec::new(),
            };
            for (j, &i) in group.iter().enumerate() {
                if !kept[j] {
                    keep[i] = false;
                    d.secrets.push(findings[i].secret.as_bytes());
                    d.rule.1 = d.rule.1.max(findings[i].severity);
                }
            }
            dropped.push(d);
        }
        self.record(&dropped);
        drop(dropped);
        let mut i = 0;
        findings.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }

    /// What the cap left out, for the summary.
    pub fn into_summary(self) -> Capped {
        let t = self.tally.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut files: Vec<CappedFile> = t
            .by_file
            .into_iter()
            .map(|((path, rule_id), findings)| CappedFile {
                path,
                rule_id,
                findings,
            })
            .collect();
        files.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then_with(|| (&a.path, &a.rule_id).cmp(&(&b.path, &b.rule_id)))
        });
        files.truncate(Capped::LISTED);
        Capped {
            limit: self.limit,
            findings: t.findings,
            files,
            severity: t.severity,
        }
    }
}

/// Findings made at this place are folded per (rule, secret, path) later
/// (history), so what is left out is counted once per secret.
pub(super) fn is_folded(p: &Provenance) -> bool {
    matches!(p, Provenance::Commit(_) | Provenance::Unreachable { .. })
}

fn secret_hash(path: &str, rule: &str, secret: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (path, rule, secret).hash(&mut h);
    h.finish()
}

/// Which of one (file, rule) group's occurrences to keep, given their
/// secrets in file order: all when there are at most `limit` (0: no cap);
/// otherwise the first occurrence of each of the `limit` distinct secrets
/// that sort first, then later occurrences of those, in file order, while
/// fewer than `limit` are kept.
pub(super) fn select(secrets: &[&[u8]], limit: usize) -> Vec<bool> {
    if limit == 0 || secrets.len() <= limit {
        return vec![true; secrets.len()];
    }
    let mut chosen: BTreeSet<&[u8]> = BTreeSet::new();
    for &s in secrets {
        if chosen.len() < limit {
            chosen.insert(s);
        } else if chosen.last().is_some_and(|&last| s < last) && chosen.insert(s) {
            chosen.pop_last();
        }
    }
    let mut spare = limit - chosen.len();
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(chosen.len());
    secrets
        .iter()
        .map(|s| {
            if !chosen.contains(s) {
                false
            } else if seen.insert(s) {
                true
            } else if spare > 0 {
                spare -= 1;
                true
            } else {
                false
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::select;

    fn kept<'a>(secrets: &[&'a str], limit: usize) -> Vec<&'a str> {
        let bytes: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
        select(&bytes, limit)
            .into_iter()
            .zip(secrets)
            .filter(|(k, _)| *k)
            .map(|(_, s)| *s)
            .collect()
    }

    #[test]
    fn at_most_the_limit_keeps_everything() {
        assert_eq!(kept(&["c", "a", "c"], 3), ["c", "a", "c"]);
        assert_eq!(kept(&["c", "a", "b", "d"], 0), ["c", "a", "b", "d"]);
    }

    #[test]
    fn over_the_limit_keeps_the_secrets_that_sort_first() {
        assert_eq!(kept(&["d", "b", "c", "a"], 2), ["b", "a"]);
        // Where they stand does not matter: the same two in any order.
        assert_eq!(kept(&["a", "c", "d", "b"], 2), ["a", "b"]);
    }

    #[test]
    fn repeats_fill_in_after_first_occurrences() {
        assert_eq!(kept(&["x", "x", "x", "x"], 3), ["x", "x", "x"]);
        assert_eq!(kept(&["b", "a", "b", "b"], 3), ["b", "a", "b"]);
        assert_eq!(kept(&["b", "a", "b", "c"], 3), ["b", "a", "c"]);
        // Every chosen secret's first occurrence is kept before any repeat.
        assert_eq!(kept(&["a", "a", "a", "b", "c"], 2), ["a", "b"]);
    }

    #[test]
    fn a_version_keeps_every_secret_the_whole_path_keeps() {
        // The secrets a path keeps over all its versions are kept, at
        // their first occurrence, in each version that has them.
        let all = ["e", "a", "d", "c", "b"];
        let whole = kept(&all, 2);
        for version in [&["e", "d", "b"][..], &["c", "a", "e"], &["b", "a"]] {
            let here = kept(version, 2);
            for s in &whole {
                if version.contains(s) {
                    assert!(here.contains(s), "{s} in {version:?}: {here:?}");
                }
            }
        }
    }
}
