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

use serde_json::Value;
use std::collections::BTreeMap;
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

/// Render the page for a JSON report document.
pub fn render(doc: &Value, out: &mut dyn Write) -> io::Result<()> {
    let empty = Vec::new();
    let findings = doc["findings"].as_array().unwrap_or(&empty);
    let (secrets, lints): (Vec<&Value>, Vec<&Value>) = findings
        .iter()
        .partition(|f| !f["lint"].as_bool().unwrap_or(false));
    let mut page = String::with_capacity(4096 + findings.len() * 1500);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>keysweep report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(text(&doc["scan"], "target"))
    );
    header(doc, &secrets, &mut page);
    timeline(&secrets, &mut page);
    table(&secrets, &mut page);
    if !secrets.is_empty() {
        rules_section(&secrets, &mut page);
    }
    lint_section(&lints, &mut page);
    skipped(doc, &mut page);
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

fn header(doc: &Value, findings: &[&Value], page: &mut String) {
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
    let commits: std::collections::HashSet<&str> = findings
        .iter()
        .filter_map(|f| f.pointer("/provenance/commit").and_then(Value::as_str))
        .collect();
    let _ = write!(
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
        commits.len(),
        escape(version),
    );
    let count = |key: &dyn Fn(&Value) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for f in findings {
            *m.entry(key(f)).or_default() += 1;
        }
        m
    };
    let by_sev = count(&|f| text(f, "severity").to_string());
    let by_conf = count(&|f| text(f, "confidence").to_string());
    let by_status = count(&|f| status(f).to_string());
    let by_head = count(
        &|f| match f.pointer("/provenance/in_head").and_then(Value::as_bool) {
            Some(true) => "still at HEAD".to_string(),
            Some(false) => "history only".to_string(),
            None => "working tree or index".to_string(),
        },
    );
    page.push_str("<section class=\"counts\">\n");
    let mut card = |title: &str, m: &BTreeMap<String, usize>, order: &[&str]| {
        let class = if title == "Severity" { "sev-" } else { "key-" };
        let _ = write!(
            page,
            "<table class=\"card\"><caption>{title}</caption><tbody>"
        );
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
        for k in keys {
            let _ = write!(
                page,
                "<tr><th class=\"{class}{}\">{}</th><td>{}</td></tr>",
                attr(&k.replace(' ', "-")),
                escape(k),
                m[k]
            );
        }
        if m.is_empty() {
            page.push_str("<tr><td>none</td></tr>");
        }
        page.push_str("</tbody></table>\n");
    };
    card("Severity", &by_sev, &SEVERITIES);
    card("Confidence", &by_conf, &["high", "medium", "low"]);
    card(
        "Verification",
        &by_status,
        &["live", "unknown", "not checked"],
    );
    card("Where", &by_head, &["still at HEAD", "history only"]);
    page.push_str("</section>\n</header>\n");
}

/// Keys introduced per month (by the first commit's date), stacked by
/// severity, as inline SVG.
fn timeline(findings: &[&Value], page: &mut String) {
    let mut months: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for f in findings {
        let Some(date) = f.pointer("/provenance/date").and_then(Value::as_str) else {
            continue;
        };
        let Some(month) = date.get(..7).filter(|m| m.as_bytes().get(4) == Some(&b'-')) else {
            continue;
        };
        let sev = SEVERITIES
            .iter()
            .position(|s| *s == text(f, "severity"))
            .unwrap_or(3);
        months.entry(month.to_string()).or_default()[sev] += 1;
    }
    page.push_str("<section id=\"timeline\">\n<h2>When keys were introduced</h2>\n");
    if months.is_empty() {
        page.push_str("<p>No commit dates: not a history scan, or nothing found in history.</p>\n</section>\n");
        return;
    }
    let max = months
        .values()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (bar, gap, height) = (18usize, 8usize, 160usize);
    let width = months.len() * (bar + gap) + 40;
    let _ = write!(
        page,
        "<svg role=\"img\" aria-label=\"findings introduced per month\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">",
        height + 70,
        height + 70
    );
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
            let _ = write!(
                page,
                "<rect class=\"sev-{}\" x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{h}\"><title>{month}: {n} {}</title></rect>",
                SEVERITIES[sev], SEVERITIES[sev]
            );
        }
        let _ = write!(
            page,
            "<text x=\"{}\" y=\"{}\" transform=\"rotate(60 {} {})\">{month}</text>",
            x + 4,
            height + 22,
            x + 4,
            height + 22
        );
    }
    let _ = write!(
        page,
        "<text x=\"0\" y=\"18\">{max}</text><text x=\"0\" y=\"{}\">0</text></svg>\n</section>\n",
        height + 10
    );
}

