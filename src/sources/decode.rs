//! Turning raw file bytes into scannable text: UTF-16 with a byte-order mark
//! is converted to UTF-8 (Windows tools write `.env` and `.ps1` files that
//! way), as is BOM-less UTF-16 whose every other byte is zero; other content
//! with a NUL byte in the first 8 KiB is binary, as git and ripgrep judge it.

use std::borrow::Cow;

/// How far into a file a NUL byte marks it binary.
const BINARY_SNIFF: usize = 8 * 1024;

/// The result of decoding a file.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Text to scan (borrowed when no conversion was needed).
    Text(Cow<'a, [u8]>),
    /// Binary content: not scanned.
    Binary,
}

/// Decode `raw`: UTF-16 (LE or BE, by BOM or by shape) becomes UTF-8; a UTF-8
/// BOM is dropped; lone-CR line endings become LF; other content with a NUL
/// in the first 8 KiB is binary.
pub fn decode(raw: &[u8]) -> Decoded<'_> {
    match decode_encoding(raw) {
        Decoded::Text(t) => Decoded::Text(lone_cr_to_lf(t)),
        binary => binary,
    }
}

/// Old Mac files end lines with a lone CR: make them LF so line numbers mean
/// something (files with any LF are left as they are).
fn lone_cr_to_lf(text: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\n', &text).is_some() || memchr::memchr(b'\r', &text).is_none() {
        return text;
    }
    Cow::Owned(
        text.iter()
            .map(|&b| if b == b'\r' { b'\n' } else { b })
            .collect(),
    )
}

fn decode_encoding(raw: &[u8]) -> Decoded<'_> {
    match raw {
        [0xFF, 0xFE, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, u16::from_le_bytes))),
        [0xFE, 0xFF, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, u16::from_be_bytes))),
        [0xEF, 0xBB, 0xBF, rest @ ..] => sniff(rest),
        _ => sniff(raw),
    }
}

fn sniff(raw: &[u8]) -> Decoded<'_> {
    let head = &raw[..raw.len().min(BINARY_SNIFF)];
    if memchr::memchr(0, head).is_none() {
        return Decoded::Text(Cow::Borrowed(raw));
    }
    match bomless_utf16(head) {
        Some(true) => Decoded::Text(Cow::Owned(utf16(raw, u16::from_le_bytes))),
        Some(false) => Decoded::Text(Cow::Owned(utf16(raw, u16::from_be_bytes))),
        None => Decoded::Binary,
    }
}

/// UTF-16 without a byte-order mark, as Windows tools write it: mostly ASCII
/// text, so one byte of (nearly) every pair is zero and the other is not.
/// `Some(true)` for little endian, `Some(false)` for big endian.
fn bomless_utf16(head: &[u8]) -> Option<bool> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut le, mut be) = (0usize, 0usize);
    for p in head.chunks_exact(2) {
        match (p[0], p[1]) {
            (0, 0) => return None, // a NUL character: binary
            (a, 0) if a != 0 => le += 1,
            (0, b) if b != 0 => be += 1,
            _ => {}
        }
    }
    // Nine pairs in ten look like ASCII in one byte order.
    if le * 10 >= pairs * 9 {
        Some(true)
    } else if be * 10 >= pairs * 9 {
        Some(false)
    } else {
        None
    }
}

fn utf16(raw: &[u8], unit: fn([u8; 2]) -> u16) -> Vec<u8> {
    let units = raw.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(raw.len() / 2);
    for ch in char::decode_utf16(units) {
        out.push(ch.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: Decoded<'_>) -> Vec<u8> {
        match d {
            Decoded::Text(t) => t.into_owned(),
            Decoded::Binary => panic!("binary"),
        }
    }

    #[test]
    fn utf16_both_orders() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("key=v".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("key=v".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text(decode(&le)), b"key=v");
        assert_eq!(text(decode(&be)), b"key=v");
    }

    #[test]
    fn lone_cr_line_endings_become_lines() {
        assert_eq!(text(decode(b"a=1\rb=2\r")), b"a=1\nb=2\n");
        assert_eq!(text(decode(b"a=1\r\nb=2")), b"a=1\r\nb=2");
    }

    #[test]
    fn utf16_without_bom() {
        let le: Vec<u8> = "KEY=value\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "KEY=value\r\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(text(decode(&le)), b"KEY=value\r\n");
        assert_eq!(text(decode(&be)), b"KEY=value\r\n");
        assert!(
            matches!(decode(&[0u8; 64]), Decoded::Binary),
            "NUL bytes are binary"
        );
        assert!(matches!(
            decode(b"\x01\x00\x00\x02\xff\xfe\x10\x00"),
            Decoded::Binary
        ));
    }

    #[test]
    fn nul_means_binary_and_utf8_bom_is_dropped() {
        assert!(matches!(decode(b"\x7fELF\0\0"), Decoded::Binary));
        assert_eq!(text(decode(b"\xEF\xBB\xBFhi")), b"hi");
    }
}
