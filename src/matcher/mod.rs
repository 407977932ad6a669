//! The matcher: prefilter, then confirm.
//!
//! All rules are compiled once into a [`Matcher`]: one Aho-Corasick automaton
//! over every rule's keywords (case-insensitive) and one `regex::bytes` regex
//! per rule. A blob is searched for keywords first; a rule's regex runs only in
//! a small window around each of its keyword hits (the hit's line, bounded on
//! both sides so one 50 MB line never becomes a 50 MB regex search). Candidate
//! secrets then pass the placeholder, entropy and content checks in
//! [`filters`]; where secrets of several rules overlap, one finding is kept. The matcher is shared read-only across worker threads.

pub mod decode;
mod filters;
mod overlap;
mod value;

pub use filters::{
    is_default_password, is_placeholder, looks_like_sample, password_is_user_name, shannon_entropy,
    DEFAULT_PASSWORDS,
};
pub use value::{char_classes, is_identifier, FileKind};

use crate::model::Severity;
use crate::rules::{compile_placeholders, compile_regex, Check, Rule};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{CaptureLocations, Regex, RegexSet};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// How far before a keyword hit a match may start (same line).
const BEFORE: usize = 256;
/// How far after a keyword hit a match may end (same line), before the window
/// is stretched to the end of the token it cuts.
const AFTER: usize = 1024;
/// Windows one rule may open in one blob before its remaining hits are
/// searched in a single window running to the end of the blob.
const MAX_WINDOWS: usize = 1024;
/// Keywords this long or shorter must start a word (see `bounded_keyword`).
const SHORT_KEYWORD: usize = 3;
/// Window after a hit for multi-line rules (PEM blocks and the like).
const MULTILINE_AFTER: usize = 16 * 1024;
/// How far a window end is stretched to finish a token.
const TOKEN_SLACK: usize = 512;

/// A rule's regexes, compiled on first use.
type Lazy = OnceLock<Result<(Regex, usize, Option<RegexSet>), String>>;

/// A rule prepared for matching. Its regexes compile the first time one of
/// its keywords occurs, so start-up does not pay for rules a scan never needs.
#[derive(Debug)]
struct Compiled {
    pattern: String,
    placeholder_patterns: Vec<String>,
    lazy: Lazy,
    min_entropy: Option<f64>,
    checks: Vec<Check>,
    multiline: bool,
    generic: bool,
    /// From a scanned repository's config (see [`Matcher::dedupe_overlaps`]).
    untrusted: bool,
}

/// One confirmed match in a blob, before it becomes a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the slice the matcher was built from.
    pub rule: usize,
    /// Byte range of the whole regex match.
    pub span: Range<usize>,
    /// Byte range of the `secret` group.
    pub secret: Range<usize>,
}

/// Every rule compiled once; cheap to share between threads.
#[derive(Debug)]
pub struct Matcher {
    compiled: Vec<Compiled>,
    ids: Vec<String>,
    severities: Vec<Severity>,
    prefilter: AhoCorasick,
    /// Keyword pattern index -> rules that own that keyword.
    keyword_rules: Vec<Vec<u32>>,
    /// Keyword pattern index -> the keyword is a short word (at most
    /// [`SHORT_KEYWORD`] letters and digits): it counts only where a word
    /// starts, so `pat` or `ibm` do not fire inside `compatible` or `climb`.
    /// (Short keywords with punctuation, `hf_` or `8q~`, are rare in text
    /// and may sit inside a token.)
    bounded_keyword: Vec<bool>,
    /// Also look inside encoded spans (base64, hex, percent, escapes).
    decode: bool,
}

/// A rule that passed loading but cannot be compiled for matching.
#[derive(Debug, thiserror::Error)]
#[error("rule `{rule}`: {message}")]
pub struct CompileError {
    /// The rule id.
    pub rule: String,
    /// What failed.
    pub message: String,
}

impl Matcher {
    /// Look inside encoded spans (the default) or not (`--no-decode`).
    pub fn with_decoding(mut self, on: bool) -> Self {
        self.decode = on;
        self
    }

