//! The HTML report, parsed with a real HTML parser: one row per finding,
//! nothing that loads from the network, hostile names and messages only as
//! text, secrets redacted, and the page rendered later from a JSON report
//! identical to the direct one.

use super::{git, keysweep, live_key as live, said, write};
use scraper::{Html, Selector};
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>.py";
const HOSTILE_MESSAGE: &str = "</script><script>alert(1)</script>";
const HOSTILE_AUTHOR: &str = "\"><svg onload=alert(1)> Mallory";

fn hostile_repo() -> (TempDir, Vec<String>) {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    let keys = vec![live("html-a"), live("html-b")];
    write(d, HOSTILE_NAME, format!("KEY = '{}'\n", keys[0]));
    write(d, "config/app.env", format!("STRIPE={}\n", keys[1]));
    git(d, &["add", "-A"]);
    let out = std::process::Command::new("git")
        .current_dir(d)
        .args([
            "-c",
            &format!("user.name={HOSTILE_AUTHOR}"),
            "commit",
            "-q",
            "-m",
            HOSTILE_MESSAGE,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    (t, keys)
}

fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let out = keysweep().current_dir(d).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Nothing on the page loads anything, and nothing can run but the page's
/// own script.
fn assert_inert(page: &Html) {
    for tag in [
        "img", "iframe", "object", "embed", "link", "base", "video", "audio", "source", "form",
        "frame",
    ] {
        assert_eq!(page.select(&sel(tag)).count(), 0, "a <{tag}> element");
    }
    for el in page.select(&sel("*")) {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}={value}");
            assert!(
                !matches!(
                    name,
                    "src" | "srcset" | "poster" | "background" | "action" | "formaction"
                ),
                "{name}={value}"
            );
            if name == "href" {
                assert!(value.starts_with("https://"), "href={value}");
                assert_eq!(el.value().name(), "a", "only links carry href");
            }
            if name == "style" {
                panic!("inline style attribute: {value}");
            }
        }
    }
    let scripts: Vec<_> = page.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1, "one script: the page's own");
    assert!(scripts[0].value().attr("src").is_none());
    let csp = page
        .select(&sel("meta[http-equiv=Content-Security-Policy]"))
        .next()
        .expect("a CSP meta element")
        .value()
        .attr("content")
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
}

#[test]
fn history_html_is_one_inert_row_per_finding() {
    let (t, keys) = hostile_repo();
    let d = t.path();
    let (code, json) = run(d, &["history", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = crate::report_json(&json);
    let fingerprints: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["lint"] == false)
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), 2, "{json}");
    assert_eq!(doc["summary"]["commits"], 1, "{json}");
    let (code, html) = run(d, &["history", "--format", "html"]);
    assert_eq!(code, 1);
    let page = Html::parse_document(&html);
    assert_inert(&page);
    let rows: Vec<String> = page
        .select(&sel("tr.f"))
        .map(|r| r.value().attr("data-fingerprint").unwrap().to_string())
        .collect();
    let mut want: Vec<String> = fingerprints.iter().map(|s| s.to_string()).collect();
    let mut got = rows.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // Hostile strings are text, where they belong.
    let paths: Vec<String> = page
        .select(&sel("tr.f > td:nth-child(4)"))
        .map(|e| e.text().collect())
        .collect();
    assert!(paths.iter().any(|p| p == HOSTILE_NAME), "{paths:?}");
    let all_text: String = page.root_element().text().collect();
    assert!(
        all_text.contains("Commits walked1"),
        "the header counts commits"
    );
    assert!(
        all_text.contains(HOSTILE_MESSAGE),
        "the commit message is shown as text"
    );
    assert!(all_text.contains("Mallory"), "the author is shown");
    for k in &keys {
        assert!(
            !html.contains(k.as_str()),
            "a full secret without --show-secrets"
        );
    }
    // With --show-secrets the keys are there (in text, escaped).
    let (_, shown) = run(d, &["history", "--format", "html", "--show-secrets"]);
    assert!(keys.iter().all(|k| shown.contains(k.as_str())));
    assert_inert(&Html::parse_document(&shown));
}

