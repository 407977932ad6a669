//! Turning raw file bytes into scannable text, and telling text from binary.
//!
//! A contributor controls every byte of a file, so no single byte may turn
//! a file of keys into "binary, not scanned". The rules, in order:
//!
//! 1. A byte-order mark decides: UTF-16 (LE or BE) is converted to UTF-8, a
//!    UTF-8 BOM is dropped.
//! 2. No NUL byte in the first [`SNIFF`] bytes (the head): text, as git and
//!    ripgrep judge it. When NULs come later, a head that is not UTF-8 but
//!    reads as clean UTF-16 in the byte order the first NUL gives (a
//!    UTF-16 file that opens with characters whose bytes are never zero,
//!    CJK text say) is converted as UTF-16 ([`late_utf16`]).
//! 3. A head with NULs that reads as BOM-less UTF-16 ([`bomless_utf16`]):
//!    at least a quarter of its characters have a zero high byte (ASCII
//!    and Latin-1), at most 1 in 64 is a NUL, a control character or a lone
//!    surrogate, and the others do not look like pairs of ASCII bytes (that
//!    is UTF-8 text beside a UTF-16 section, not UTF-16) is converted.
//! 4. A head that starts with a binary format's magic number (executables,
//!    class files, WebAssembly, images, PDF, SQLite, archives) is binary.
//! 5. Otherwise the head is text when at most `max(1, head / 64)` of its
//!    bytes (about 1.6%) are suspicious: control bytes other than tab, line
//!    feed, carriage return, form feed and escape; NULs other than those of
//!    a UTF-16 run (a NUL between two characters of alternating
//!    byte-and-NUL, see [`utf16_nul`]); bytes of invalid UTF-8. Else binary.
//!
//! Text keeps its NUL bytes out of the matcher's way: a NUL inside a UTF-16
//! run (UTF-16 sections in a UTF-8 file, or past the head) is dropped, so
//! the run reads as its ASCII text; any other NUL becomes a space, so it
//! still separates what it separated. Neither changes a line number.
//! Binary content is the caller's to handle (archives are opened, the
//! printable strings of other binaries scanned, see `strings`).
//!
//! Cost: the head is looked at a bounded number of times; the whole content
//! once more for a NUL (memchr), and copied once when it holds one.

use std::borrow::Cow;

/// The head: how far into a file the binary sniffing looks.
const SNIFF: usize = 8 * 1024;

/// The result of decoding a file.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Text to scan (borrowed when no conversion was needed).
    Text(Cow<'a, [u8]>),
    /// Binary content: not text.
    Binary,
}

/// A UTF-16 byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Le,
    Be,
}

impl Order {
    fn unit(self, pair: [u8; 2]) -> u16 {
        match self {
            Order::Le => u16::from_le_bytes(pair),
            Order::Be => u16::from_be_bytes(pair),
        }
    }
}

/// Decode `raw` (see the module comment): UTF-16 becomes UTF-8, a UTF-8 BOM
/// is dropped, NULs in text are dropped or made spaces, lone-CR line
/// endings become LF; binary content is [`Decoded::Binary`].
pub fn decode(raw: &[u8]) -> Decoded<'_> {
    match decode_encoding(raw) {
        Decoded::Text(t) => Decoded::Text(lone_cr_to_lf(without_nuls(t))),
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

/// True when the NUL at `i` sits in a UTF-16 run: a non-NUL byte and
/// then another NUL follow it, or a NUL and then a non-NUL byte come
/// before it (`k\0e\0y\0` or `\0k\0e\0y`).
fn utf16_nul(data: &[u8], i: usize) -> bool {
    let after = data.get(i + 1).is_some_and(|&b| b != 0) && data.get(i + 2) == Some(&0);
    let before = i >= 2 && data[i - 1] != 0 && data[i - 2] == 0;
    after || before
}

/// Text with its NULs dropped (inside UTF-16 runs) or made spaces.
fn without_nuls(text: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if memchr::memchr(0, &text).is_none() {
        return text;
    }
    let mut out = Vec::with_capacity(text.len());
    for (i, &b) in text.iter().enumerate() {
        match b {
            0 if utf16_nul(&text, i) => {}
            0 => out.push(b' '),
            b => out.push(b),
        }
    }
    Cow::Owned(out)
}

fn decode_encoding(raw: &[u8]) -> Decoded<'_> {
    match raw {
        [0xFF, 0xFE, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, Order::Le))),
        [0xFE, 0xFF, rest @ ..] => Decoded::Text(Cow::Owned(utf16(rest, Order::Be))),
        [0xEF, 0xBB, 0xBF, rest @ ..] => sniff(rest),
        _ => sniff(raw),
    }
}

