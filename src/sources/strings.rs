//! The printable strings of binary content, as `strings` lists them: a key
//! compiled into an executable, a class file or a database is text there.
//!
//! The view is one string per line: first every run of at least
//! [`MIN_RUN`] printable ASCII bytes (space to `~`, and tab), in file
//! order, exactly the lines `strings -a -n 8 FILE` prints; then every run of
//! at least [`MIN_RUN`] such characters in UTF-16LE (each followed by a zero
//! byte, at either byte alignment), as Windows and .NET binaries store
//! their strings. A line break ends a run, so a PEM block or a config file
//! embedded in a binary keeps its lines. Findings report line `N` of this
//! view (the `N`th string) with the encoding `strings`.
//!
//! Cost: two linear passes; the view is at most 9/8 of the content's size
//! (each run of 8 or more bytes gains one line break), so memory stays
//! bounded by `--max-file-size`.

/// Shortest run kept (shorter runs in binaries are mostly noise, and no
/// secret a rule looks for is this short).
pub const MIN_RUN: usize = 8;

/// The name findings in this view carry as their encoding.
pub const ENCODING: &str = crate::model::STRINGS_ENCODING;

fn printable(b: u8) -> bool {
    b == b'\t' || (0x20..0x7F).contains(&b)
}

/// The strings view of `data` (empty when it has no run long enough).
pub fn strings(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if !printable(b) {
            if i - start >= MIN_RUN {
                out.extend_from_slice(&data[start..i]);
                out.push(b'\n');
            }
            start = i + 1;
        }
    }
    if data.len() - start >= MIN_RUN {
        out.extend_from_slice(&data[start..]);
        out.push(b'\n');
    }
    for align in 0..2 {
        utf16le_runs(data.get(align..).unwrap_or_default(), &mut out);
    }
    out
}

/// Append the UTF-16LE runs of `data` read from its first byte on.
fn utf16le_runs(data: &[u8], out: &mut Vec<u8>) {
    let mut run: Vec<u8> = Vec::new();
    for pair in data.chunks_exact(2) {
        if pair[1] == 0 && printable(pair[0]) {
            run.push(pair[0]);
            continue;
        }
        if run.len() >= MIN_RUN {
            out.append(&mut run);
            out.push(b'\n');
        }
        run.clear();
    }
    if run.len() >= MIN_RUN {
        out.append(&mut run);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_runs_one_per_line_like_strings() {
        let data = b"\x7fELF\0\x01short\0exactly8\x02a longer run\twith tab\n-----BEGIN\n\xff";
        assert_eq!(
            strings(data),
            b"exactly8\na longer run\twith tab\n-----BEGIN\n"
        );
        assert_eq!(strings(b"1234567"), b"");
        assert_eq!(strings(b"12345678"), b"12345678\n");
        assert_eq!(strings(b""), b"");
    }

    #[test]
    fn utf16le_runs_at_either_alignment_come_after() {
        let wide = |s: &str| -> Vec<u8> { s.bytes().flat_map(|b| [b, 0]).collect() };
        let mut data = b"\x01plain ascii run\x02\x03".to_vec();
        data.extend(wide("even aligned"));
        data.push(0x03);
        data.extend(wide("odd aligned!"));
        data.push(0x04);
        data.extend(wide("ab"));
        assert_eq!(
            strings(&data),
            b"plain ascii run\neven aligned\nodd aligned!\n"
        );
    }

    /// The view is bounded: one line break per run of at least 8 bytes.
    #[test]
    fn the_view_is_at_most_nine_eighths() {
        let data: Vec<u8> = b"abcdefgh\0".repeat(1000);
        let view = strings(&data);
        assert_eq!(view.len(), 9000);
        assert!(view.len() <= data.len() * 9 / 8);
    }
}