fn without_duration(html: &str) -> String {
    let start = html.find("<dt>Duration</dt><dd>").expect("duration");
    let end = start + html[start..].find(" s</dd>").unwrap();
    format!("{}{}", &html[..start], &html[end..])
}

#[test]
fn a_json_report_renders_the_same_page() {
    let (t, _) = hostile_repo();
    let d = t.path();
    let json = d.join("report.json");
    let (code, _) = run(
        d,
        &[
            "history",
            "--format",
            "json",
            "--output",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    crate::report_json(std::fs::read(&json).unwrap());
    let page = d.join("later.html");
    let out = keysweep()
        .current_dir(d)
        .args([
            "report",
            json.to_str().unwrap(),
            "--format",
            "html",
            "--output",
            page.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let later = std::fs::read_to_string(&page).unwrap();
    let (_, direct) = run(d, &["history", "--format", "html"]);
    assert_eq!(without_duration(&later), without_duration(&direct));
    // Not a report: one line naming the file, exit 2, no content echoed.
    write(
        d,
        "notes.json",
        "{\"findings\": 3, \"secret\": \"sk_live_x\"}",
    );
    let out = keysweep()
        .current_dir(d)
        .args(["report", "notes.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notes.json: not a keysweep JSON report"),
        "{err}"
    );
    assert!(
        !err.contains("sk_live_x") && err.lines().count() == 1,
        "{err}"
    );
    write(d, "broken.json", "{ nope");
    let out = keysweep()
        .current_dir(d)
        .args(["report", "broken.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json: not a JSON report"));
}

#[test]
fn tree_and_staged_write_html_too() {
    let (t, _) = hostile_repo();
    let d = t.path();
    let (code, html) = run(d, &["scan", ".", "--format", "html"]);
    assert_eq!(code, 1);
    let page = Html::parse_document(&html);
    assert_inert(&page);
    assert_eq!(page.select(&sel("tr.f")).count(), 2);
    write(d, "new.py", format!("K = '{}'\n", live("html-staged")));
    git(d, &["add", "new.py"]);
    let (code, html) = run(d, &["staged", "--format", "html"]);
    assert_eq!(code, 1);
    let page = Html::parse_document(&html);
    assert_inert(&page);
    assert_eq!(page.select(&sel("tr.f")).count(), 1);
}

/// A scan over the per-file cap: the page lists the kept rows, says how
/// many more there are and where, stays inert, shows no full key, and the
/// page `keysweep report` renders from the JSON report is the same.
#[test]
fn a_capped_scan_says_so_on_the_page() {
    let t = TempDir::new().unwrap();
    let d = t.path();
    let keys: Vec<String> = (0..5).map(|i| live(&format!("html-cap{i}"))).collect();
    let body: String = keys.iter().map(|k| format!("K={k}\n")).collect();
    write(d, "<b>many</b>.env", body);
    let cap = ["--max-findings-per-file", "2"];
    let (code, html) = run(d, &[&["scan", ".", "--format", "html"][..], &cap].concat());
    assert_eq!(code, 1);
    let page = Html::parse_document(&html);
    assert_inert(&page);
    assert_eq!(page.select(&sel("tr.f")).count(), 2);
    let note: String = page
        .select(&sel("#capped"))
        .next()
        .expect("a capped section")
        .text()
        .collect();
    assert!(note.contains("3 more finding(s) not listed"), "{note}");
    assert!(
        note.contains("<b>many</b>.env (stripe-secret-key): 3 more"),
        "{note}"
    );
    assert!(keys.iter().all(|k| !html.contains(k.as_str())));
    let json = d.join("report.json");
    let (code, _) = run(
        d,
        &[
            &[
                "scan",
                ".",
                "--format",
                "json",
                "--output",
                json.to_str().unwrap(),
            ][..],
            &cap,
        ]
        .concat(),
    );
    assert_eq!(code, 1);
    let out = keysweep()
        .current_dir(d)
        .args(["report", json.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let later = String::from_utf8_lossy(&out.stdout);
    assert_eq!(without_duration(&later), without_duration(&html));
}
