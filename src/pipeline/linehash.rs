//! GitHub code scanning's `primaryLocationLineHash`: the rolling hash the
//! upload action computes for each line of a file (over the first 100
//! characters from the line's start, spaces and tabs left out, line endings
//! made `\n`, counted per identical hash as `hash:n`). keysweep computes it
//! from the content it scanned, so a SARIF log uploaded through the API
//! carries the same value the action would add, and the action keeps it.
//!
//! The input is read as UTF-8 (invalid bytes become U+FFFD) and hashed per
//! UTF-16 code unit, as the action's JavaScript does.

use std::collections::{BTreeSet, HashMap};

const BLOCK: usize = 100;
const MOD: u64 = 37;
/// Stands for the end of the file, as in the action.
const EOF: u16 = 0xFFFF;

struct Rolling {
    window: [u64; BLOCK],
    /// The line that starts at each window slot (0: none; lines are 1-based).
    starts: [usize; BLOCK],
    hash: u64,
    first_mod: u64,
    index: usize,
    line: usize,
    line_start: bool,
    prev_cr: bool,
    counts: HashMap<u64, u32>,
}

impl Rolling {
    fn new() -> Self {
        Rolling {
            window: [0; BLOCK],
            starts: [0; BLOCK],
            hash: 0,
            first_mod: MOD.wrapping_pow(BLOCK as u32),
            index: 0,
            line: 0,
            line_start: true,
            prev_cr: false,
            counts: HashMap::new(),
        }
    }

    /// The hash of the line starting at the current slot, with its count.
    fn output(&mut self, out: &mut Sink<'_>) {
        let n = self.counts.entry(self.hash).or_insert(0);
        *n += 1;
        out.take(self.starts[self.index], format!("{:x}:{n}", self.hash));
        self.starts[self.index] = 0;
    }

    fn update(&mut self, current: u64) {
        let begin = self.window[self.index];
        self.window[self.index] = current;
        self.hash = MOD
            .wrapping_mul(self.hash)
            .wrapping_add(current)
            .wrapping_sub(self.first_mod.wrapping_mul(begin));
        self.index = (self.index + 1) % BLOCK;
    }

    fn char(&mut self, mut c: u16, out: &mut Sink<'_>) {
        if c == b' ' as u16 || c == b'\t' as u16 || (self.prev_cr && c == b'\n' as u16) {
            self.prev_cr = false;
            return;
        }
        if c == b'\r' as u16 {
            c = b'\n' as u16;
            self.prev_cr = true;
        } else {
            self.prev_cr = false;
        }
        if self.starts[self.index] != 0 {
            self.output(out);
        }
        if self.line_start {
            self.line_start = false;
            self.line += 1;
            self.starts[self.index] = self.line;
        }
        if c == b'\n' as u16 {
            self.line_start = true;
        }
        self.update(u64::from(c));
    }
}

/// The `primaryLocationLineHash` of each line in `wanted` (1-based) of
/// `data`. Reads only as far as the last wanted line needs.
pub fn line_hashes(data: &[u8], wanted: &BTreeSet<usize>) -> HashMap<usize, String> {
    let mut found = HashMap::new();
    let Some(&last) = wanted.iter().next_back() else {
        return found;
    };
    let mut out = Sink {
        wanted,
        last,
        found: &mut found,
        done: false,
    };
    let mut r = Rolling::new();
    let text = String::from_utf8_lossy(data);
    for c in text.encode_utf16() {
        r.char(c, &mut out);
        if out.done {
            return found;
        }
    }
    r.char(EOF, &mut out);
    for _ in 0..BLOCK {
        if r.starts[r.index] != 0 {
            r.output(&mut out);
        }
        r.update(0);
    }
    found
}

/// Where line hashes go: kept for the wanted lines; done after the last.
struct Sink<'a> {
    wanted: &'a BTreeSet<usize>,
    last: usize,
    found: &'a mut HashMap<usize, String>,
    done: bool,
}

impl Sink<'_> {
    fn take(&mut self, line: usize, hash: String) {
        if self.wanted.contains(&line) {
            self.found.insert(line, hash);
        }
        if line >= self.last {
            self.done = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line's hash, in line order.
    fn all(input: &str) -> Vec<String> {
        let lines = input.split(['\n']).count().max(1) + input.matches('\r').count();
        let wanted: BTreeSet<usize> = (1..=lines).collect();
        let got = line_hashes(input.as_bytes(), &wanted);
        (1..=got.len()).map(|l| got[&l].clone()).collect()
    }

    /// The values GitHub's upload action gives for the same inputs (its own
    /// test vectors).
    #[test]
    fn agrees_with_the_upload_action() {
        assert_eq!(all(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            all(" a\nb\n  \t\tc\n d"),
            [
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
        let expected = [
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        for input in [
            " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
            " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
            " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        ] {
            assert_eq!(all(input), expected, "{input:?}");
        }
        let lorem = all(&"Lorem ipsum dolor sit amet.\n".repeat(10));
        assert_eq!(lorem[0], "a7f2ff13bc495cf2:1");
        assert_eq!(lorem[5], "a7f2ff13bc495cf2:6");
        assert_eq!(lorem[6], "a7f2ff1481e87703:1");
        assert_eq!(lorem[10], "c129715d7a2bc9a3:1");
        assert_eq!(
            all("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n"),
            [
                "e54938cc54b302f1:1",
                "bb609acbe9138d60:1",
                "1131fd5871777f34:1",
                "5c482a0f8b35ea28:1",
                "54517377da7028d2:1",
                "2c644846cb18d53e:1",
                "f1b89f20de0d133:1",
                "c129715d7a2bc9a3:1"
            ]
        );
    }

    /// Asking for one early line reads no further than it needs, and gives
    /// the same value as hashing the whole file.
    #[test]
    fn one_line_alone() {
        let text = "a = 1\nkey = 2\n".repeat(1000);
        let whole = all(&text);
        let one = line_hashes(text.as_bytes(), &BTreeSet::from([2]));
        assert_eq!(one[&2], whole[1]);
        let late = line_hashes(text.as_bytes(), &BTreeSet::from([1999]));
        assert_eq!(late[&1999], whole[1998]);
    }
}