fn table(findings: &[&Value], page: &mut String) {
    let _ = write!(
        page,
        "<section id=\"findings\">\n<h2>Findings (<span id=\"shown\">{n}</span> of {n})</h2>\n\
         <div id=\"controls\" hidden><input id=\"q\" type=\"search\" placeholder=\"filter: path, rule, provider, author, fingerprint\" aria-label=\"filter\">\
         <span id=\"toggles\"></span></div>\n",
        n = findings.len()
    );
    if findings.is_empty() {
        page.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<table id=\"t\"><thead><tr>\
         <th data-sort=\"sev\">Severity</th><th data-sort=\"text\">Provider</th><th data-sort=\"text\">Rule</th>\
         <th data-sort=\"text\">Path</th><th data-sort=\"num\">Line</th><th data-sort=\"text\">First commit</th>\
         <th data-sort=\"text\">Author</th><th data-sort=\"text\">Date</th><th data-sort=\"text\">Status</th>\
         <th data-sort=\"text\">Confidence</th><th>Details</th></tr></thead>\n<tbody>\n",
    );
    for f in findings {
        row(f, page);
    }
    page.push_str("</tbody></table>\n</section>\n");
}

fn row(f: &Value, page: &mut String) {
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
    let _ = write!(
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
    );
    if let Some(m) = f["message"].as_str() {
        let _ = write!(page, "<p>{}</p>", escape(m));
    }
    if !commit.is_empty() {
        let _ = write!(
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
        );
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
        let _ = write!(page, "<p>{}</p>", notes.join("; "));
    }
    page.push_str("</details></td></tr>\n");
}

/// Every rule with findings, once: its name, what it means, where to rotate.
fn rules_section(findings: &[&Value], page: &mut String) {
    let mut rules: BTreeMap<&str, (&Value, usize)> = BTreeMap::new();
    for f in findings {
        rules.entry(text(f, "rule_id")).or_insert((f, 0)).1 += 1;
    }
    let _ = write!(
        page,
        "<section id=\"rules\">\n<h2>What to do</h2>\n<p>For each key: revoke or rotate it at its provider first (the links below), \
         then remove it from the code and load it from the environment or a secret manager. \
         Rewriting history does not un-leak it: a pushed key stays in clones, forks and caches.</p>\n\
         <table><thead><tr><th>Rule</th><th>Name</th><th>Findings</th><th>Rotate at</th></tr></thead><tbody>\n"
    );
    for (id, (f, n)) in rules {
        let links: Vec<String> = f["references"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(reference_link)
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{n}</td><td>{}</td></tr>",
            escape(id),
            escape(text(f, "rule_name")),
            if links.is_empty() {
                "the provider's console".to_string()
            } else {
                links.join(" ")
            }
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

fn lint_section(lints: &[&Value], page: &mut String) {
    let _ = write!(
        page,
        "<section id=\"lints\">\n<h2>Key hygiene ({})</h2>\n",
        lints.len()
    );
    if lints.is_empty() {
        page.push_str("<p>No hygiene findings.</p>\n</section>\n");
        return;
    }
    page.push_str("<table><thead><tr><th>Severity</th><th>Lint</th><th>Path</th><th>What</th></tr></thead><tbody>\n");
    for f in lints {
        let _ = writeln!(
            page,
            "<tr class=\"lint\" data-fingerprint=\"{fp}\"><td class=\"sev-{sev}\">{sev}</td><td>{id}</td><td class=\"path\">{path}</td><td>{what}</td></tr>",
            fp = attr(text(f, "fingerprint")),
            sev = attr(text(f, "severity")),
            id = escape(text(f, "rule_id")),
            path = escape(text(f, "path")),
            what = escape(f["message"].as_str().unwrap_or(text(f, "rule_name"))),
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

fn skipped(doc: &Value, page: &mut String) {
    let s = &doc["summary"];
    let empty = Vec::new();
    let skipped = s["skipped"].as_array().unwrap_or(&empty);
    let incomplete = s["incomplete"].as_array().unwrap_or(&empty);
    let _ = write!(
        page,
        "<section id=\"skipped\">\n<h2>Skipped and unreadable ({} and {})</h2>\n",
        skipped.len(),
        incomplete.len()
    );
    if !incomplete.is_empty() {
        page.push_str(
            "<p class=\"warn\">Some git objects could not be read: the scan is incomplete.</p><ul>",
        );
        for u in incomplete {
            let _ = write!(
                page,
                "<li><code>{}</code>: {}</li>",
                escape(text(u, "object")),
                escape(text(u, "error"))
            );
        }
        page.push_str("</ul>\n");
    }
    if skipped.is_empty() {
        page.push_str("<p>Nothing was skipped.</p>\n");
    } else {
        page.push_str("<details><summary>skipped files</summary><ul>");
        for k in skipped {
            let _ = write!(
                page,
                "<li>{}: {}</li>",
                escape(text(k, "path")),
                escape(text(k, "reason"))
            );
        }
        page.push_str("</ul></details>\n");
    }
    page.push_str("</section>\n");
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