fn sniff(raw: &[u8]) -> Decoded<'_> {
    let head = &raw[..raw.len().min(SNIFF)];
    if memchr::memchr(0, head).is_none() {
        return match late_utf16(raw, head) {
            Some(order) => Decoded::Text(Cow::Owned(utf16(raw, order))),
            None => Decoded::Text(Cow::Borrowed(raw)),
        };
    }
    if let Some(order) = bomless_utf16(head) {
        return Decoded::Text(Cow::Owned(utf16(raw, order)));
    }
    if has_binary_magic(head) || !mostly_text(head) {
        return Decoded::Binary;
    }
    Decoded::Text(Cow::Borrowed(raw))
}

/// Formats whose first bytes say binary, whatever the rest looks like:
/// ELF, Mach-O (and universal binaries and Java class files, which share
/// `CAFEBABE`), PE/DOS executables, WebAssembly, PNG, JPEG, GIF, PDF,
/// SQLite, static libraries (`ar`), and the archives `archive` opens.
fn has_binary_magic(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x7fELF",
        &[0xFE, 0xED, 0xFA, 0xCE],
        &[0xFE, 0xED, 0xFA, 0xCF],
        &[0xCE, 0xFA, 0xED, 0xFE],
        &[0xCF, 0xFA, 0xED, 0xFE],
        &[0xCA, 0xFE, 0xBA, 0xBE],
        b"MZ",
        b"\0asm",
        b"\x89PNG",
        &[0xFF, 0xD8, 0xFF],
        b"GIF87a",
        b"GIF89a",
        b"%PDF-",
        b"SQLite format 3\0",
        b"!<arch>\n",
    ];
    MAGIC.iter().any(|m| head.starts_with(m)) || super::archive::is_archive(head)
}

/// Rule 5 of the module comment: at most `max(1, head / 64)` suspicious
/// bytes.
fn mostly_text(head: &[u8]) -> bool {
    let allowed = (head.len() / 64).max(1);
    let mut suspicious = 0usize;
    for (i, &b) in head.iter().enumerate() {
        let odd = match b {
            0 => !utf16_nul(head, i),
            b'\t' | b'\n' | b'\r' | 0x0C | 0x1B => false,
            b => b < 0x20 || b == 0x7F,
        };
        suspicious += usize::from(odd);
    }
    if suspicious > allowed {
        return false;
    }
    for chunk in head.utf8_chunks() {
        suspicious += chunk.invalid().len();
        if suspicious > allowed {
            return false;
        }
    }
    true
}

/// What the 16-bit units of a sample look like in one byte order.
#[derive(Debug, Default)]
struct Shape {
    units: usize,
    /// High byte zero, low byte not: ASCII and Latin-1 characters.
    narrow: usize,
    /// NUL characters, control characters other than tab, LF, CR and form
    /// feed, C1 controls, lone surrogates, U+FFFE and U+FFFF.
    bad: usize,
    /// Other characters whose two bytes are both printable ASCII: what
    /// ASCII or UTF-8 text looks like when read as UTF-16.
    ascii_pairs: usize,
}

fn shape(sample: &[u8], order: Order) -> Shape {
    let mut s = Shape::default();
    let mut pending_high = false;
    let pairs = sample.chunks_exact(2);
    let last = pairs.len().saturating_sub(1);
    for (i, p) in pairs.enumerate() {
        let u = order.unit([p[0], p[1]]);
        s.units += 1;
        let high = (0xD800..0xDC00).contains(&u);
        let low = (0xDC00..0xE000).contains(&u);
        if pending_high && !low {
            s.bad += 1; // the high surrogate before had no low one
        }
        if low && !pending_high {
            s.bad += 1;
        }
        // A high surrogate cut off by the end of the sample is not bad.
        pending_high = high && i < last;
        let printable = |b: u8| (0x20..0x7F).contains(&b);
        let control = u < 0x20 && !matches!(u, 0x09 | 0x0A | 0x0C | 0x0D);
        if u == 0 || control || (0x7F..0xA0).contains(&u) || u >= 0xFFFE {
            s.bad += 1;
        } else if u < 0x100 {
            s.narrow += 1;
        } else if printable(p[0]) && printable(p[1]) {
            s.ascii_pairs += 1;
        }
    }
    s
}

