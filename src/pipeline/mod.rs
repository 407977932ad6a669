//! The pipeline: a source's blobs through the matcher into sorted findings.
//!
//! This is the one place stages meet: a [`Source`] yields blobs on worker
//! threads, [`findings_in_blob`] turns the matcher's raw matches into
//! [`Finding`]s (line, column, context, fingerprint, inline allows), and
//! [`scan`] collects them, sorts them so output never depends on thread timing,
//! and returns them with a [`Summary`] for the reporters.

mod confidence;
mod decoded;
mod linehash;

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
/// blob and add their findings at the end.
pub fn scan(
    source: &dyn Source,
    matcher: &Matcher,
    attributor: &Attributor,
    assessor: &Assessor,
    lints: &Lints,
) -> Result<ScanResult, SourceError> {
    let started = Instant::now();
    let stats = SourceStats::new(source.archive_limits());
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let suppressed = AtomicU64::new(0);
    let not_decoded = AtomicU64::new(0);
    source.for_each_blob(&stats, &|blob: &Blob<'_>| {
        let InBlob {
            findings: mut f,
            suppressed: s,
            not_decoded: n,
        } = findings_in_blob(matcher, blob);
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
    assessor.assess(&mut findings);
    lints.finish(
        &mut findings,
        &source.env_files_committed(),
        &source.settings_changed(),
    );
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

/// Findings in one blob. A place with `added_lines` keeps only matches
/// that touch an added line.
pub fn findings_in_blob(matcher: &Matcher, blob: &Blob<'_>) -> InBlob {
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
    if !spans.is_empty() {
        // Other findings on those lines must not show the encoded secret.
        masks.extend(spans);
        masks.sort_by_key(|r| (r.start, r.end));
        masks.dedup();
    }
    out.reserve(matches.len() * blob.places.len());
    let mut cursor = Cursor::new(data);
    for m in matches {
        // The inline allow marker goes on the line where the match starts.
        let start = m.span.start;
        cursor.advance(start);
        let first_line = cursor.line;
        let from = cursor.line_start.max(start.saturating_sub(ALLOW_REACH));
        let reach = data.len().min(start + ALLOW_REACH);
        let to = memchr::memchr(b'\n', &data[start..reach]).map_or(reach, |p| start + p);
        let allowed = filter::inline_allowed(&data[from..to]);
        // The secret's own line and column (in multi-line rules it may start
        // below the match).
        cursor.advance(m.secret.start);
        let last_line = cursor.line + memchr::memchr_iter(b'\n', &data[m.secret.clone()]).count();
        let places = places_touching(blob, first_line, last_line);
        if places.is_empty() {
            continue;
        }
        if allowed {
            suppressed += places.len() as u64;
            continue;
        }
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
        out.extend(places.into_iter().map(|p| spot.finding(matcher, p)));
    }
    InBlob {
        findings: out,
        suppressed,
        not_decoded,
    }
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
    fn finding(&self, matcher: &Matcher, place: &crate::sources::Place) -> Finding {
        let rule_id = matcher.rule_id(self.rule);
        Finding {
            fingerprint: fingerprint(rule_id, &self.secret, &place.path),
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

/// The places of `blob` where lines `first..=last` count (all, unless a
/// place holds only some added lines).
fn places_touching<'a>(
    blob: &'a Blob<'_>,
    first: usize,
    last: usize,
) -> Vec<&'a crate::sources::Place> {
    blob.places
        .iter()
        .filter(|p| {
            p.added_lines
                .as_ref()
                .is_none_or(|l| l.intersects(first, last))
        })
        .collect()
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
