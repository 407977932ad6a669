//! The pipeline: a source's blobs through the matcher into sorted findings.
//!
//! This is the one place stages meet: a [`Source`] yields blobs on worker
//! threads, [`findings_in_blob`] turns the matcher's raw matches into
//! [`Finding`]s (line, column, context, fingerprint, inline allows), and
//! [`scan`] collects them, sorts them so output never depends on thread timing,
//! and returns them with a [`Summary`] for the reporters.
//!
//! Memory follows what is reported, not what a file holds: at most
//! `--max-findings-per-file` findings are made per (file, rule), chosen
//! before any is built ([`cap`] says how, and why the choice suits a
//! history's fold); the rest are only counted.

mod cap;
mod confidence;
mod decoded;
mod linehash;
mod metadata;

pub use cap::{Cap, DEFAULT_LIMIT as DEFAULT_MAX_FINDINGS_PER_FILE};
pub use confidence::{is_docs_path, Assessor};

use crate::filter;
use crate::lint::Lints;
use crate::matcher::{FileKind, Matcher};
use crate::model::{fingerprint, Finding, KeyInfo, Summary};
use crate::sources::{Blob, Source, SourceError, SourceStats};
use crate::verify::Attributor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Longest line context kept for a finding, in bytes around the secret.
const CONTEXT: usize = 120;

/// Findings plus summary.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Counters and skipped files.
    pub summary: Summary,
}

/// Scan everything `source` yields with `matcher`; `attributor` names the
/// provider of shared key shapes from each file's words; `lints` watch every
/// blob and add their findings at the end; at most `max_per_file` findings
/// are kept per (file, rule), the rest counted in the summary (0: no cap).
/// Every finding's fingerprint is made at the end, under `key` (see
/// [`fingerprint`]).
pub fn scan(
    source: &dyn Source,
    matcher: &Matcher,
    attributor: &Attributor,
    assessor: &Assessor,
    lints: &Lints,
    max_per_file: usize,
    key: Option<&[u8; 32]>,
) -> Result<ScanResult, SourceError> {
    let started = Instant::now();
    let stats = SourceStats::new(source.archive_limits());
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let suppressed = AtomicU64::new(0);
    let cap = Cap::new(max_per_file);
    let not_decoded = AtomicU64::new(0);
    source.for_each_blob(&stats, &|blob: &Blob<'_>| {
        let InBlob {
            findings: mut f,
            suppressed: s,
            not_decoded: n,
        } = capped_findings_in_blob(matcher, blob, &cap);
        if n > 0 {
            not_decoded.fetch_add(n, Ordering::Relaxed);
        }
        attributor.attribute(&mut f, blob.data);
        if !blob.strings {
            // A strings view's lines are not the file's lines.
            hash_lines(&mut f, blob.data);
        }
        lints.observe(blob, &f);
        if s > 0 {
            suppressed.fetch_add(s, Ordering::Relaxed);
        }
        if !f.is_empty() {
            found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut f);
        }
    })?;
    let mut findings = found.into_inner().unwrap_or_else(|e| e.into_inner());
    // Key stores go through the source's finish with the other findings: a
    // history folds their versions into the earliest and names its commit.
    findings.extend(
        stats
            .take_containers()
            .into_iter()
            .filter_map(|c| key_container_finding(matcher, c)),
    );
    let mut findings = source.finish(findings)?;
    // A history's versions of one path may hold more distinct secrets
    // together than any one of them (a tree scan has nothing over the cap
    // left here).
    cap.limit_findings(&mut findings);
    let (mut env_files, mut settings) = (source.env_files_committed(), source.settings_changed());
    metadata::redact_commits(matcher, &mut findings, &mut [&mut env_files, &mut settings]);
    assessor.assess(&mut findings);
    lints.finish(&mut findings, &env_files, &settings);
    for f in &mut findings {
        f.fingerprint = fingerprint(key, &f.rule_id, &f.secret, &f.path);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(ScanResult {
        findings,
        summary: Summary {
            files_scanned: stats.files(),
            bytes_scanned: stats.bytes(),
            skipped: stats.take_skipped(),
            suppressed_inline: suppressed.into_inner(),
            not_decoded: not_decoded.into_inner(),
            suppressed: Default::default(),
            rules: matcher.len(),
            coverage: stats.take_coverage(),
            hidden_low_confidence: 0,
            capped: cap.into_summary(),
            elapsed: started.elapsed(),
        },
    })
}

