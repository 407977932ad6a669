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
//! Myers' heuristics in pathological cases.

use super::{decode, Decoded, LineSet};
use imara_diff::{Algorithm, Diff, InternedInput};

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

    /// A side that is binary cannot be diffed: every line counts.
    #[test]
    fn binary_side_means_every_line() {
        assert!(added_lines(b"\x00\x01\x02binary", b"text\n").is_none());
    }
}
