//! Encoded content: candidate spans of base64 (standard and URL-safe), hex,
//! percent-encoding and JSON/JavaScript string escapes, decoded when what
//! they hold is text, nested up to [`MAX_DEPTH`] encodings deep.
//!
//! Only candidate spans are decoded (runs of an encoding's alphabet of a
//! minimum length, or runs holding escapes), never whole files; content
//! that decodes to binary is dropped, so random keys that happen to be
//! valid base64 are not decoded into noise.

use base64::Engine as _;
use std::ops::Range;

/// Encodings nested inside one another, at most.
pub const MAX_DEPTH: usize = 3;

/// Shortest base64 run decoded (24 characters: 18 bytes).
const MIN_BASE64: usize = 24;
/// Shortest hex run decoded (32 digits: 16 bytes).
const MIN_HEX: usize = 32;
/// Longest span decoded (larger runs are data, not a credential).
const MAX_SPAN: usize = 64 << 10;

/// Text found inside an encoded span of the original content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The encoded span in the original content (the outermost encoding).
    pub span: Range<usize>,
    /// The decoded text.
    pub text: Vec<u8>,
    /// The encodings undone, outermost first (`["base64", "percent"]`).
    pub chain: Vec<&'static str>,
}

/// Bytes of the base64 alphabets (standard and URL-safe).
const fn b64_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'_' || c == b'-';
        b += 1;
    }
    t
}
static B64: [bool; 256] = b64_table();

/// Bytes that end a percent- or escape-encoded run.
fn ends_run(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>')
}

/// Runs of base64 alphabet bytes at least `min` long, with `=` padding.
/// Skips ahead `min` bytes at a time: when the byte `min - 1` past a run
/// boundary is not in the alphabet, no long run can start before it, so
/// ordinary text is passed over looking at a few bytes in every `min`.
fn base64_runs(data: &[u8], min: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let in_alphabet = |b: u8| B64[b as usize];
    // Invariant: `i` is 0 or just past a byte outside the alphabet.
    let mut i = 0;
    while i + min <= data.len() {
        let probe = i + min - 1;
        if let Some(q) = data[i..=probe].iter().rposition(|&b| !in_alphabet(b)) {
            i += q + 1;
            continue;
        }
        let mut end = probe + 1;
        while end < data.len() && in_alphabet(data[end]) {
            end += 1;
        }
        let body = end;
        while end < data.len() && end - body < 2 && data[end] == b'=' {
            end += 1;
        }
        out.push(i..end);
        i = end + 1;
    }
    out
}

/// The runs around each place `marker` finds (a `%XX`, `\uXXXX` or `\xXX`),
/// merged: from the last run-ending byte before to the first after.
fn runs_around(data: &[u8], hits: impl Iterator<Item = usize>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for at in hits {
        if out.last().is_some_and(|r| at < r.end) {
            continue;
        }
        let start = data[..at]
            .iter()
            .rposition(|&b| ends_run(b))
            .map_or(0, |p| p + 1);
        let end = data[at + 1..]
            .iter()
            .position(|&b| ends_run(b) && b != b'\\')
            .map_or(data.len(), |p| at + 1 + p);
        out.push(start..end);
    }
    out
}

fn is_hex_at(data: &[u8], at: usize, n: usize) -> bool {
    data.len() >= at + n && data[at..at + n].iter().all(u8::is_ascii_hexdigit)
}

/// A base64 run that decodes to ASCII text has a printable first byte in
/// every 3: its 1st, 5th and 9th characters lie in `I`..=`Z` or `a`..=`f`.
fn may_be_text(run: &[u8]) -> bool {
    run.iter()
        .step_by(4)
        .take(3)
        .all(|&c| matches!(c, b'I'..=b'Z' | b'a'..=b'f'))
}

/// Every decodable span in `data` and, inside what it decodes to, every
/// nested one (to [`MAX_DEPTH`]), in order of the outer span.
pub fn decoded_spans(data: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    for (span, text, encoding) in one_level(data) {
        let chain = vec![encoding];
        nest(&text, &span, &chain, &mut out);
        out.push(Decoded { span, text, chain });
    }
    out.sort_by_key(|d| (d.span.start, d.chain.len()));
    out
}