impl Shape {
    /// Few bad units: at most 1 in 64 (none in a sample under 64 units).
    fn clean(&self) -> bool {
        self.bad * 64 <= self.units
    }

    /// The wide characters are not mostly pairs of ASCII bytes.
    fn wide_not_ascii(&self) -> bool {
        self.ascii_pairs * 2 <= self.units - self.narrow
    }
}

/// BOM-less UTF-16 (rule 3 of the module comment), in the order it reads.
fn bomless_utf16(head: &[u8]) -> Option<Order> {
    if head.len() < 4 {
        return None;
    }
    [Order::Le, Order::Be].into_iter().find(|&order| {
        let s = shape(head, order);
        s.narrow * 4 >= s.units && s.clean() && s.wide_not_ascii()
    })
}

/// A UTF-16 file whose NUL-free head is not UTF-8: the first NUL's offset
/// gives the byte order (odd: little endian), the head must read cleanly in
/// it, not as pairs of ASCII bytes, and the head-sized stretch from the
/// first NUL on must read as BOM-less UTF-16 in the same order.
fn late_utf16(raw: &[u8], head: &[u8]) -> Option<Order> {
    let first = head.len() + memchr::memchr(0, &raw[head.len()..])?;
    let cut = head.len() >= SNIFF;
    let invalid = head
        .utf8_chunks()
        .filter(|c| !c.invalid().is_empty())
        .count();
    // A head cut mid-character ends in one incomplete sequence.
    if invalid == 0
        || (cut
            && invalid == 1
            && std::str::from_utf8(head).is_err_and(|e| e.error_len().is_none()))
    {
        return None;
    }
    let order = if first % 2 == 1 { Order::Le } else { Order::Be };
    let s = shape(head, order);
    if !(s.bad == 0 && s.wide_not_ascii()) {
        return None;
    }
    let from = first & !1;
    let stretch = &raw[from..raw.len().min(from + SNIFF)];
    (bomless_utf16(stretch) == Some(order)).then_some(order)
}