    /// True when encoded spans are decoded and scanned.
    pub fn decodes(&self) -> bool {
        self.decode
    }

    /// Compile `rules`. Rule indices in [`RawMatch::rule`] refer to this slice.
    pub fn new(rules: &[Rule]) -> Result<Self, CompileError> {
        let mut keyword_index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<u32>> = Vec::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            // Lints have no keywords: they are compiled but never triggered.
            for kw in &r.keywords {
                let kw = kw.to_ascii_lowercase();
                let k = *keyword_index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if !keyword_rules[k].contains(&(i as u32)) {
                    keyword_rules[k].push(i as u32);
                }
            }
            compiled.push(Compiled {
                pattern: r.regex.clone(),
                placeholder_patterns: r.placeholders.clone(),
                lazy: OnceLock::new(),
                min_entropy: r.min_entropy,
                checks: r.checks.clone(),
                multiline: r.multiline,
                generic: r.generic,
                untrusted: r.untrusted,
            });
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| CompileError {
                rule: "(keywords)".into(),
                message: e.to_string(),
            })?;
        let bounded_keyword = keywords
            .iter()
            .map(|k| k.len() <= SHORT_KEYWORD && k.bytes().all(|b| b.is_ascii_alphanumeric()))
            .collect();
        Ok(Matcher {
            bounded_keyword,
            compiled,
            ids: rules.iter().map(|r| r.id.clone()).collect(),
            severities: rules.iter().map(|r| r.severity).collect(),
            prefilter,
            keyword_rules,
            decode: true,
        })
    }

    /// Compile every rule's regexes now; the first failure is returned.
    /// (Scans compile lazily; `rules check` and the tests call this.)
    pub fn compile_all(&self) -> Result<(), CompileError> {
        for (i, c) in self.compiled.iter().enumerate() {
            if c.pattern.is_empty() {
                continue; // a lint
            }
            if let Err(message) = c.regexes() {
                return Err(CompileError {
                    rule: self.ids[i].clone(),
                    message: message.clone(),
                });
            }
        }
        Ok(())
    }

    /// Number of compiled rules.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    /// True when no rule is compiled.
    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// The id of rule `i`.
    pub fn rule_id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The severity of rule `i`.
    pub fn severity(&self, i: usize) -> Severity {
        self.severities[i]
    }

    /// Every confirmed match in `data`, sorted by position.
    pub fn find(&self, data: &[u8]) -> Vec<RawMatch> {
        self.find_in(data, FileKind::Config)
    }

    /// Matches in `data`, a file of language family `kind`: generic rules
    /// keep only values that are literals in that family (see `value`).
    pub fn find_in(&self, data: &[u8], kind: FileKind) -> Vec<RawMatch> {
        self.find_with_masks(data, kind).0
    }

    /// [`Matcher::find_in`], and the byte ranges of every other secret-like
    /// value a regex matched (kept or not): matches a more specific rule
    /// took over, and random-looking candidates a filter dropped. Reports
    /// redact all of them on a finding's line, not only its own secret.
    pub fn find_with_masks(
        &self,
        data: &[u8],
        kind: FileKind,
    ) -> (Vec<RawMatch>, Vec<Range<usize>>) {
        let mut masks = Vec::new();
        let mut out = Vec::new();
        self.scan_windows(data, &mut |rule, start, end| {
            self.confirm(rule, data, start, end, kind, (&mut out, &mut masks));
        });
        masks.extend(out.iter().map(|m| m.secret.clone()));
        self.dedupe_overlaps(&mut out);
        out.sort_by_key(|m| (m.span.start, m.rule));
        masks.sort_by_key(|r| (r.start, r.end));
        masks.dedup();
        (out, masks)
    }

    /// Stream the keyword hits of `data` into per-rule windows and hand
    /// each window to `confirm` once; returns how many windows were opened.
    ///
    /// Linear in the blob whatever it holds: hits are merged into their
    /// rule's open window as they arrive (no list of hits, no sort); a line
    /// break is found once per blob, not once per hit; and a rule that has
    /// opened [`MAX_WINDOWS`] windows in one blob gets one last window that
    /// runs to the end of the blob, so a file of repeated keywords costs one
    /// regex pass per rule instead of one search per hit.
    fn scan_windows(&self, data: &[u8], confirm: &mut dyn FnMut(usize, usize, usize)) -> usize {
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            if open.slots.len() < self.compiled.len() {
                open.slots.resize(self.compiled.len(), u32::MAX);
            }
            let windows = self.stream_hits(data, &mut open, confirm);
            open.clear();
            windows
        })
    }

    fn stream_hits(
        &self,
        data: &[u8],
        open: &mut Open,
        confirm: &mut dyn FnMut(usize, usize, usize),
    ) -> usize {
        let mut lines = LineTracker::default();
        let mut windows = 0usize;
        for hit in self.prefilter.find_overlapping_iter(data) {
            let (s, e) = (hit.start(), hit.end());
            if self.bounded_keyword[hit.pattern().as_usize()]
                && s > 0
                && data[s - 1].is_ascii_alphanumeric()
            {
                continue; // a short keyword inside a word
            }
            let ws = lines.window_start(data, s);
            for &rule in &self.keyword_rules[hit.pattern().as_usize()] {
                let multiline = self.compiled[rule as usize].multiline;
                let start = if multiline {
                    s.saturating_sub(BEFORE)
                } else {
                    ws
                };
                let Some(w) = open.get(rule) else {
                    open.insert(rule, start, e);
                    continue;
                };
                if w.done {
                    continue;
                }
                let joins = if multiline {
                    s >= w.start && s <= w.last_end + MULTILINE_AFTER
                } else {
                    s >= w.start && s <= w.last_end + AFTER && ws <= w.last_end
                };
                if joins {
                    w.last_end = w.last_end.max(e);
                    continue;
                }
                // Flush the rule's open window; open the next one.
                confirm(
                    rule as usize,
                    w.start,
                    window_end(data, w.last_end, multiline),
                );
                windows += 1;
                w.count += 1;
                w.start = start;
                w.last_end = e;
                if w.count >= MAX_WINDOWS {
                    // The rest of the blob in one window.
                    w.done = true;
                    confirm(rule as usize, start, data.len());
                    windows += 1;
                }
            }
        }
        for &(rule, w) in &open.touched {
            if !w.done {
                let multiline = self.compiled[rule as usize].multiline;
                confirm(
                    rule as usize,
                    w.start,
                    window_end(data, w.last_end, multiline),
                );
                windows += 1;
            }
        }
        windows
    }

    fn confirm(
        &self,
        rule: usize,
        data: &[u8],
        start: usize,
        end: usize,
        kind: FileKind,
        (out, masks): (&mut Vec<RawMatch>, &mut Vec<Range<usize>>),
    ) {
        let c = &self.compiled[rule];
        let Ok((regex, secret_group, placeholders)) = c.regexes() else {
            return; // reported by compile_all; the embedded rules are tested
        };
        let hay = &data[..end];
        let mut locs: CaptureLocations = regex.capture_locations();
        let mut pos = start;
        while pos < end {
            let Some(whole) = regex.captures_read_at(&mut locs, hay, pos) else {
                break;
            };
            pos = if whole.end() > pos {
                whole.end()
            } else {
                pos + 1
            };
            let Some((ss, se)) = locs.get(*secret_group) else {
                continue;
            };
            if ss == se {
                continue;
            }
            let literal =
                !c.generic || value::not_a_literal(data, whole.start(), ss..se, kind).is_none();
            let around = around(data, whole.start()..whole.end(), ss..se);
            if literal && accept(c, placeholders.as_ref(), &data[ss..se], around) {
                out.push(RawMatch {
                    rule,
                    span: whole.start()..whole.end(),
                    secret: ss..se,
                });
            } else if looks_random(&data[ss..se]) {
                masks.push(ss..se);
            }
        }
    }
}

