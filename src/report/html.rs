//! The HTML reporter: one self-contained page for triage, rendered from the
//! JSON report document (so `keysweep report FILE.json --format html` gives
//! the very page a direct `--format html` gives).
//!
//! Safe on a hostile repository's findings: every string that came from the
//! scanned input (paths, lines, commit messages, author names) is escaped
//! for element content and attributes, and none reaches the script as code
//! (the script reads only `data-*` attributes and text). A Content-Security-
//! Policy forbids every load (`default-src 'none'`) and allows exactly the
//! page's own style and script by their SHA-256, so an injected handler or
//! script could not run even if escaping failed. The full table is in the
//! HTML: without JavaScript it is readable; the script only sorts, filters
//! and counts. Secrets are redacted exactly as in the JSON document.
//!
//! Written as it goes: a first pass over the findings counts what the
//! header, timeline and rules section need, a second writes the rows, and
//! each finding's JSON value exists only while it is counted or written
//! ([`Findings`]). A direct `--format html` never builds the whole document,
//! so its memory stays near the JSON reporter's.

use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// Severities, most severe first, as the JSON document spells them.
const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// Escape text for HTML element content.
pub fn escape(s: &str) -> String {
    escape_with(s, false)
}

/// Escape text for a quoted attribute value (quotes too).
pub fn attr(s: &str) -> String {
    escape_with(s, true)
}