fn utf16(raw: &[u8], order: Order) -> Vec<u8> {
    let units = raw.chunks_exact(2).map(|c| order.unit([c[0], c[1]]));
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

    fn is_binary(raw: &[u8]) -> bool {
        matches!(decode(raw), Decoded::Binary)
    }

    fn le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn be(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn utf16_both_orders() {
        let with_bom = |bom: [u8; 2], body: Vec<u8>| [bom.to_vec(), body].concat();
        assert_eq!(text(decode(&with_bom([0xFF, 0xFE], le("key=v")))), b"key=v");
        assert_eq!(text(decode(&with_bom([0xFE, 0xFF], be("key=v")))), b"key=v");
    }

    #[test]
    fn lone_cr_line_endings_become_lines() {
        assert_eq!(text(decode(b"a=1\rb=2\r")), b"a=1\nb=2\n");
        assert_eq!(text(decode(b"a=1\r\nb=2")), b"a=1\r\nb=2");
    }

    #[test]
    fn utf16_without_bom() {
        assert_eq!(text(decode(&le("KEY=value\r\n"))), b"KEY=value\r\n");
        assert_eq!(text(decode(&be("KEY=value\r\n"))), b"KEY=value\r\n");
        assert!(is_binary(&[0u8; 64]), "NUL bytes are binary");
        assert!(is_binary(b"\x01\x00\x00\x02\xff\xfe\x10\x00"));
    }

    /// Non-ASCII characters (Cyrillic, CJK, an emoji's surrogate pair) do not
    /// stop UTF-16 from being recognised, as long as a quarter of the
    /// characters are narrow.
    #[test]
    fn utf16_with_non_ascii_characters() {
        let s = "# Настройки 設定 🔑\nKEY=значение\n".repeat(20);
        assert_eq!(text(decode(&le(&s))), s.as_bytes());
        assert_eq!(text(decode(&be(&s))), s.as_bytes());
        // Under a quarter narrow: not recognised by shape (it is still text
        // to the NUL rule, which keeps its ASCII readable).
        assert_eq!(bomless_utf16(&le(&"日本語のテキストa".repeat(50))), None);
        // One lone surrogate in 64 characters is tolerated, two are not.
        let mut units: Vec<u16> = "KEY=value".repeat(14).encode_utf16().collect();
        units[10] = 0xD800;
        let raw: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(bomless_utf16(&raw), Some(Order::Le));
        units[20] = 0xDC00;
        let raw: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(bomless_utf16(&raw), None);
    }

    /// A UTF-16 file that opens with 8 KiB of characters without a zero
    /// byte is converted by the order its first NUL gives.
    #[test]
    fn utf16_with_a_nul_free_head() {
        let s = format!("{}\nKEY=value\n", "設定".repeat(3000));
        let raw = le(&s);
        assert!(memchr::memchr(0, &raw[..SNIFF]).is_none());
        assert_eq!(text(decode(&raw)), s.as_bytes());
        assert_eq!(text(decode(&be(&s))), s.as_bytes());
        // A UTF-8 head followed by a UTF-16 section stays UTF-8; the
        // section's NULs are dropped, so its ASCII reads as text.
        let mut mixed = format!("{}\n", "# note ".repeat(2000)).into_bytes();
        mixed.extend(le("KEY=value\n"));
        let got = text(decode(&mixed));
        assert!(got.ends_with(b"\nKEY=value\n"), "{got:?}");
    }

    /// A UTF-16 section inside the head of a UTF-8 file: text, the
    /// section's NULs dropped, the UTF-8 part untouched.
    #[test]
    fn utf8_with_a_utf16_section() {
        let mut raw = b"first=line\n".repeat(30);
        raw.extend(le("KEY=value\nOTHER=two\n"));
        raw.extend(b"last=line\n");
        let got = text(decode(&raw));
        let want = [
            b"first=line\n".repeat(30),
            b"KEY=value\nOTHER=two\nlast=line\n".to_vec(),
        ]
        .concat();
        assert_eq!(got, want);
        // As big a section as the UTF-8 part: still not taken for UTF-16.
        let mut raw = b"first=line\n".repeat(30);
        raw.extend(le(&"KEY=value\n".repeat(33)));
        assert!(text(decode(&raw)).starts_with(b"first=line\n"));
    }

    /// The boundary of rule 5: one suspicious byte always passes, then 1 in
    /// 64 of the head.
    #[test]
    fn a_few_nuls_do_not_make_text_binary() {
        assert_eq!(text(decode(b"\0KEY=value\n")), b" KEY=value\n");
        assert_eq!(text(decode(b"a\0")), b"a ");
        let body = b"KEY=value\n".repeat(64); // 640 bytes: 10 allowed
        let with = |n: usize| {
            let mut raw = vec![0u8; n];
            raw.extend(&body);
            raw.truncate(body.len());
            raw
        };
        // A run of NULs is not a UTF-16 run: each NUL counts.
        assert!(!is_binary(&with(10)));
        assert!(is_binary(&with(11)));
        let controls = |n: usize| {
            let mut raw = body.clone();
            for i in 0..n {
                raw[i * 10 + 3] = 0x01;
            }
            raw[0] = 0; // a NUL, so the head is sniffed
            raw
        };
        assert!(!is_binary(&controls(9)));
        assert!(is_binary(&controls(10)));
        // Invalid UTF-8 counts too; tab, CR, form feed and escape do not.
        let mut raw = body.clone();
        raw[0] = 0;
        raw[100..110].copy_from_slice(&[0xFF; 10]);
        assert!(is_binary(&raw));
        let mut raw = b"\0\t\r\x0c\x1b[0m colour\n".to_vec();
        raw.extend(&body);
        assert!(!is_binary(&raw));
        // Beyond the head, NULs never matter.
        let mut raw = body.repeat(SNIFF / body.len() + 1);
        raw.extend(vec![0u8; SNIFF]);
        assert!(!is_binary(&raw));
    }

    #[test]
    fn magic_numbers_and_binary_content() {
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.extend(b"KEY=value\n".repeat(100));
        assert!(is_binary(&elf), "an ELF is binary however textual");
        let mut mz = b"MZ\x90\0".to_vec();
        mz.extend(b"text ".repeat(100));
        assert!(is_binary(&mz));
        assert!(is_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        // The same magic with no NUL in the head is text (an `MZ` note).
        assert!(!is_binary(b"MZ is a name\n"));
        // Bytes 0..=255 over and over: binary by content.
        let all: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert!(is_binary(&all));
    }

    #[test]
    fn nuls_in_text_are_dropped_or_spaced() {
        let head = b"# a header line\n".repeat(20);
        let raw = [&head[..], b"key\0value\0\0end\nk\0e\0y\0!\0\n"].concat();
        let want = [&head[..], b"key value  end\nkey!\n"].concat();
        assert_eq!(text(decode(&raw)), want);
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert!(is_binary(b"\x7fELF\0\0"));
        assert_eq!(text(decode(b"\xEF\xBB\xBFhi")), b"hi");
    }
}