impl Compiled {
    fn regexes(&self) -> &Result<(Regex, usize, Option<RegexSet>), String> {
        self.lazy.get_or_init(|| {
            let (re, group) = compile_regex(&self.pattern)?;
            let placeholders = compile_placeholders(&self.placeholder_patterns)?;
            Ok((re, group, placeholders))
        })
    }
}

/// The placeholder, entropy and content checks for one candidate secret.
/// Base64 of `user:password` with printable text and a password of at
/// least four characters (`YnJvd3Nlcjo=` is `browser:`, no password).
fn is_basic_credential(secret: &[u8]) -> bool {
    use base64::Engine;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(secret) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return false;
    };
    text.chars().all(|c| !c.is_control())
        && text
            .split_once(':')
            .is_some_and(|(_, password)| password.chars().count() >= 4)
}

/// A dropped candidate that could still be a secret (redacted on the line).
fn looks_random(v: &[u8]) -> bool {
    v.len() >= 12
        && !filters::is_placeholder(v)
        && value::char_classes(v) >= 2
        && !value::is_identifier(v)
        && filters::shannon_entropy(v) >= 3.0
}

/// The text a check may read around a candidate: its match and the rest of
/// the lines the match is on, at most [`BEFORE`] bytes either side (a user
/// name given next to a password).
fn around(data: &[u8], whole: Range<usize>, secret: Range<usize>) -> &[u8] {
    let lo = whole.start.min(secret.start).saturating_sub(BEFORE);
    let start =
        memchr::memrchr(b'\n', &data[lo..whole.start.min(secret.start)]).map_or(lo, |p| lo + p + 1);
    let end_from = whole.end.max(secret.end);
    let hi = (end_from + BEFORE).min(data.len());
    let end = memchr::memchr(b'\n', &data[end_from..hi]).map_or(hi, |p| end_from + p);
    &data[start..end]
}

