//! Encoded content: candidate spans of base64 (standard and URL-safe), hex,
//! percent-encoding and JSON/JavaScript string escapes, decoded when what
//! they hold is text, nested up to [`MAX_DEPTH`] encodings deep.
//!
//! Only candidate spans are decoded (runs of an encoding's alphabet of a
//! minimum length, or runs holding escapes), never whole files; content
//! that decodes to binary is dropped, so random keys that happen to be
//! valid base64 are not decoded into noise.
//!
//! A span longer than [`WINDOW`] (a 1 MB base64 blob) is decoded in windows
//! of at most [`WINDOW`] bytes that start and end where the encoding can be
//! cut (a multiple of 4 characters into a base64 run, of 2 into hex, not
//! inside a `%XX` or an escape), each overlapping the one before by about
//! [`OVERLAP`], so an encoded secret shorter than that which crosses a
//! window's end is whole in the next one. Each byte is decoded about
//! `WINDOW / (WINDOW - OVERLAP)` times (1.07), so the work stays linear.
//! Base64 wrapped at a fixed width (a MIME body at 76 columns, a PEM-style
//! block at 64, with or without indentation) is also joined and decoded as
//! one span, from its first line to its last: a secret that crosses a line
//! break is whole there, and a finding points at the block's first line.
//! What cannot be decoded is counted, never dropped silently: a window that
//! had to be cut where the encoding cannot be (no cut point within
//! [`SLACK`] bytes: an escape run of backslashes, say), and a span nested
//! deeper than [`MAX_DEPTH`] encodings.

use base64::Engine as _;
use std::ops::Range;

/// Encodings nested inside one another, at most.
pub const MAX_DEPTH: usize = 3;

/// Shortest base64 run decoded (24 characters: 18 bytes).
const MIN_BASE64: usize = 24;
/// Shortest hex run decoded (32 digits: 16 bytes).
const MIN_HEX: usize = 32;
/// Narrowest and widest line of wrapped base64 joined into one span (MIME
/// wraps at 76 columns, PEM and OpenSSL at 64).
const WRAP_WIDTH: std::ops::RangeInclusive<usize> = 40..=128;
/// Most wrapped base64 joined into one span; the rest of a longer block is
/// counted as not decoded.
const MAX_WRAPPED: usize = 1 << 20;
/// Longest span decoded in one piece; longer ones are decoded in windows.
const WINDOW: usize = 64 << 10;
/// How far consecutive windows overlap (an encoded secret up to this long
/// is whole in one of them).
const OVERLAP: usize = 4 << 10;
/// How far a window's end (back) or start (forward) moves to find a place
/// where the encoding can be cut.
const SLACK: usize = 1 << 10;

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

/// What [`decoded_spans`] found, and how much it could not decode.
#[derive(Debug, Default)]
pub struct Spans {
    /// Every decoded span, in order of the outer span.
    pub decoded: Vec<Decoded>,
    /// Encoded spans (or windows of one) not decoded: nested deeper than
    /// [`MAX_DEPTH`], or cut where the encoding cannot be cut.
    pub not_decoded: u64,
}

/// Every decodable span in `data` and, inside what it decodes to, every
/// nested one (to [`MAX_DEPTH`]), in order of the outer span.
pub fn decoded_spans(data: &[u8]) -> Spans {
    let mut spans = Spans::default();
    for (span, text, encoding) in one_level(data, &mut spans.not_decoded) {
        let chain = vec![encoding];
        nest(&text, &span, &chain, &mut spans);
        spans.decoded.push(Decoded { span, text, chain });
    }
    spans.decoded.sort_by_key(|d| (d.span.start, d.chain.len()));
    spans
}

