//! One secret, one finding: which of several rules' overlapping matches
//! is kept.

use super::{Matcher, RawMatch};
use std::collections::BTreeMap;

impl Matcher {
    /// One secret, one finding: where secrets of different rules overlap,
    /// keep a specific rule over a generic one, then the more severe rule,
    /// then the longer secret. Rules from a scanned repository's config are
    /// deduplicated among themselves only: a repository rule shaped like a
    /// built-in one (at a higher severity, say) adds its own finding and
    /// never takes the built-in finding's place, with its verification.
    pub(super) fn dedupe_overlaps(&self, out: &mut Vec<RawMatch>) {
        if out.iter().any(|m| self.compiled[m.rule].untrusted) {
            let (mut theirs, mut ours): (Vec<RawMatch>, Vec<RawMatch>) = std::mem::take(out)
                .into_iter()
                .partition(|m| self.compiled[m.rule].untrusted);
            self.dedupe_group(&mut ours);
            self.dedupe_group(&mut theirs);
            ours.append(&mut theirs);
            *out = ours;
            return;
        }
        self.dedupe_group(out);
    }

    /// [`Matcher::dedupe_overlaps`] within one group of rules.
    fn dedupe_group(&self, out: &mut Vec<RawMatch>) {
        if out.len() < 2 {
            return;
        }
        let mut order: Vec<usize> = (0..out.len()).collect();
        order.sort_by_key(|&i| {
            let m = &out[i];
            (
                self.compiled[m.rule].generic,
                std::cmp::Reverse(self.severities[m.rule]),
                std::cmp::Reverse(m.secret.len()),
                m.secret.start,
            )
        });
        // Kept secrets by start offset; kept ranges never overlap each other.
        let mut kept: BTreeMap<usize, usize> = BTreeMap::new();
        let mut keep = vec![false; out.len()];
        for i in order {
            let r = &out[i].secret;
            let before = kept.range(..r.end).next_back();
            let overlaps = before.is_some_and(|(_, &end)| end > r.start);
            if !overlaps {
                kept.insert(r.start, r.end);
                keep[i] = true;
            }
        }
        let mut k = keep.into_iter();
        out.retain(|_| k.next().unwrap_or(false));
    }
}
