//! Which lines a change adds, computed on the text the matcher scans.
//!
//! `staged` and `--range` report only findings on added lines. The diff runs
//! on decoded text (UTF-16 converted, lone CRs made line ends, see
//! `decode`), so its line numbers are the matcher's line numbers: a modified
//! UTF-16 PowerShell script diffs as text, not as binary. A side that does
//! not decode to text (or cannot be read) cannot be diffed: then every line
//! of the new side counts as added, so nothing is dropped silently.
//!
//! Cost: imara-diff's histogram diff, linear in practice and bounded by
//! Myers' heuristics in pathological cases. A change with a side over
//! [`LARGE`] bytes is not diffed position by position (both sides and the
//! diff's tables would be held at once): the old side's lines are hashed,
//! the old side is dropped, and a line of the new side is added when its
//! text is not a line of the old side. One such change is worked out at a
//! time ([`large_turn`]), so memory holds one large blob and 8 bytes per old
//! line, whatever the number of workers.

use super::odb::Reader;
use super::{decode, Decoded, LineSet, SourceError};
use gix_hash::oid;
use imara_diff::{Algorithm, Diff, InternedInput};
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

/// Sides larger than this are compared by line content ([`line_hashes`]).
pub(crate) const LARGE: u64 = 8 << 20;

/// True when a change with sides of these sizes is compared by content.
pub(crate) fn is_large(old_size: u64, new_size: u64) -> bool {
    old_size.max(new_size) > LARGE
}

/// Lines (1-based) blob `new` adds over blob `old`, for a change
/// [`is_large`] says is large: the old side is read into `buf` and its
/// lines hashed, then the new side is read over it (so `buf` holds the new
/// side afterwards); one such change at a time, process-wide. `None` when
/// a side is binary (every line counts).
pub(crate) fn added_lines_large(
    reader: &mut Reader,
    old: &oid,
    new: &oid,
    buf: &mut Vec<u8>,
) -> Result<Option<LineSet>, SourceError> {
    let _turn = large_turn();
    reader.read_into(old, buf)?;
    let old_lines = line_hashes(buf);
    reader.read_into(new, buf)?;
    Ok(old_lines.and_then(|o| added_against(&o, buf)))
}

/// Hold while working out a large change: one at a time, process-wide.
fn large_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The hashes of the lines of a blob's decoded text (`None`: binary).
struct OldLines(HashSet<u64, foldhash::fast::FixedState>);

fn hasher() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x6b65_7973_7765_6570)
}

/// Hash the lines of raw blob content `old`.
fn line_hashes(old: &[u8]) -> Option<OldLines> {
    let Decoded::Text(text) = decode(old) else {
        return None;
    };
    let h = hasher();
    let mut set = HashSet::with_hasher(hasher());
    for line in text.split(|&b| b == b'\n') {
        set.insert(h.hash_one(line));
    }
    Some(OldLines(set))
}

/// Lines (1-based) of raw blob content `new` whose text is not a line of
/// the old side; `None` when `new` is binary (every line counts).
fn added_against(old: &OldLines, new: &[u8]) -> Option<LineSet> {
    let Decoded::Text(text) = decode(new) else {
        return None;
    };
    let h = hasher();
    let mut ranges = Vec::new();
    let mut lines = text.split(|&b| b == b'\n').peekable();
    let mut n = 0;
    while let Some(line) = lines.next() {
        n += 1;
        if lines.peek().is_none() && line.is_empty() {
            break; // the text ends with a line break
        }
        if !old.0.contains(&h.hash_one(line)) {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == n => *end = n,
                _ => ranges.push((n, n)),
            }
        }
    }
    Some(LineSet::from_ranges(ranges))
}

/// Lines (1-based) of `new` that the change from `old` adds, both raw blob
/// contents; `None` when every line counts (the change cannot be diffed).
pub(crate) fn added_lines(old: &[u8], new: &[u8]) -> Option<LineSet> {
    let (Decoded::Text(old), Decoded::Text(new)) = (decode(old), decode(new)) else {
        return None;
    };
    Some(added_between_texts(&old, &new))
}

/// Lines (1-based) of decoded text `new` that a line diff from `old` adds.
pub(crate) fn added_between_texts(old: &[u8], new: &[u8]) -> LineSet {
    let input = InternedInput::new(old, new);
    let diff = Diff::compute(Algorithm::Histogram, &input);
    let mut lines = Vec::new();
    for hunk in diff.hunks() {
        lines.extend((hunk.after.start..hunk.after.end).map(|i| i as usize + 1));
    }
    LineSet::from_lines(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            out.extend(u.to_le_bytes());
        }
        out
    }

    #[test]
    fn added_lines_of_plain_text() {
        let set = added_lines(b"a\nb\nc\n", b"a\nx\nb\nc\ny\n").unwrap();
        assert_eq!(set, LineSet::from_lines(vec![2, 5]));
        assert!(added_lines(b"same\n", b"same\n").unwrap().is_empty());
    }

    /// A modified UTF-16 file diffs as text, with the matcher's line numbers.
    #[test]
    fn utf16_files_diff_as_text() {
        let old = utf16le("$a = 1\r\n$b = 2\r\n");
        let new = utf16le("$a = 1\r\n$key = 'x'\r\n$b = 2\r\n");
        assert_eq!(
            added_lines(&old, &new).unwrap(),
            LineSet::from_lines(vec![2])
        );
    }

    /// Lone-CR files are numbered by their CRs, as the matcher numbers them.
    #[test]
    fn lone_cr_files_number_lines() {
        let set = added_lines(b"a\rb\rc\r", b"a\rb\rnew\rc\r").unwrap();
        assert_eq!(set, LineSet::from_lines(vec![3]));
    }

    /// Large changes compare line content: moved lines are not added, new
    /// and changed ones are, numbered as the matcher numbers them.
    #[test]
    fn large_changes_compare_line_content() {
        let old = line_hashes(b"a\nb\nc\n").unwrap();
        let set = added_against(&old, b"c\na\nx\nb\ny\nz\n").unwrap();
        assert_eq!(set, LineSet::from_lines(vec![3, 5, 6]));
        assert!(added_against(&old, b"b\na\n").unwrap().is_empty());
        let crlf = line_hashes(b"a\r\nb\r\n").unwrap();
        assert_eq!(
            added_against(&crlf, b"a\r\nkey\r\nb\r\n").unwrap(),
            LineSet::from_lines(vec![2])
        );
        assert!(line_hashes(b"\x00\x01bin").is_none());
    }

    /// A side that is binary cannot be diffed: every line counts.
    #[test]
    fn binary_side_means_every_line() {
        assert!(added_lines(b"\x00\x01\x02binary", b"text\n").is_none());
    }
}