/// Decode inside `text` (already `chain` deep), recording what is found at
/// the outer `span`; at the depth limit, count what is not decoded.
fn nest(text: &[u8], span: &Range<usize>, chain: &[&'static str], out: &mut Spans) {
    if chain.len() >= MAX_DEPTH {
        let mut ignored = 0;
        out.not_decoded += one_level(text, &mut ignored).len() as u64;
        return;
    }
    for (_, inner, encoding) in one_level(text, &mut out.not_decoded) {
        let mut c = chain.to_vec();
        c.push(encoding);
        nest(&inner, span, &c, out);
        out.decoded.push(Decoded {
            span: span.clone(),
            text: inner,
            chain: c,
        });
    }
}

/// Windows over `span` (see the module comment): at most [`WINDOW`] bytes,
/// each starting and ending where `cut` allows (the span's own ends
/// always do). A window that had to be cut elsewhere adds one to `forced`.
fn windows(span: Range<usize>, cut: impl Fn(usize) -> bool, forced: &mut u64) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = span.start;
    loop {
        if span.end - start <= WINDOW {
            out.push(start..span.end);
            return out;
        }
        let nominal = start + WINDOW;
        let end = (nominal - SLACK..=nominal).rev().find(|&i| cut(i));
        let end = end.unwrap_or_else(|| {
            *forced += 1;
            nominal
        });
        out.push(start..end);
        let next = end - OVERLAP;
        start = (next..next + SLACK).find(|&i| cut(i)).unwrap_or_else(|| {
            *forced += 1;
            next
        });
    }
}

/// Spans of `data` one encoding deep: (span, decoded text, encoding);
/// windows cut where the encoding cannot be are counted in `forced`.
fn one_level(data: &[u8], forced: &mut u64) -> Vec<(Range<usize>, Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    let runs = base64_runs(data, MIN_BASE64);
    for (span, joined) in wrapped(data, &runs, forced) {
        if let Some(text) = base64(&joined).filter(|t| is_text(t)) {
            out.push((span, text, "base64"));
        }
    }
    for r in runs {
        let run = &data[r.clone()];
        let hexed = run.len() >= MIN_HEX
            && run.len().is_multiple_of(2)
            && run.iter().all(u8::is_ascii_hexdigit);
        // Four characters are three bytes (and two hex digits, one).
        let cut = |i: usize| (i - r.start).is_multiple_of(4);
        let pieces = windows(r.clone(), cut, forced);
        let windowed = pieces.len() > 1;
        for w in pieces {
            let piece = &data[w.clone()];
            let decoded = if hexed {
                hex(piece).map(|t| (t, "hex"))
            } else if windowed || may_be_text(piece) {
                // (A window may start inside a character: no prefilter.)
                base64(piece).map(|t| (t, "base64"))
            } else {
                None
            };
            let decoded = decoded.map(|(t, e)| (if windowed { whole_chars(t) } else { t }, e));
            if let Some((text, encoding)) = decoded.filter(|(t, _)| is_text(t)) {
                out.push((w, text, encoding));
            }
        }
    }
    let percents = memchr::memchr_iter(b'%', data).filter(|&p| is_hex_at(data, p + 1, 2));
    for r in runs_around(data, percents) {
        // Not inside a `%XX`.
        let cut = |i: usize| data[i - 1] != b'%' && data[i - 2] != b'%';
        for w in windows(r, cut, forced) {
            let span = &data[w.clone()];
            let text: Vec<u8> = percent_encoding::percent_decode(span).collect();
            if text.len() + 4 <= span.len() && is_text(&text) {
                out.push((w, text, "percent"));
            }
        }
    }
    let escapes = memchr::memchr_iter(b'\\', data).filter(|&p| match data.get(p + 1) {
        Some(b'u') => is_hex_at(data, p + 2, 4),
        Some(b'x') => is_hex_at(data, p + 2, 2),
        _ => false,
    });
    for r in runs_around(data, escapes) {
        // An escape starts here (the byte before is not a backslash that
        // would escape it), and not the second half of a surrogate pair.
        let cut = |i: usize| {
            data[i] == b'\\'
                && data[i - 1] != b'\\'
                && !(data.get(i + 1) == Some(&b'u')
                    && data.get(i + 2).is_some_and(|b| matches!(b, b'd' | b'D'))
                    && data
                        .get(i + 3)
                        .is_some_and(|b| matches!(b, b'c'..=b'f' | b'C'..=b'F')))
        };
        for w in windows(r, cut, forced) {
            if let Some(text) = unescape(&data[w.clone()]).filter(|t| is_text(t)) {
                out.push((w, text, "escapes"));
            }
        }
    }
    out
}