/// One finding for a key store file, when its rule is in effect.
fn key_container_finding(matcher: &Matcher, c: crate::sources::KeyContainer) -> Option<Finding> {
    let i = (0..matcher.len()).find(|&i| matcher.rule_id(i) == c.rule)?;
    let what = match c.rule {
        "pkcs12-file" => "a PKCS#12 key store (private key and certificate)",
        "java-keystore-file" => "a Java keystore",
        "keepass-database-file" => "a KeePass password database",
        _ => "an SSH private key file",
    };
    let message = format!(
        "{} is {what} ({} bytes, binary): key stores do not belong in a repository; remove it, rotate what it holds, and keep it in a secret manager",
        c.path, c.size
    );
    Some(Finding {
        provenance: c.provenance,
        confidence_reasons: vec!["a key store, by its file name and binary content".to_string()],
        archive: c.archive.as_deref().map(str::to_string),
        ..crate::lint::file_finding(&c.path, c.rule, matcher.severity(i), message)
    })
}

/// How far from a match (same line) an inline allow marker is looked for.
const ALLOW_REACH: usize = 64 * 1024;

/// Line and column of positions visited in increasing order, computed
/// incrementally so that many matches on one huge line stay linear.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    column: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Cursor {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
            column: 1,
        }
    }

    fn advance(&mut self, to: usize) {
        if to < self.pos {
            *self = Cursor::new(self.data);
        }
        let seg = &self.data[self.pos..to];
        match memchr::memrchr(b'\n', seg) {
            Some(p) => {
                self.line += memchr::memchr_iter(b'\n', seg).count();
                self.line_start = self.pos + p + 1;
                self.column = 1 + char_count(&self.data[self.line_start..to]);
            }
            None => self.column += char_count(seg),
        }
        self.pos = to;
    }
}

/// Characters in UTF-8 text: bytes that do not continue a sequence.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// What one blob gave.
#[derive(Debug, Default)]
pub struct InBlob {
    /// One finding per match and place.
    pub findings: Vec<Finding>,
    /// Findings suppressed inline.
    pub suppressed: u64,
    /// Encoded spans that could not be decoded (nested too deep, or cut
    /// where their encoding cannot be).
    pub not_decoded: u64,
}

/// Findings in one blob, one per match and place, and how many were
/// suppressed inline. A place with `added_lines` keeps only matches that
/// touch an added line. No cap: [`capped_findings_in_blob`] is what scans
/// use.
pub fn findings_in_blob(matcher: &Matcher, blob: &Blob<'_>) -> InBlob {
    capped_findings_in_blob(matcher, blob, &Cap::new(0))
}

