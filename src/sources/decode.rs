//! Turning raw file bytes into scannable text: UTF-16 with a byte-order mark
//! is converted to UTF-8 (Windows tools write `.env` and `.ps1` files that
//! way), and binary content is recognised the way git and ripgrep do it: a NUL
//! byte in the first 8 KiB.

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

/// Decode `raw`: UTF-16 (LE or BE, by BOM) becomes UTF-8; a UTF-8 BOM is
/// dropped; a NUL in the first 8 KiB of anything else means binary.
pub fn decode(raw: &[u8]) -> Decoded<'_> {
    match raw {
        [0xFF, 0xFE, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, u16::from_le_bytes))),
        [0xFE, 0xFF, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, u16::from_be_bytes))),
        [0xEF, 0xBB, 0xBF, rest @ ..] => sniff(rest),
        _ => sniff(raw),
    }
}

fn sniff(raw: &[u8]) -> Decoded<'_> {
    if memchr::memchr(0, &raw[..raw.len().min(BINARY_SNIFF)]).is_some() {
        Decoded::Binary
    } else {
        Decoded::Text(Cow::Borrowed(raw))
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
    fn nul_means_binary_and_utf8_bom_is_dropped() {
        assert!(matches!(decode(b"\x7fELF\0\0"), Decoded::Binary));
        assert_eq!(text(decode(b"\xEF\xBB\xBFhi")), b"hi");
    }
}