fn accept(c: &Compiled, placeholders: Option<&RegexSet>, secret: &[u8], around: &[u8]) -> bool {
    if filters::is_placeholder(secret) {
        return false;
    }
    if placeholders.is_some_and(|set| set.is_match(secret)) {
        return false;
    }
    if c.min_entropy
        .is_some_and(|min| filters::shannon_entropy(secret) < min)
    {
        return false;
    }
    c.checks.iter().all(|check| match check {
        Check::Jwt => crate::model::decode_jwt_claims(secret).is_some(),
        Check::BasicAuth => is_basic_credential(secret),
        Check::Password => {
            !filters::is_default_password(secret) && !filters::password_is_user_name(around, secret)
        }
    })
}

/// Where the window of a single-line rule's keyword hit ending at `end`
/// stops: the end of the line, at most [`AFTER`] bytes on and then stretched
/// to finish the token it cuts; multi-line rules look [`MULTILINE_AFTER`] on.
fn window_end(data: &[u8], end: usize, multiline: bool) -> usize {
    if multiline {
        return (end + MULTILINE_AFTER).min(data.len());
    }
    let hi = (end + AFTER).min(data.len());
    if let Some(p) = memchr::memchr(b'\n', &data[end..hi]) {
        return end + p;
    }
    // The line goes on past the window: finish the token the window cuts, so
    // a regex never sees a truncated key as a whole one.
    let slack_end = (hi + TOKEN_SLACK).min(data.len());
    data[hi..slack_end]
        .iter()
        .position(|&b| !is_token_byte(b))
        .map_or(slack_end, |p| hi + p)
}

/// Window starts for a blob's hits, in one pass over its line breaks.
#[derive(Default)]
struct LineTracker {
    /// Line breaks before this offset have been seen.
    scanned: usize,
    /// The last line break before `scanned`.
    last_newline: Option<usize>,
}