/// [`findings_in_blob`] with at most `cap`'s limit of findings per (place,
/// rule), chosen before any is built (see [`cap`]); what is left out is
/// counted in `cap`.
pub fn capped_findings_in_blob(matcher: &Matcher, blob: &Blob<'_>, cap: &Cap) -> InBlob {
    let data = blob.data;
    let kind = blob
        .places
        .first()
        .map_or(FileKind::Config, |p| FileKind::of(&p.path));
    let (matches, mut masks) = matcher.find_with_masks(data, kind);
    let (mut out, spans, mut suppressed, not_decoded) = if matcher.decodes() {
        let plain = matches.iter().map(|m| &data[m.secret.clone()]).collect();
        let e = decoded::findings(matcher, blob, kind, &plain);
        (e.findings, e.spans, e.suppressed, e.not_decoded)
    } else {
        (Vec::new(), Vec::new(), 0, 0)
    };
    // Decoded findings are few per blob and built before the cap could
    // choose: limited here, as the pass after a history's fold does.
    cap.limit_findings(&mut out);
    if !spans.is_empty() {
        // Other findings on those lines must not show the encoded secret.
        masks.extend(spans);
        masks.sort_by_key(|r| (r.start, r.end));
        masks.dedup();
    }
    // First pass: which places each match counts at (inline allows and
    // added lines), as (match, place) pairs in match order.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(matches.len());
    // Pairs whose inline allow the range under review added (reported).
    let mut allow_added: std::collections::HashSet<(u32, u32)> = Default::default();
    let mut cursor = Cursor::new(data);
    for (i, m) in matches.iter().enumerate() {
        // The inline allow marker goes on the line where the match starts.
        let start = m.span.start;
        cursor.advance(start);
        let first_line = cursor.line;
        let from = cursor.line_start.max(start.saturating_sub(ALLOW_REACH));
        let reach = data.len().min(start + ALLOW_REACH);
        let to = memchr::memchr(b'\n', &data[start..reach]).map_or(reach, |p| start + p);
        let path = blob.places.first().map_or("", |p| p.path.as_str());
        // A binary's strings have no comments to hold an allow.
        let allowed = !blob.strings && filter::inline_allowed(&data[from..to], path);
        // The secret's own line (in multi-line rules it may start below
        // the match).
        cursor.advance(m.secret.start);
        let last_line = cursor.line + memchr::memchr_iter(b'\n', &data[m.secret.clone()]).count();
        for p in places_touching(blob, first_line, last_line) {
            if !allowed {
                pairs.push((i as u32, p as u32));
            } else if allow_added_in_range(&blob.places[p], first_line) {
                pairs.push((i as u32, p as u32));
                allow_added.insert((i as u32, p as u32));
            } else {
                suppressed += 1;
            }
        }
    }
    limit_pairs(matcher, blob, &matches, &mut pairs, cap);
    // Second pass: build the findings that were kept.
    out.reserve(pairs.len());
    let mut cursor = Cursor::new(data);
    let mut at = 0;
    while at < pairs.len() {
        let i = pairs[at].0;
        let run = pairs[at..].iter().take_while(|p| p.0 == i).count();
        let m = &matches[i as usize];
        cursor.advance(m.secret.start);
        let spot = Spot {
            rule: m.rule,
            secret: String::from_utf8_lossy(&data[m.secret.clone()]).into_owned(),
            line: cursor.line,
            column: cursor.column,
            context: context(data, cursor.line_start, m.secret.clone()),
            redacted_context: redacted_context(data, cursor.line_start, m.secret.clone(), &masks),
            encoding: blob
                .strings
                .then(|| crate::sources::STRINGS_ENCODING.to_string()),
        };
        out.extend(pairs[at..at + run].iter().map(|&(i, p)| {
            let added = allow_added.contains(&(i, p));
            spot.reported(matcher, (&blob.places[p as usize], added))
        }));
        at += run;
    }
    InBlob {
        findings: out,
        suppressed,
        not_decoded,
    }
}

/// The id of the tag on a finding whose inline allow the range under
/// review added itself (the allow does not apply).
pub const ALLOW_ADDED_IN_RANGE: &str = "allow-added-in-range";

/// True when an inline allow on line `line` of `place` was added by the
/// commit range under review, and so does not apply there: a range or push
/// cannot allowlist itself, and such an allow is reported, not obeyed. The
/// index (`staged`) is the developer's own commit and keeps its allows.
fn allow_added_in_range(place: &crate::sources::Place, line: usize) -> bool {
    matches!(place.provenance, crate::model::Provenance::Commit(_))
        && place
            .added_lines
            .as_ref()
            .is_some_and(|l| l.intersects(line, line))
}