fn escape_with(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn csp_hash(s: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(s.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// An `https://` link to a reference page, or the text alone.
fn reference_link(url: &str) -> String {
    if url.starts_with("https://") && !url.contains(char::is_whitespace) {
        format!(r#"<a href="{}">{}</a>"#, attr(url), escape(url))
    } else {
        escape(url)
    }
}

/// The status a finding's verification left, or `not checked`.
fn status(f: &Value) -> &str {
    f.pointer("/verification/status")
        .and_then(Value::as_str)
        .unwrap_or("not checked")
}

/// The findings a page is rendered from, each as its JSON report value,
/// visited one at a time: a page never holds every finding's value at once.
pub trait Findings {
    /// Call `visit` with each finding's value, in report order.
    fn each(&self, visit: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()>;
}

impl Findings for &[Value] {
    fn each(&self, visit: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()> {
        self.iter().try_for_each(visit)
    }
}

/// Render the page for a JSON report document.
pub fn render(doc: &Value, out: &mut dyn Write) -> io::Result<()> {
    let findings = doc["findings"].as_array().map_or(&[][..], Vec::as_slice);
    render_page(doc, &findings, out)
}

/// Render the page: `doc` is the JSON report document (only its `scan`,
/// `tool` and `summary` are read), `findings` its findings. Two passes
/// over the findings: one counts (header, timeline, rules), one writes the
/// rows as it goes, so memory is the counts, not the page.
pub fn render_page(doc: &Value, findings: &dyn Findings, out: &mut dyn Write) -> io::Result<()> {
    let mut counts = Counts::default();
    findings.each(&mut |f| {
        counts.add(f);
        Ok(())
    })?;
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>keysweep report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(text(&doc["scan"], "target"))
    )?;
    header(doc, &counts, out)?;
    capped(doc, out)?;
    timeline(&counts.months, out)?;
    table(findings, counts.secrets, out)?;
    if counts.secrets > 0 {
        rules_section(&counts.rules, out)?;
    }
    lint_section(findings, counts.lints, out)?;
    skipped(doc, out)?;
    write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n")
}

/// A rule's name, references and number of findings.
type RuleCount = (String, Vec<String>, usize);

/// What the page says about all findings at once, counted in one pass.
#[derive(Default)]
struct Counts {
    secrets: usize,
    lints: usize,
    commits: HashSet<String>,
    by_sev: BTreeMap<String, usize>,
    by_conf: BTreeMap<String, usize>,
    by_status: BTreeMap<String, usize>,
    by_head: BTreeMap<String, usize>,
    /// Keys introduced per month (first commit's date), by severity.
    months: BTreeMap<String, [usize; 4]>,
    rules: BTreeMap<String, RuleCount>,
}

impl Counts {
    fn add(&mut self, f: &Value) {
        if is_lint(f) {
            self.lints += 1;
            return;
        }
        self.secrets += 1;
        if let Some(c) = f.pointer("/provenance/commit").and_then(Value::as_str) {
            if !self.commits.contains(c) {
                self.commits.insert(c.to_string());
            }
        }
        *self
            .by_sev
            .entry(text(f, "severity").to_string())
            .or_default() += 1;
        *self
            .by_conf
            .entry(text(f, "confidence").to_string())
            .or_default() += 1;
        *self.by_status.entry(status(f).to_string()).or_default() += 1;
        let head = match f.pointer("/provenance/in_head").and_then(Value::as_bool) {
            Some(true) => "still at HEAD",
            Some(false) => "history only",
            None => "working tree or index",
        };
        *self.by_head.entry(head.to_string()).or_default() += 1;
        if let Some(month) = f
            .pointer("/provenance/date")
            .and_then(Value::as_str)
            .and_then(|d| d.get(..7))
            .filter(|m| m.as_bytes().get(4) == Some(&b'-'))
        {
            let sev = SEVERITIES
                .iter()
                .position(|s| *s == text(f, "severity"))
                .unwrap_or(3);
            self.months.entry(month.to_string()).or_default()[sev] += 1;
        }
        let id = text(f, "rule_id");
        match self.rules.get_mut(id) {
            Some(r) => r.2 += 1,
            None => {
                let refs = f["references"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                self.rules
                    .insert(id.to_string(), (text(f, "rule_name").to_string(), refs, 1));
            }
        }
    }
}

fn is_lint(f: &Value) -> bool {
    f["lint"].as_bool().unwrap_or(false)
}

fn header(doc: &Value, counts: &Counts, page: &mut dyn Write) -> io::Result<()> {
    let scan = &doc["scan"];
    let s = &doc["summary"];
    let version = doc
        .pointer("/tool/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut what = format!("{} {}", text(scan, "command"), text(scan, "target"));
    if let Some(range) = scan["range"].as_str() {
        let _ = write!(what, " (range {range})");
    }
    write!(
        page,
        "<header>\n<h1>keysweep report</h1>\n<dl class=\"facts\">\
         <dt>Scanned</dt><dd>{}</dd>\
         <dt>Files or blobs</dt><dd>{}</dd><dt>Bytes</dt><dd>{}</dd>\
         <dt>Duration</dt><dd>{} s</dd><dt>Commits walked</dt><dd>{}</dd><dt>Commits with findings</dt><dd>{}</dd>\
         <dt>keysweep</dt><dd>{}</dd></dl>\n",
        escape(what.trim()),
        s["files_scanned"].as_u64().unwrap_or(0),
        s["bytes_scanned"].as_u64().unwrap_or(0),
        s["elapsed_seconds"].as_f64().unwrap_or(0.0),
        s["commits"]
            .as_u64()
            .map_or_else(|| "none (not a history scan)".to_string(), |n| n.to_string()),
        counts.commits.len(),
        escape(version),
    )?;
    page.write_all(b"<section class=\"counts\">\n")?;
    let mut card = |title: &str, m: &BTreeMap<String, usize>, order: &[&str]| -> io::Result<()> {
        let class = if title == "Severity" { "sev-" } else { "key-" };
        write!(
            page,
            "<table class=\"card\"><caption>{title}</caption><tbody>"
        )?;
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
        for k in keys {
            write!(
                page,
                "<tr><th class=\"{class}{}\">{}</th><td>{}</td></tr>",
                attr(&k.replace(' ', "-")),
                escape(k),
                m[k]
            )?;
        }
        if m.is_empty() {
            page.write_all(b"<tr><td>none</td></tr>")?;
        }
        page.write_all(b"</tbody></table>\n")
    };
    card("Severity", &counts.by_sev, &SEVERITIES)?;
    card("Confidence", &counts.by_conf, &["high", "medium", "low"])?;
    card(
        "Verification",
        &counts.by_status,
        &["live", "unknown", "not checked"],
    )?;
    card("Where", &counts.by_head, &["still at HEAD", "history only"])?;
    page.write_all(b"</section>\n</header>\n")
}

/// What the per-file cap left out, when it left anything out: the count
/// and the files with the most (a report given to `keysweep report` may
/// hold anything there: all escaped).
fn capped(doc: &Value, page: &mut dyn Write) -> io::Result<()> {
    let c = &doc["summary"]["capped"];
    let n = c["findings"].as_u64().unwrap_or(0);
    if n == 0 {
        return Ok(());
    }
    write!(
        page,
        "<section id=\"capped\">\n<p class=\"warn\">{n} more finding(s) not listed: at most {} are kept per file and rule \
         (<code>--max-findings-per-file</code>; 0 keeps all). They count for the exit status as the listed ones do.</p><ul>",
        c["limit"].as_u64().unwrap_or(0)
    )?;
    for f in c["files"].as_array().map_or(&[][..], Vec::as_slice) {
        write!(
            page,
            "<li><code>{}</code> ({}): {} more</li>",
            escape(text(f, "path")),
            escape(text(f, "rule_id")),
            f["findings"].as_u64().unwrap_or(0)
        )?;
    }
    page.write_all(b"</ul>\n</section>\n")
}

/// Keys introduced per month (by the first commit's date), stacked by
/// severity, as inline SVG.
fn timeline(months: &BTreeMap<String, [usize; 4]>, page: &mut dyn Write) -> io::Result<()> {
    page.write_all(b"<section id=\"timeline\">\n<h2>When keys were introduced</h2>\n")?;
    if months.is_empty() {
        return page.write_all(b"<p>No commit dates: not a history scan, or nothing found in history.</p>\n</section>\n");
    }
    let max = months
        .values()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (bar, gap, height) = (18usize, 8usize, 160usize);
    let width = months.len() * (bar + gap) + 40;
    write!(
        page,
        "<svg role=\"img\" aria-label=\"findings introduced per month\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">",
        height + 70,
        height + 70
    )?;
    for (i, (month, counts)) in months.iter().enumerate() {
        // From the document: a JSON report given to `keysweep report` may
        // hold anything there.
        let month = escape(month);
        let x = 30 + i * (bar + gap);
        let mut y = height + 10;
        for (sev, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let h = (n * height).div_ceil(max);
            y -= h;
            write!(
                page,
                "<rect class=\"sev-{}\" x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{h}\"><title>{month}: {n} {}</title></rect>",
                SEVERITIES[sev], SEVERITIES[sev]
            )?;
        }
        write!(
            page,
            "<text x=\"{}\" y=\"{}\" transform=\"rotate(60 {} {})\">{month}</text>",
            x + 4,
            height + 22,
            x + 4,
            height + 22
        )?;
    }
    write!(
        page,
        "<text x=\"0\" y=\"18\">{max}</text><text x=\"0\" y=\"{}\">0</text></svg>\n</section>\n",
        height + 10
    )
}

fn table(findings: &dyn Findings, n: usize, page: &mut dyn Write) -> io::Result<()> {
    write!(
        page,
        "<section id=\"findings\">\n<h2>Findings (<span id=\"shown\">{n}</span> of {n})</h2>\n\
         <div id=\"controls\" hidden><input id=\"q\" type=\"search\" placeholder=\"filter: path, rule, provider, author, fingerprint\" aria-label=\"filter\">\
         <span id=\"toggles\"></span></div>\n"
    )?;
    if n == 0 {
        return page.write_all(b"<p>No findings.</p>\n</section>\n");
    }
    page.write_all(
        b"<table id=\"t\"><thead><tr>\
         <th data-sort=\"sev\">Severity</th><th data-sort=\"text\">Provider</th><th data-sort=\"text\">Rule</th>\
         <th data-sort=\"text\">Path</th><th data-sort=\"num\">Line</th><th data-sort=\"text\">First commit</th>\
         <th data-sort=\"text\">Author</th><th data-sort=\"text\">Date</th><th data-sort=\"text\">Status</th>\
         <th data-sort=\"text\">Confidence</th><th>Details</th></tr></thead>\n<tbody>\n",
    )?;
    findings.each(&mut |f| if is_lint(f) { Ok(()) } else { row(f, page) })?;
    page.write_all(b"</tbody></table>\n</section>\n")
}

fn row(f: &Value, page: &mut dyn Write) -> io::Result<()> {
    let p = &f["provenance"];
    let sev = text(f, "severity");
    let provider = f["provider"].as_str().unwrap_or("");
    let path = match f["archive"].as_str() {
        Some(a) if !a.is_empty() => format!("{} ({a})", text(f, "path")),
        _ => text(f, "path").to_string(),
    };
    let commit = text(p, "commit");
    let short = commit.get(..12).unwrap_or(commit);
    let date = text(p, "date");
    let st = status(f);
    // Compact on purpose (10,000 rows stay under 5 MB): what every finding
    // of a rule shares (name, description, references, what to do) is in
    // the rules section once.
    write!(
        page,
        "<tr class=\"f\" data-fingerprint=\"{fp}\" data-sev=\"{sev}\"{prov_attr}{st_attr}>\
         <td>{sev}</td><td>{prov}</td><td>{rule}</td><td>{path}</td><td>{line}</td>\
         <td>{short}</td><td>{author}</td><td>{date}</td><td>{st}</td><td>{conf}</td><td><details><summary>more</summary><pre>{text}</pre>",
        fp = attr(text(f, "fingerprint")),
        sev = attr(sev),
        prov = escape(provider),
        st = escape(st),
        // Absent attributes mean "none" and "not checked" (the script knows).
        prov_attr = if provider.is_empty() { String::new() } else { format!(" data-prov=\"{}\"", attr(provider)) },
        st_attr = if st == "not checked" { String::new() } else { format!(" data-st=\"{}\"", attr(st)) },
        rule = escape(text(f, "rule_id")),
        path = escape(&path),
        line = f["line"].as_u64().unwrap_or(0),
        short = escape(short),
        author = escape(text(p, "author")),
        date = escape(date.get(..10).unwrap_or(date)),
        conf = escape(text(f, "confidence")),
        text = escape(text(f, "line_text")),
    )?;
    if let Some(m) = f["message"].as_str() {
        write!(page, "<p>{}</p>", escape(m))?;
    }
    if !commit.is_empty() {
        write!(
            page,
            "<p>{} &lt;{}&gt;: {}; {} commit(s), {} path(s), {}</p>",
            escape(commit),
            escape(text(p, "email")),
            escape(text(p, "summary")),
            p["commits"].as_u64().unwrap_or(1),
            p["paths"].as_u64().unwrap_or(1),
            if p["in_head"].as_bool().unwrap_or(false) {
                "still at HEAD"
            } else {
                "history only"
            }
        )?;
    }
    let mut notes: Vec<String> = Vec::new();
    if let Some(reasons) = f["confidence_reasons"].as_array() {
        notes.extend(reasons.iter().filter_map(Value::as_str).map(escape));
    }
    if let Some(tags) = f["tags"].as_array().filter(|t| !t.is_empty()) {
        let tags: Vec<String> = tags.iter().filter_map(Value::as_str).map(escape).collect();
        notes.push(format!("tags: {}", tags.join(", ")));
    }
    if let Some(d) = f.pointer("/verification/detail").and_then(Value::as_str) {
        notes.push(format!("verification: {}", escape(d)));
    }
    if !notes.is_empty() {
        write!(page, "<p>{}</p>", notes.join("; "))?;
    }
    page.write_all(b"</details></td></tr>\n")
}

/// Every rule with findings, once: its name, what it means, where to rotate.
fn rules_section(rules: &BTreeMap<String, RuleCount>, page: &mut dyn Write) -> io::Result<()> {
    write!(
        page,
        "<section id=\"rules\">\n<h2>What to do</h2>\n<p>For each key: revoke or rotate it at its provider first (the links below), \
         then remove it from the code and load it from the environment or a secret manager. \
         Rewriting history does not un-leak it: a pushed key stays in clones, forks and caches.</p>\n\
         <table><thead><tr><th>Rule</th><th>Name</th><th>Findings</th><th>Rotate at</th></tr></thead><tbody>\n"
    )?;
    for (id, (name, references, n)) in rules {
        let links: Vec<String> = references.iter().map(|r| reference_link(r)).collect();
        writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{n}</td><td>{}</td></tr>",
            escape(id),
            escape(name),
            if links.is_empty() {
                "the provider's console".to_string()
            } else {
                links.join(" ")
            }
        )?;
    }
    page.write_all(b"</tbody></table>\n</section>\n")
}

fn lint_section(findings: &dyn Findings, n: usize, page: &mut dyn Write) -> io::Result<()> {
    write!(page, "<section id=\"lints\">\n<h2>Key hygiene ({n})</h2>\n")?;
    if n == 0 {
        return page.write_all(b"<p>No hygiene findings.</p>\n</section>\n");
    }
    page.write_all(b"<table><thead><tr><th>Severity</th><th>Lint</th><th>Path</th><th>What</th></tr></thead><tbody>\n")?;
    findings.each(&mut |f| {
        if !is_lint(f) {
            return Ok(());
        }
        writeln!(
            page,
            "<tr class=\"lint\" data-fingerprint=\"{fp}\"><td class=\"sev-{sev}\">{sev}</td><td>{id}</td><td class=\"path\">{path}</td><td>{what}</td></tr>",
            fp = attr(text(f, "fingerprint")),
            sev = attr(text(f, "severity")),
            id = escape(text(f, "rule_id")),
            path = escape(text(f, "path")),
            what = escape(f["message"].as_str().unwrap_or(text(f, "rule_name"))),
        )
    })?;
    page.write_all(b"</tbody></table>\n</section>\n")
}

fn skipped(doc: &Value, page: &mut dyn Write) -> io::Result<()> {
    let s = &doc["summary"];
    let skipped = s["skipped"].as_array().map_or(&[][..], Vec::as_slice);
    let incomplete = s["incomplete"].as_array().map_or(&[][..], Vec::as_slice);
    write!(
        page,
        "<section id=\"skipped\">\n<h2>Skipped and unreadable ({} and {})</h2>\n",
        skipped.len(),
        incomplete.len()
    )?;
    if !incomplete.is_empty() {
        page.write_all(
            b"<p class=\"warn\">Some git objects could not be read: the scan is incomplete.</p><ul>",
        )?;
        for u in incomplete {
            write!(
                page,
                "<li><code>{}</code>: {}</li>",
                escape(text(u, "object")),
                escape(text(u, "error"))
            )?;
        }
        page.write_all(b"</ul>\n")?;
    }
    if skipped.is_empty() {
        page.write_all(b"<p>Nothing was skipped.</p>\n")?;
    } else {
        page.write_all(b"<details><summary>skipped files</summary><ul>")?;
        for k in skipped {
            write!(
                page,
                "<li>{}: {}</li>",
                escape(text(k, "path")),
                escape(text(k, "reason"))
            )?;
        }
        page.write_all(b"</ul></details>\n")?;
    }
    page.write_all(b"</section>\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_in_content_and_attributes() {
        assert_eq!(
            super::attr(r#"<img src=x onerror="a('1')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(super::escape(r#"<b a="1">'"#), r#"&lt;b a="1"&gt;'"#);
        assert_eq!(
            super::reference_link("javascript:alert(1)"),
            "javascript:alert(1)"
        );
        assert!(super::reference_link("https://docs.example/k").starts_with("<a href="));
    }
}