/// Blocks of base64 wrapped at one width: a run that is a whole line
/// (after some indentation) `w` characters long, then lines with the same
/// indentation, all `w` long but the last, which is no longer (and may be
/// shorter than a run); two lines at least. Each block's span and its lines
/// joined (at most [`MAX_WRAPPED`] bytes: a longer block counts once in
/// `forced`).
fn wrapped(data: &[u8], runs: &[Range<usize>], forced: &mut u64) -> Vec<(Range<usize>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let first = runs[i].clone();
        i += 1;
        let width = first.len();
        let line_start = data[..first.start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let indent = &data[line_start..first.start];
        if !WRAP_WIDTH.contains(&width)
            || !indent.iter().all(|&b| b == b' ' || b == b'\t')
            || line_end(data, first.end) != Some(first.end)
        {
            continue;
        }
        let mut joined = data[first.clone()].to_vec();
        let mut end = first.end;
        let mut last_len = width;
        // Each further line: newline, the same indentation, base64.
        while last_len == width && !data[..end].ends_with(b"=") {
            let mut at = end;
            if data.get(at) == Some(&b'\r') {
                at += 1;
            }
            if data.get(at) != Some(&b'\n') || !data[at + 1..].starts_with(indent) {
                break;
            }
            let start = at + 1 + indent.len();
            let len = data[start..]
                .iter()
                .take(width + 1)
                .take_while(|&&b| B64[b as usize] || b == b'=')
                .count();
            let body = &data[start..start + len];
            let padding = body.iter().rev().take_while(|&&b| b == b'=').count();
            if len == 0
                || len > width
                || padding > 2
                || body[..len - padding].contains(&b'=')
                || line_end(data, start + len) != Some(start + len)
            {
                break;
            }
            if joined.len() + len > MAX_WRAPPED {
                *forced += 1;
                break;
            }
            joined.extend_from_slice(body);
            end = start + len;
            last_len = len;
        }
        if end > first.end {
            out.push((first.start..end, joined));
            while i < runs.len() && runs[i].start < end {
                i += 1;
            }
        }
    }
    out
}

/// `at` when a line ends there (a newline, CRLF or the end of the data).
fn line_end(data: &[u8], at: usize) -> Option<usize> {
    match data.get(at) {
        None | Some(b'\n') => Some(at),
        Some(b'\r') if matches!(data.get(at + 1), None | Some(b'\n')) => Some(at),
        _ => None,
    }
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
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    run.chunks(2)
        .map(|p| match p {
            [a, b] => Some((digit(*a)? << 4) | digit(*b)?),
            _ => None,
        })
        .collect()
}

