//! The pipeline: a source's blobs through the matcher into sorted findings.
//!
//! This is the one place stages meet: a [`Source`] yields blobs on worker
//! threads, [`findings_in_blob`] turns the matcher's raw matches into
//! [`Finding`]s (line, column, context, fingerprint, inline allows), and
//! [`scan`] collects them, sorts them so output never depends on thread timing,
//! and returns them with a [`Summary`] for the reporters.

use crate::filter;
use crate::findings::{fingerprint, Finding, Provenance, Severity};
use crate::matcher::Matcher;
use crate::sources::{Blob, Skipped, Source, SourceError, SourceStats};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest line context kept for a finding, in bytes around the secret.
const CONTEXT: usize = 120;

/// What a scan saw, besides its findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Files (blobs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned (before decoding).
    pub bytes_scanned: u64,
    /// Files passed over, with the reason.
    pub skipped: Vec<Skipped>,
    /// Findings suppressed by an inline `keysweep:allow`.
    pub suppressed_inline: u64,
    /// Rules in effect.
    pub rules: usize,
    /// Wall time of the scan.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Summary {
    /// Count of findings per severity, most severe first.
    pub fn by_severity(findings: &[Finding]) -> Vec<(Severity, usize)> {
        Severity::ALL_DESC
            .iter()
            .map(|&s| (s, findings.iter().filter(|f| f.severity == s).count()))
            .collect()
    }
}

/// Findings plus summary.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Counters and skipped files.
    pub summary: Summary,
}

/// Scan everything `source` yields with `matcher`.
pub fn scan(source: &dyn Source, matcher: &Matcher) -> Result<ScanResult, SourceError> {
    let started = Instant::now();
    let stats = SourceStats::default();
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let suppressed = AtomicU64::new(0);
    source.for_each_blob(&stats, &|blob: &Blob<'_>| {
        let (mut f, s) = findings_in_blob(matcher, blob);
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
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(ScanResult {
        findings,
        summary: Summary {
            files_scanned: stats.files(),
            bytes_scanned: stats.bytes(),
            skipped: stats.take_skipped(),
            suppressed_inline: suppressed.into_inner(),
            rules: matcher.len(),
            elapsed: started.elapsed(),
        },
    })
}

/// Findings in one blob, and how many were suppressed inline.
pub fn findings_in_blob(matcher: &Matcher, blob: &Blob<'_>) -> (Vec<Finding>, u64) {
    let data = blob.data;
    let matches = matcher.find(data);
    let mut out = Vec::with_capacity(matches.len());
    let mut suppressed = 0;
    // Matches come sorted by position: count newlines incrementally.
    let mut line = 1usize;
    let mut counted_to = 0usize;
    for m in matches {
        let start = m.span.start;
        line += memchr::memchr_iter(b'\n', &data[counted_to..start]).count();
        counted_to = start;
        let line_start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let line_bytes = &data[line_start..line_end];
        if filter::inline_allowed(line_bytes) {
            suppressed += 1;
            continue;
        }
        let secret = String::from_utf8_lossy(&data[m.secret.clone()]).into_owned();
        // The secret's own line and column (it may start below the match in
        // multi-line rules).
        let secret_line = line + memchr::memchr_iter(b'\n', &data[start..m.secret.start]).count();
        let secret_line_start =
            memchr::memrchr(b'\n', &data[..m.secret.start]).map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&data[secret_line_start..m.secret.start])
            .chars()
            .count()
            + 1;
        let rule_id = matcher.rule_id(m.rule).to_string();
        let (context_before, context_after) = context(data, secret_line_start, m.secret.clone());
        out.push(Finding {
            fingerprint: fingerprint(&rule_id, &secret, blob.path),
            severity: matcher.severity(m.rule),
            rule_id,
            context_before,
            context_after,
            secret,
            path: blob.path.to_string(),
            line: secret_line,
            column,
            provenance: Provenance::File,
        });
    }
    (out, suppressed)
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
    let line_end =
        memchr::memchr(b'\n', &data[secret.end..]).map_or(data.len(), |p| secret.end + p);
    let to = line_end.min(secret.end + CONTEXT);
    let mut after = String::from_utf8_lossy(&data[secret.end..to])
        .trim_end_matches('\r')
        .to_string();
    if to < line_end {
        after.push('…');
    }
    (before, after)
}
