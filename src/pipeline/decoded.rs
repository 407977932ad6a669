//! Findings inside encoded content: the matcher runs again on what each
//! encoded span decodes to (see [`crate::matcher::decode`]); a finding
//! there is reported at the encoded span, names its encoding chain, and
//! its context never shows the encoded span (which would give the secret
//! away to anyone who decodes it).

use super::{context, Cursor, Spot};
use crate::filter;
use crate::matcher::{decode, FileKind, Matcher};
use crate::model::Finding;
use crate::sources::Blob;
use std::collections::HashSet;
use std::ops::Range;

/// What the encoded spans of a blob gave.
pub(super) struct Encoded {
    /// Findings the plain scan did not find.
    pub findings: Vec<Finding>,
    /// The encoded spans they came from (to be redacted from other
    /// findings' context).
    pub spans: Vec<Range<usize>>,
    /// Findings suppressed inline.
    pub suppressed: u64,
    /// Encoded spans that could not be decoded (see
    /// [`decode::Spans::not_decoded`]).
    pub not_decoded: u64,
}

/// Findings in the encoded spans of `blob` that the plain scan did not
/// find (`plain` holds its secrets).
pub(super) fn findings(
    matcher: &Matcher,
    blob: &Blob<'_>,
    kind: FileKind,
    plain: &HashSet<&[u8]>,
) -> Encoded {
    let data = blob.data;
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let mut suppressed = 0;
    let mut seen: HashSet<(usize, Vec<u8>)> = HashSet::new();
    let mut cursor = Cursor::new(data);
    let decoded = decode::decoded_spans(data);
    for d in decoded.decoded {
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
            let path = blob.places.first().map_or("", |p| p.path.as_str());
            let allowed = filter::inline_allowed(&data[cursor.line_start..line_end], path);
            let spot = Spot {
                rule: m.rule,
                secret: String::from_utf8_lossy(secret).into_owned(),
                line: cursor.line,
                column: cursor.column,
                context: context(data, cursor.line_start, d.span.clone()),
                redacted_context: None,
                encoding: Some(if blob.strings {
                    format!(
                        "{} > {}",
                        crate::sources::STRINGS_ENCODING,
                        d.chain.join(" > ")
                    )
                } else {
                    d.chain.join(" > ")
                }),
            };
            for p in super::places_touching(blob, first_line, last_line) {
                let place = &blob.places[p];
                let added = allowed && super::allow_added_in_range(place, first_line);
                if allowed && !added {
                    suppressed += 1;
                    continue;
                }
                out.push(spot.reported(matcher, (place, added)));
            }
        }
    }
    Encoded {
        findings: out,
        spans,
        suppressed,
        not_decoded: decoded.not_decoded,
    }
}