/// Drop the (match, place) pairs over the cap of their (place, rule),
/// chosen by [`cap::select`], and count them in `cap`.
fn limit_pairs(
    matcher: &Matcher,
    blob: &Blob<'_>,
    matches: &[crate::matcher::RawMatch],
    pairs: &mut Vec<(u32, u32)>,
    cap: &Cap,
) {
    let limit = cap.limit();
    if limit == 0 || pairs.len() <= limit {
        return;
    }
    let mut groups: std::collections::HashMap<(u32, usize), Vec<usize>> = Default::default();
    for (k, &(i, p)) in pairs.iter().enumerate() {
        groups
            .entry((p, matches[i as usize].rule))
            .or_default()
            .push(k);
    }
    let mut keep = vec![true; pairs.len()];
    let mut dropped = Vec::new();
    for ((p, rule), group) in groups {
        if group.len() <= limit {
            continue;
        }
        let secret = |k: usize| &blob.data[matches[pairs[k].0 as usize].secret.clone()];
        let secrets: Vec<&[u8]> = group.iter().map(|&k| secret(k)).collect();
        let kept = cap::select(&secrets, limit);
        let place = &blob.places[p as usize];
        let mut d = cap::Dropped {
            path: &place.path,
            rule: (matcher.rule_id(rule), matcher.severity(rule)),
            folded: cap::is_folded(&place.provenance),
            secrets: Vec::new(),
        };
        for (j, &k) in group.iter().enumerate() {
            if !kept[j] {
                keep[k] = false;
                d.secrets.push(secrets[j]);
            }
        }
        dropped.push(d);
    }
    cap.record(&dropped);
    drop(dropped);
    let mut k = 0;
    pairs.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

/// One match, before it is reported at each of its places.
struct Spot {
    rule: usize,
    secret: String,
    line: usize,
    column: usize,
    /// Text before and after the secret (or its encoded span) on its line.
    context: (String, String),
    redacted_context: Option<(String, String)>,
    encoding: Option<String>,
}

impl Spot {
    /// The finding at `place`; `allow_added` marks one whose inline allow
    /// the range under review added (see [`allow_added_in_range`]).
    fn reported(
        &self,
        matcher: &Matcher,
        (place, allow_added): (&crate::sources::Place, bool),
    ) -> Finding {
        let mut f = self.finding(matcher, place);
        if allow_added {
            f.tags.push(ALLOW_ADDED_IN_RANGE.to_string());
            f.message = Some(
                "an inline keysweep:allow added by the commits under review does not apply: a change cannot allowlist its own key (land the allow on the base branch first, after review)"
                    .to_string(),
            );
        }
        f
    }

    fn finding(&self, matcher: &Matcher, place: &crate::sources::Place) -> Finding {
        let rule_id = matcher.rule_id(self.rule);
        Finding {
            // Set for every finding at the end of `scan`.
            fingerprint: String::new(),
            severity: matcher.severity(self.rule),
            rule_id: rule_id.to_string(),
            context_before: self.context.0.clone(),
            context_after: self.context.1.clone(),
            secret: self.secret.clone(),
            path: place.path.clone(),
            line: self.line,
            column: self.column,
            provenance: place.provenance.clone(),
            message: None,
            provider: None,
            verification: None,
            key_info: KeyInfo::from_secret(&self.secret),
            confidence: crate::model::Confidence::High,
            confidence_reasons: Vec::new(),
            tags: Vec::new(),
            redacted_context: self.redacted_context.clone(),
            archive: place.archive.as_deref().map(str::to_string),
            encoding: self.encoding.clone(),
            line_hash: None,
        }
    }
}

/// Give each finding in a file of its own (not an archive member) the code
/// scanning hash of its line.
fn hash_lines(findings: &mut [Finding], data: &[u8]) {
    let lines: std::collections::BTreeSet<usize> = findings
        .iter()
        .filter(|f| f.archive.is_none())
        .map(|f| f.line)
        .collect();
    if lines.is_empty() {
        return;
    }
    let hashes = linehash::line_hashes(data, &lines);
    for f in findings.iter_mut().filter(|f| f.archive.is_none()) {
        f.line_hash = hashes.get(&f.line).cloned();
    }
}

/// The indices of the places of `blob` where lines `first..=last` count
/// (all, unless a place holds only some added lines).
fn places_touching<'a>(
    blob: &'a Blob<'_>,
    first: usize,
    last: usize,
) -> impl Iterator<Item = usize> + 'a {
    blob.places.iter().enumerate().filter_map(move |(i, p)| {
        p.added_lines
            .as_ref()
            .is_none_or(|l| l.intersects(first, last))
            .then_some(i)
    })
}

