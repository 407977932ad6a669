//! Findings inside encoded content: the matcher runs again on what each
//! encoded span decodes to (see [`crate::matcher::decode`]); a finding
//! there is reported at the encoded span, names its encoding chain, and
//! its context never shows the encoded span (which would give the secret
//! away to anyone who decodes it).

use super::{context, Cursor};
use crate::filter;
use crate::matcher::{decode, FileKind, Matcher};
use crate::model::{fingerprint, Finding, KeyInfo};
use crate::sources::Blob;
use std::collections::HashSet;
use std::ops::Range;

/// Findings in the encoded spans of `blob` that the plain scan did not
/// find (`plain` holds its secrets), the encoded spans they came from (to
/// be redacted from other findings' context), and how many were
/// suppressed inline.
pub(super) fn findings(
    matcher: &Matcher,
    blob: &Blob<'_>,
    kind: FileKind,
    plain: &HashSet<&[u8]>,
) -> (Vec<Finding>, Vec<Range<usize>>, u64) {
    let data = blob.data;
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let mut suppressed = 0;
    let mut seen: HashSet<(usize, Vec<u8>)> = HashSet::new();
    let mut cursor = Cursor::new(data);
    for d in decode::decoded_spans(data) {
        let (matches, _) = matcher.find_with_masks(&d.text, kind);
        for m in matches {
            let secret = &d.text[m.secret.clone()];
            if plain.contains(secret) || !seen.insert((m.rule, secret.to_vec())) {
                continue;
            }
            spans.push(d.span.clone());
            cursor.advance(d.span.start);
            let first_line = cursor.line;
            let last_line = first_line + memchr::memchr_iter(b'\n', &data[d.span.clone()]).count();
            let line_end =
                memchr::memchr(b'\n', &data[d.span.end..]).map_or(data.len(), |p| d.span.end + p);
            if filter::inline_allowed(&data[cursor.line_start..line_end]) {
                suppressed += 1;
                continue;
            }
            let secret = String::from_utf8_lossy(secret).into_owned();
            let rule_id = matcher.rule_id(m.rule);
            let (context_before, context_after) = context(data, cursor.line_start, d.span.clone());
            for place in super::places_touching(blob, first_line, last_line) {
                out.push(Finding {
                    fingerprint: fingerprint(rule_id, &secret, &place.path),
                    severity: matcher.severity(m.rule),
                    rule_id: rule_id.to_string(),
                    context_before: context_before.clone(),
                    context_after: context_after.clone(),
                    secret: secret.clone(),
                    path: place.path.clone(),
                    line: cursor.line,
                    column: cursor.column,
                    provenance: place.provenance.clone(),
                    message: None,
                    provider: None,
                    verification: None,
                    key_info: KeyInfo::from_secret(&secret),
                    confidence: crate::model::Confidence::High,
                    confidence_reasons: Vec::new(),
                    tags: Vec::new(),
                    redacted_context: None,
                    archive: place.archive.as_deref().map(str::to_string),
                    encoding: Some(d.chain.join(" > ")),
                });
            }
        }
    }
    (out, spans, suppressed)
}