impl LineTracker {
    /// Where a single-line window for a hit starting at `s` begins: the start
    /// of its line, at most [`BEFORE`] bytes back. Hits arrive in order of
    /// their end, so `s` only moves back by less than a keyword's length;
    /// then the line break is looked for directly, within [`BEFORE`].
    fn window_start(&mut self, data: &[u8], s: usize) -> usize {
        let lo = s.saturating_sub(BEFORE);
        if s >= self.scanned {
            if let Some(p) = memchr::memrchr(b'\n', &data[self.scanned..s]) {
                self.last_newline = Some(self.scanned + p);
            }
            self.scanned = s;
            return self.last_newline.map_or(0, |p| p + 1).max(lo);
        }
        match self.last_newline {
            Some(p) if p < s => (p + 1).max(lo),
            _ => memchr::memrchr(b'\n', &data[lo..s]).map_or(lo, |p| lo + p + 1),
        }
    }
}

/// The rules with an open window in the blob being matched (per thread,
/// reused across blobs so a blob costs nothing for rules it never hits).
#[derive(Default)]
struct Open {
    /// Rule index -> index in `touched`, or `u32::MAX`.
    slots: Vec<u32>,
    touched: Vec<(u32, Window)>,
}

#[derive(Clone, Copy)]
struct Window {
    start: usize,
    /// End of the last keyword hit merged into the window.
    last_end: usize,
    /// Windows this rule has already searched in this blob.
    count: usize,
    /// The rule has searched to the end of the blob.
    done: bool,
}

impl Open {
    fn get(&mut self, rule: u32) -> Option<&mut Window> {
        let i = self.slots[rule as usize];
        (i != u32::MAX).then(|| &mut self.touched[i as usize].1)
    }

    fn insert(&mut self, rule: u32, start: usize, last_end: usize) {
        self.slots[rule as usize] = self.touched.len() as u32;
        self.touched.push((
            rule,
            Window {
                start,
                last_end,
                count: 0,
                done: false,
            },
        ));
    }

    fn clear(&mut self) {
        for (rule, _) in self.touched.drain(..) {
            self.slots[rule as usize] = u32::MAX;
        }
    }
}