/// The line's context with every other secret-like value in `masks`
/// redacted; `None` when no other one overlaps it.
fn redacted_context(
    data: &[u8],
    line_start: usize,
    secret: std::ops::Range<usize>,
    masks: &[std::ops::Range<usize>],
) -> Option<(String, String)> {
    let from = line_start.max(secret.start.saturating_sub(CONTEXT));
    let limit = data.len().min(secret.end + CONTEXT);
    let to = memchr::memchr(b'\n', &data[secret.end..limit]).map_or(limit, |p| secret.end + p);
    let lo = masks.partition_point(|r| r.end <= from);
    let others: Vec<&std::ops::Range<usize>> = masks[lo..]
        .iter()
        .take_while(|r| r.start < to)
        .filter(|r| *r != &secret && (r.end <= secret.start || r.start >= secret.end))
        .collect();
    if others.is_empty() {
        return None;
    }
    let (before, after) = context(data, line_start, secret.clone());
    let mask = |text: &str, base: usize, bytes_from: usize| -> String {
        // Replace each other secret inside this piece with its redaction.
        let mut out = text.to_string();
        for r in others.iter().rev() {
            let (s, e) = (r.start.max(bytes_from), r.end.min(base));
            if s >= e {
                continue;
            }
            let value = String::from_utf8_lossy(&data[r.start..r.end]).into_owned();
            let piece = String::from_utf8_lossy(&data[s..e]).into_owned();
            if let Some(at) = out.rfind(&piece) {
                out.replace_range(at..at + piece.len(), &crate::model::redact(&value));
            }
        }
        out
    };
    Some((
        mask(&before, secret.start, from),
        mask(&after, to, secret.end),
    ))
}

/// Text before and after the secret on its line(s), at most `CONTEXT` bytes
/// each side, with `…` where cut.
fn context(data: &[u8], line_start: usize, secret: std::ops::Range<usize>) -> (String, String) {
    let from = line_start.max(secret.start.saturating_sub(CONTEXT));
    let mut before = String::new();
    if from > line_start {
        before.push('…');
    }
    before.push_str(&String::from_utf8_lossy(&data[from..secret.start]));
    let limit = data.len().min(secret.end + CONTEXT);
    let newline = memchr::memchr(b'\n', &data[secret.end..limit]);
    let to = newline.map_or(limit, |p| secret.end + p);
    let mut after = String::from_utf8_lossy(&data[secret.end..to])
        .trim_end_matches('\r')
        .to_string();
    if newline.is_none() && to < data.len() {
        after.push('…');
    }
    (before, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_tracks_lines_and_columns_incrementally() {
        let data = "ab\ncdé f\n\ngh".as_bytes();
        let mut c = Cursor::new(data);
        c.advance(1);
        assert_eq!((c.line, c.column), (1, 2));
        c.advance(data.iter().position(|&b| b == b'f').unwrap());
        assert_eq!((c.line, c.column), (2, 5));
        c.advance(data.len() - 1);
        assert_eq!((c.line, c.column), (4, 2));
        c.advance(0);
        assert_eq!((c.line, c.column), (1, 1));
    }

    #[test]
    fn context_is_cut_around_the_secret() {
        let mut data = "x".repeat(300).into_bytes();
        data.extend(b"SECRET");
        data.extend("y".repeat(300).as_bytes());
        let (before, after) = context(&data, 0, 300..306);
        assert!(before.starts_with('…') && before.len() == CONTEXT + '…'.len_utf8());
        assert!(after.ends_with('…'));
        let (before, after) = context(b"k=SECRET\r\nnext", 0, 2..8);
        assert_eq!((before.as_str(), after.as_str()), ("k=", ""));
    }
}