/// What a window of a longer span decodes to, without a character cut by
/// either of its ends (a window may begin or end inside a UTF-8 sequence).
fn whole_chars(mut text: Vec<u8>) -> Vec<u8> {
    let lead = text
        .iter()
        .take(3)
        .take_while(|&&b| (0x80..0xC0).contains(&b))
        .count();
    text.drain(..lead);
    if let Err(e) = std::str::from_utf8(&text) {
        if e.error_len().is_none() {
            text.truncate(e.valid_up_to());
        }
    }
    text
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
            .decoded
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

    /// `text` base64-encoded and wrapped at `width` columns after `indent`.
    fn wrap(text: &str, width: usize, indent: &str, eol: &str) -> String {
        let enc = STANDARD.encode(text);
        enc.as_bytes()
            .chunks(width)
            .map(|c| format!("{indent}{}{eol}", std::str::from_utf8(c).unwrap()))
            .collect()
    }

    #[test]
    fn wrapped_base64_is_joined_into_one_span() {
        let inner = "MIME-Version: 1.0\nX-Note: a long enough line to cross the wrap\nSTRIPE_KEY=sk_live_0123456789abcdefghijKLMN\n";
        for (width, indent, eol) in [(76, "", "\n"), (64, "    ", "\r\n"), (64, "\t", "\n")] {
            let body = wrap(inner, width, indent, eol);
            let data = format!("Content-Transfer-Encoding: base64\n\n{body}\n--boundary--\n");
            let spans = decoded_spans(data.as_bytes());
            let joined = spans
                .decoded
                .iter()
                .find(|d| d.text == inner.as_bytes())
                .unwrap_or_else(|| panic!("width {width} indent {indent:?}: {spans:?}"));
            // The span starts at the block's first line.
            let first = data.find(&body[indent.len()..indent.len() + 8]).unwrap();
            assert_eq!(joined.span.start, first);
            assert_eq!(joined.chain, ["base64"]);
        }
        // Lines of different widths, or binary content: nothing joined.
        let ragged = format!(
            "{}\n{}\n",
            &STANDARD.encode(inner)[..64],
            &STANDARD.encode(inner)[64..124]
        );
        let spans = decoded_spans(ragged.as_bytes());
        assert!(spans.decoded.iter().all(|d| d.text != inner.as_bytes()));
        let binary: Vec<u8> = (0..300u32).map(|i| (i * 37 % 256) as u8).collect();
        let data = STANDARD
            .encode(&binary)
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect::<String>();
        let spans = decoded_spans(data.as_bytes());
        assert!(
            spans.decoded.iter().all(|d| d.span.len() <= 76),
            "{spans:?}"
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

    /// A key deep inside a 1 MB base64 blob, and one across the end of the
    /// first window, are both found; the work is windows, not the whole run.
    #[test]
    fn long_runs_are_decoded_in_overlapping_windows() {
        let filler = "lorem ipsum dolor sit amet, ".repeat(40_000);
        let secret = "token=sk_live_0123456789abcdefABCDEF";
        // Where the encoding of the first copy starts: 20 characters
        // before the first window's end, so it crosses it.
        let before = (WINDOW - 20) / 4 * 3;
        let text = format!(
            "{}{secret}{}{secret} end",
            &filler[..before],
            &filler[..760_000]
        );
        let b64 = STANDARD.encode(&text);
        assert!(b64.len() > 1_000_000);
        let spans = decoded_spans(format!("blob: {b64}\n").as_bytes());
        assert_eq!(spans.not_decoded, 0);
        let hits = spans
            .decoded
            .iter()
            .filter(|d| d.text.windows(secret.len()).any(|w| w == secret.as_bytes()))
            .count();
        assert!(hits >= 2, "{hits}");
        // The copy across the first window's end is whole in the second.
        let at = 6 + before / 3 * 4;
        assert!(spans.decoded.iter().any(|d| d.span.start > 6
            && d.span.start <= at
            && d.span.end >= at + 48
            && d.text.windows(secret.len()).any(|w| w == secret.as_bytes())));
        assert!(spans.decoded.iter().all(|d| d.span.len() <= WINDOW));
        // Windows of a hex run are whole bytes, and characters cut by a
        // window's end are dropped, not the window.
        let wide = "é".repeat(50_000) + secret;
        let hexed: String = wide.bytes().map(|b| format!("{b:02x}")).collect();
        let spans = decoded_spans(hexed.as_bytes());
        assert!(spans
            .decoded
            .iter()
            .any(|d| d.text.ends_with(secret.as_bytes()) && d.chain == ["hex"]));
    }

    #[test]
    fn windows_cut_where_the_encoding_allows() {
        let mut forced = 0;
        let w = windows(0..200_000, |i| i % 4 == 0, &mut forced);
        assert_eq!(forced, 0);
        assert_eq!(w.first().map(|r| r.start), Some(0));
        assert_eq!(w.last().map(|r| r.end), Some(200_000));
        for pair in w.windows(2) {
            assert!(pair[1].start < pair[0].end, "windows overlap");
            assert!(pair[0].end - pair[1].start >= OVERLAP - SLACK);
        }
        // Nowhere to cut: every cut is forced, and counted.
        let w = windows(0..200_000, |_| false, &mut forced);
        assert_eq!(forced as usize, 2 * (w.len() - 1));
    }

    /// Long percent and escape runs are windowed too; a span nested deeper
    /// than the limit is counted as not decoded.
    #[test]
    fn long_escape_runs_and_the_depth_limit() {
        let secret = "sk_live_0123456789abcdefABCDEF";
        let escaped: String = "x"
            .repeat(40_000)
            .chars()
            .chain(secret.chars())
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let spans = decoded_spans(escaped.as_bytes());
        assert!(spans
            .decoded
            .iter()
            .any(|d| d.text.ends_with(secret.as_bytes())));
        let percent: String = "y"
            .repeat(40_000)
            .chars()
            .chain(secret.chars())
            .map(|c| format!("%{:02X}", c as u32))
            .collect();
        let spans = decoded_spans(percent.as_bytes());
        assert!(spans
            .decoded
            .iter()
            .any(|d| d.text.ends_with(secret.as_bytes())));
        let mut deep = format!("key: {secret}");
        for _ in 0..MAX_DEPTH + 1 {
            deep = STANDARD.encode(&deep);
        }
        let spans = decoded_spans(deep.as_bytes());
        assert_eq!(spans.not_decoded, 1);
        assert!(spans.decoded.iter().all(|d| d.chain.len() <= MAX_DEPTH));
    }
}