thread_local! {
    static OPEN: std::cell::RefCell<Open> = std::cell::RefCell::default();
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, kw: &str, re: &str) -> Rule {
        let text = format!(
            "[[rules]]\nid = {id:?}\nname = \"n\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [{kw:?}]\nregex = '''{re}'''\n"
        );
        crate::rules::parse("t.toml", &text).unwrap().remove(0)
    }

    #[test]
    fn finds_only_near_keywords_and_reports_secret_span() {
        let m =
            Matcher::new(&[rule("tok", "tok_", r"\b(?P<secret>tok_[a-zA-Z0-9]{16})\b")]).unwrap();
        let data = b"line one\nx = tok_Ab3dE5gH7jK9mN1p\nlast";
        let found = m.find(data);
        assert_eq!(found.len(), 1);
        assert_eq!(&data[found[0].secret.clone()], b"tok_Ab3dE5gH7jK9mN1p");
    }

    #[test]
    fn a_cut_line_never_yields_a_truncated_token() {
        let m = Matcher::new(&[rule("tok", "tok_", r"(?P<secret>tok_[a-z]{8,})\b")]).unwrap();
        let mut data = b"tok_".to_vec();
        data.extend((0..AFTER + 100).map(|i| b'a' + (i * 7 % 26) as u8));
        let token_end = data.len();
        data.extend(b" rest of the line");
        let found = m.find(&data);
        assert_eq!(found.len(), 1);
        // The match runs to the end of the token, not to the window edge.
        assert_eq!(found[0].secret.end, token_end);
    }

    #[test]
    fn invalid_utf8_does_not_stop_matching() {
        let m = Matcher::new(&[rule("tok", "tok_", r"(?P<secret>tok_[a-zA-Z0-9]{16})")]).unwrap();
        let data = b"\xff\xfe\x80 tok_Ab3dE5gH7jK9mN1p \xc3";
        assert_eq!(m.find(data).len(), 1);
    }

    /// 100,000 keyword hits: the windows a rule opens are capped (the rest
    /// of the blob is one window), and the keys among them are all found.
    #[test]
    fn keyword_floods_open_a_bounded_number_of_windows() {
        let m =
            Matcher::new(&[rule("tok", "tok_", r"\b(?P<secret>tok_[a-zA-Z0-9]{16})\b")]).unwrap();
        let key = |c: char| format!("tok_Ab3dE5gH7jK9mN1{c}");
        let mut data = format!("{}\n", key('a')).into_bytes();
        for i in 0..100_000 {
            data.extend(b"tok_\n");
            if i == 50_000 {
                data.extend(format!("x = {}\n", key('b')).as_bytes());
            }
        }
        data.extend(format!("{}\n", key('c')).as_bytes());
        let mut windows = Vec::new();
        let opened = m.scan_windows(&data, &mut |rule, s, e| windows.push((rule, s, e)));
        assert_eq!(opened, windows.len());
        assert!(opened <= MAX_WINDOWS + 1, "{opened} windows");
        assert_eq!(
            windows.last().unwrap().2,
            data.len(),
            "the last window runs to the end"
        );
        let found: Vec<&[u8]> = m
            .find(&data)
            .iter()
            .map(|f| &data[f.secret.clone()])
            .collect();
        let want: Vec<String> = ['a', 'b', 'c'].map(key).to_vec();
        assert_eq!(found, want.iter().map(|k| k.as_bytes()).collect::<Vec<_>>());
        // One long line of hits is one window.
        let line = b"tok_ ".repeat(100_000);
        assert_eq!(m.scan_windows(&line, &mut |_, _, _| {}), 1);
    }

    /// Short word keywords count only where a word starts.
    #[test]
    fn short_word_keywords_must_start_a_word() {
        let m = Matcher::new(&[rule("p", "pat", r"\b(?P<secret>pat[a-zA-Z0-9]{14})\b")]).unwrap();
        assert_eq!(m.scan_windows(b"compatible patterns", &mut |_, _, _| {}), 1);
        assert_eq!(m.find(b"x = patAb3dE5gH7jK9mN").len(), 1);
        assert_eq!(
            m.scan_windows(b"compatAb3dE5gH7jK9mN", &mut |_, _, _| {}),
            0
        );
    }

    #[test]
    fn generic_rule_yields_to_specific_one() {
        let mut g = rule("generic", "key", r#"key\s*=\s*"(?P<secret>[^"]+)""#);
        g.generic = true;
        let s = rule("tok", "tok_", r"(?P<secret>tok_[a-zA-Z0-9]{16})");
        let m = Matcher::new(&[g, s]).unwrap();
        let found = m.find(br#"key = "tok_Ab3dE5gH7jK9mN1p""#);
        assert_eq!(found.len(), 1);
        assert_eq!(m.rule_id(found[0].rule), "tok");
    }

    #[test]
    fn repository_rules_never_displace_trusted_ones() {
        let ours = rule("tok", "tok_", r"\b(?P<secret>tok_[a-zA-Z0-9]{16})\b");
        let mut theirs = rule("theirs", "tok_", r"\b(?P<secret>tok_[a-zA-Z0-9]{16})\b");
        theirs.severity = Severity::Critical;
        theirs.untrusted = true;
        let m = Matcher::new(&[ours, theirs]).unwrap();
        let found = m.find(b"x = tok_Ab3dE5gH7jK9mN1p\n");
        let rules: Vec<usize> = found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![0, 1], "both findings, the trusted rule's first");
    }

    #[test]
    fn overlapping_specific_rules_keep_the_longer_secret() {
        let short = rule("short", "tok_", r"(?P<secret>tok_[a-zA-Z0-9]{8})");
        let long = rule("long", "tok_", r"(?P<secret>tok_[a-zA-Z0-9]{16})");
        let m = Matcher::new(&[short, long]).unwrap();
        let found = m.find(b"a tok_Ab3dE5gH7jK9mN1p and tok_Zx8cV7bN");
        let ids: Vec<&str> = found.iter().map(|f| m.rule_id(f.rule)).collect();
        assert_eq!(ids, ["long", "short"]);
    }
}