/// Decode inside `text` (already `chain` deep), recording what is found at
/// the outer `span`.
fn nest(text: &[u8], span: &Range<usize>, chain: &[&'static str], out: &mut Vec<Decoded>) {
    if chain.len() >= MAX_DEPTH {
        return;
    }
    for (_, inner, encoding) in one_level(text) {
        let mut c = chain.to_vec();
        c.push(encoding);
        nest(&inner, span, &c, out);
        out.push(Decoded {
            span: span.clone(),
            text: inner,
            chain: c,
        });
    }
}

/// Spans of `data` one encoding deep: (span, decoded text, encoding).
fn one_level(data: &[u8]) -> Vec<(Range<usize>, Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    for r in base64_runs(data, MIN_BASE64) {
        let run = &data[r.clone()];
        if run.len() > MAX_SPAN {
            continue;
        }
        let hexed = run.len() >= MIN_HEX
            && run.len().is_multiple_of(2)
            && run.iter().all(u8::is_ascii_hexdigit);
        let decoded = if hexed {
            hex(run).map(|t| (t, "hex"))
        } else if may_be_text(run) {
            base64(run).map(|t| (t, "base64"))
        } else {
            None
        };
        if let Some((text, encoding)) = decoded.filter(|(t, _)| is_text(t)) {
            out.push((r, text, encoding));
        }
    }
    let percents = memchr::memchr_iter(b'%', data).filter(|&p| is_hex_at(data, p + 1, 2));
    for r in runs_around(data, percents) {
        let span = &data[r.clone()];
        if span.len() > MAX_SPAN {
            continue;
        }
        let text: Vec<u8> = percent_encoding::percent_decode(span).collect();
        if text.len() + 4 <= span.len() && is_text(&text) {
            out.push((r, text, "percent"));
        }
    }
    let escapes = memchr::memchr_iter(b'\\', data).filter(|&p| match data.get(p + 1) {
        Some(b'u') => is_hex_at(data, p + 2, 4),
        Some(b'x') => is_hex_at(data, p + 2, 2),
        _ => false,
    });
    for r in runs_around(data, escapes) {
        let span = &data[r.clone()];
        if span.len() > MAX_SPAN {
            continue;
        }
        if let Some(text) = unescape(span).filter(|t| is_text(t)) {
            out.push((r, text, "escapes"));
        }
    }
    out
}

/// Base64, standard or URL-safe (by the characters used), padding optional.
fn base64(run: &[u8]) -> Option<Vec<u8>> {
    let body = run
        .strip_suffix(b"==")
        .or(run.strip_suffix(b"="))
        .unwrap_or(run);
    let url = body.iter().any(|&b| b == b'-' || b == b'_');
    if url && body.iter().any(|&b| b == b'+' || b == b'/') {
        return None;
    }
    if body.len() % 4 == 1 {
        return None;
    }
    let engine = if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine.decode(body).ok()
}

fn hex(run: &[u8]) -> Option<Vec<u8>> {
    run.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

/// Undo `\uXXXX` (with surrogate pairs), `\xXX` and the one-letter escapes.
fn unescape(run: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(run).ok()?;
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'u' => {
                let hi = u32::from_str_radix(&take(&mut chars, 4)?, 16).ok()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let lo = u32::from_str_radix(&take(&mut chars, 4)?, 16).ok()?;
                    0x10000 + ((hi - 0xD800) << 10) + (lo.checked_sub(0xDC00)? & 0x3FF)
                } else {
                    hi
                };
                out.push(char::from_u32(code)?);
            }
            'x' => out.push(char::from_u32(
                u32::from_str_radix(&take(&mut chars, 2)?, 16).ok()?,
            )?),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            other => out.push(other),
        }
    }
    Some(out.into_bytes())
}

fn take(chars: &mut std::str::Chars<'_>, n: usize) -> Option<String> {
    let s: String = chars.take(n).collect();
    (s.len() == n).then_some(s)
}

/// Decoded bytes worth scanning: UTF-8 text of at least 8 bytes with no
/// control characters other than whitespace.
fn is_text(bytes: &[u8]) -> bool {
    bytes.len() >= 8
        && std::str::from_utf8(bytes).is_ok_and(|s| {
            s.chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    fn texts(data: &[u8]) -> Vec<(String, Vec<&'static str>)> {
        decoded_spans(data)
            .into_iter()
            .map(|d| (String::from_utf8(d.text).unwrap(), d.chain))
            .collect()
    }

    #[test]
    fn base64_standard_and_url_safe() {
        let inner = "aws_access_key_id = AKIAEXAMPLEEXAMPLE12";
        let data = format!("creds: {}\n", STANDARD.encode(inner));
        assert_eq!(
            texts(data.as_bytes()),
            [(inner.to_string(), vec!["base64"])]
        );
        let inner = "token=abc>>>???def~~~";
        let data = format!("x={}", URL_SAFE_NO_PAD.encode(inner));
        assert!(data.contains('_') || data.contains('-'), "{data}");
        assert_eq!(
            texts(data.as_bytes()),
            [(inner.to_string(), vec!["base64"])]
        );
    }

    #[test]
    fn binary_results_and_random_keys_are_not_decoded() {
        // A random 40-character secret is valid base64 but decodes to binary.
        assert!(texts(b"secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_empty());
        assert!(texts(b"just_a_long_identifier_name_here").is_empty());
        assert!(texts(b"sha = 0123456789abcdef0123456789abcdef").is_empty());
    }

    #[test]
    fn hex_percent_and_escapes() {
        let inner = "password=hunter2hunter2";
        let hexed: String = inner.bytes().map(|b| format!("{b:02x}")).collect();
        assert_eq!(texts(hexed.as_bytes()), [(inner.to_string(), vec!["hex"])]);
        assert_eq!(
            texts(b"u=https://x.test/?k=sk%5Flive%5Fabc123"),
            [(
                "u=https://x.test/?k=sk_live_abc123".to_string(),
                vec!["percent"]
            )]
        );
        assert_eq!(
            texts(br#"{"id": "\u0041KIA\x41BCDEFGH"}"#),
            [("AKIAABCDEFGH".to_string(), vec!["escapes"])]
        );
    }

    #[test]
    fn nested_to_the_depth_limit() {
        let inner = "key: sk_live_0123456789abcdefABCDEF";
        let once = STANDARD.encode(inner);
        let twice = STANDARD.encode(&once);
        let chains: Vec<_> = texts(twice.as_bytes()).into_iter().map(|t| t.1).collect();
        assert!(chains.contains(&vec!["base64", "base64"]), "{chains:?}");
        let four = STANDARD.encode(STANDARD.encode(STANDARD.encode(&once)));
        let deepest = texts(four.as_bytes())
            .into_iter()
            .map(|t| t.1.len())
            .max()
            .unwrap();
        assert_eq!(deepest, MAX_DEPTH);
    }

    #[test]
    fn malformed_input_is_left_alone() {
        assert!(texts(br"\u12 \uZZZZ \xG1").is_empty());
        assert!(texts(b"%ZZ%YY%XX").is_empty());
        assert!(texts(b"QUJD=====").is_empty());
        // A lone surrogate.
        assert!(texts(br#""\uD800abcdefgh\u0041""#).is_empty());
    }
}
