//! The SARIF 2.1.0 reporter, shaped for GitHub code scanning: every rule has
//! short and full descriptions, help text and a `security-severity`; every
//! result has an artifact URI relative to `%SRCROOT%` (the repository's work
//! tree), a region and `partialFingerprints` distinct per location (the
//! secret's fingerprint with its occurrence in the file, and the line hash
//! GitHub's upload action computes); `runAutomationDetails.id` tells tree,
//! history, range and index runs apart; results are capped at GitHub's
//! per-run limit, with a notification when capped.

use super::Report;
use crate::model::Severity;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

/// GitHub code scanning reads at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;

/// The base every relative artifact URI is resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// GitHub maps this number to the alert's severity band.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// Write the SARIF log.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let rules: Vec<Value> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            index.insert(r.id.as_str(), i);
            let mut help = format!(
                "{}\n\nRevoke or rotate the key at the provider, then remove it from the code and load it from the environment or a secret manager. Rewriting git history does not un-leak a key that was pushed.",
                r.description
            );
            let mut markdown = format!(
                "**{}** (`{}`, severity {})\n\n{}\n\n**Fix:** revoke or rotate the key at the provider, then remove it from the code and load it from the environment or a secret manager. Rewriting git history does not un-leak a key that was pushed.",
                r.name, r.id, r.severity, r.description
            );
            for link in &r.references {
                help.push_str(&format!("\n{link}"));
                markdown.push_str(&format!("\n\n<{link}>"));
            }
            let mut rule = json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.name},
                "fullDescription": {"text": r.description},
                "help": {"text": help, "markdown": markdown},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "security-severity": security_severity(r.severity),
                    "tags": ["security", "secret"],
                    "precision": if r.generic { "medium" } else { "high" },
                },
            });
            if let Some(link) = r.references.first() {
                rule["helpUri"] = json!(link);
            }
            rule
        })
        .collect();
    let names: HashMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    let kept = capped(report.findings);
    let result = |&(occurrence, f): &(u32, &crate::model::Finding)| {
        let name = names.get(f.rule_id.as_str()).copied().unwrap_or(&f.rule_id);
        let mut text = match &f.message {
            Some(m) => m.clone(),
            None => format!("{name} found: {}", f.display_secret(report.show_secrets)),
        };
        if let Some(p) = super::text::provenance_line(&f.provenance) {
            text.push_str(&format!(" ({p})"));
        }
        let live = f
            .verification
            .as_ref()
            .is_some_and(|v| v.status == crate::model::Status::Live);
        // Inside an archive: the location is the archive file itself (a
        // code-scanning UI can open it); the member and its line are named
        // in the message and a logical location. In a binary file's strings:
        // the file, with no region (the line counts strings, not lines); the
        // string's number is in the message.
        let location = match &f.archive {
            Some(archive) => json!({
                "physicalLocation": {"artifactLocation": artifact(archive)},
                "logicalLocations": [{
                    "fullyQualifiedName": f.path,
                    "kind": "member",
                }],
            }),
            None if f.in_binary_strings() => json!({
                "physicalLocation": {"artifactLocation": artifact(&f.path)},
            }),
            None => json!({
                "physicalLocation": {
                    "artifactLocation": artifact(&f.path),
                    "region": {
                        "startLine": f.line,
                        "startColumn": f.column,
                        "snippet": {"text": f.display_line(report.show_secrets)},
                    },
                },
            }),
        };
        if f.in_binary_strings() {
            text.push_str(&format!(
                " in {}, a binary file: its printable string {}",
                f.path, f.line
            ));
        } else if f.archive.is_some() {
            text.push_str(&format!(" in {} line {}", f.path, f.line));
        }
        let mut result = json!({
            "ruleId": f.rule_id,
            "level": if live { "error" } else { level(f.severity) },
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {"keysweep/v2": format!("{}:{occurrence}", f.fingerprint)},
            "properties": {
                "severity": f.severity,
                "precision": f.confidence,
                "confidence_reasons": f.confidence_reasons,
                "tags": f.tags,
                "provenance": f.provenance,
            },
        });
        if let Some(hash) = &f.line_hash {
            result["partialFingerprints"]["primaryLocationLineHash"] = json!(hash);
        }
        if let Some(&i) = index.get(f.rule_id.as_str()) {
            result["ruleIndex"] = json!(i);
        }
        if let Some(v) = &f.verification {
            result["properties"]["verification"] = json!(v);
        }
        if let Some(e) = &f.encoding {
            result["properties"]["encoding"] = json!(e);
        }
        if let Some(p) = &f.provider {
            result["properties"]["provider"] = json!(p);
        }
        if let Some(k) = &f.key_info {
            result["properties"]["key_info"] = json!(k);
        }
        if f.tags
            .iter()
            .any(|t| t == crate::pipeline::ALLOW_ADDED_IN_RANGE)
        {
            // The range asked for a suppression of its own key; shown, and
            // shown as refused, so the result stays open.
            result["suppressions"] = json!([{
                "kind": "inSource",
                "status": "rejected",
                "justification": "an inline keysweep:allow added by the commits under review does not apply to them",
            }]);
        }
        result
    };
    let notifications: Vec<Value> = report
        .summary
        .skipped
        .iter()
        .filter(|s| {
            !matches!(
                s.reason,
                crate::model::SkipReason::Binary | crate::model::SkipReason::Symlink
            )
        })
        .map(|s| {
            json!({
                "level": if s.reason.is_warning() { "warning" } else { "note" },
                "message": {"text": format!("skipped: {}", s.reason.label())},
                "locations": [{"physicalLocation": {"artifactLocation": artifact(&s.path)}}],
            })
        })
        .collect();
    let coverage = &report.summary.coverage;
    let mut notifications = notifications;
    if kept.len() < report.findings.len() {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{} findings, {} in this log: GitHub code scanning reads at most {MAX_RESULTS} results per run, so the most severe are kept; the JSON report has them all",
                report.findings.len(),
                kept.len()
            )},
        }));
    }
    let capped = &report.summary.capped;
    if capped.findings > 0 {
        let files: Vec<String> = capped
            .files
            .iter()
            .take(10)
            .map(|f| format!("{} ({}): {} more", f.path, f.rule_id, f.findings))
            .collect();
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{} more findings not in this log: at most {} are kept per file and rule (--max-findings-per-file; 0 keeps all); {}",
                capped.findings,
                capped.limit,
                files.join(", ")
            )},
        }));
    }
    for u in &coverage.incomplete {
        notifications.push(json!({
            "level": "error",
            "message": {"text": format!("git object {} could not be read ({}): {}", u.object, u.paths.join(", "), u.error)},
        }));
    }
    let run = Run {
        tool: json!({"driver": {
            "name": "keysweep",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/keysweep/keysweep",
            "rules": rules,
        }}),
        invocations: json!([{
            "executionSuccessful": coverage.incomplete.is_empty(),
            "toolExecutionNotifications": notifications,
        }]),
        properties: json!({
            "shallow": coverage.shallow,
            "shallowBoundary": coverage.shallow_boundary,
            "incomplete": coverage.incomplete,
            "capped": capped,
        }),
        results: super::Streamed(&kept, result),
        column_kind: "unicodeCodePoints",
        automation: json!({"id": format!("keysweep/{}/", run_kind(report.scanned))}),
        base_ids: report
            .scanned
            .root
            .as_deref()
            .map(|root| json!({SRCROOT: {"uri": directory_uri(root)}})),
    };
    let doc = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [run],
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The SARIF log with its one run; results are serialised one at a time, so
/// the memory a log takes does not grow with the number of findings.
#[derive(Serialize)]
#[serde(bound = "")]
struct Log<'a, F: Fn(&(u32, &crate::model::Finding)) -> Value> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a, F>; 1],
}

#[derive(Serialize)]
#[serde(bound = "")]
struct Run<'a, F: Fn(&(u32, &crate::model::Finding)) -> Value> {
    tool: Value,
    invocations: Value,
    properties: Value,
    results: super::Streamed<'a, (u32, &'a crate::model::Finding), F>,
    #[serde(rename = "columnKind")]
    column_kind: &'static str,
    #[serde(rename = "automationDetails")]
    automation: Value,
    #[serde(rename = "originalUriBaseIds", skip_serializing_if = "Option::is_none")]
    base_ids: Option<Value>,
}

/// What kind of run this is, for `runAutomationDetails.id`: uploads of
/// different kinds for one commit are separate analyses.
fn run_kind(scanned: &crate::model::ScanInfo) -> &'static str {
    match (scanned.command.as_str(), scanned.range.is_some()) {
        ("history", true) => "range",
        ("history", false) => "history",
        ("staged", _) => "staged",
        _ => "tree",
    }
}

/// Each finding with its occurrence (the n-th finding of one fingerprint,
/// in line order: one secret on three lines gives three distinct results),
/// at most [`MAX_RESULTS`] of them, the most severe chosen, in their
/// original order (references: nothing is copied).
fn capped(findings: &[crate::model::Finding]) -> Vec<(u32, &crate::model::Finding)> {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut all: Vec<(u32, &crate::model::Finding)> = findings
        .iter()
        .map(|f| {
            let n = seen.entry(f.fingerprint.as_str()).or_insert(0);
            *n += 1;
            (*n, f)
        })
        .collect();
    if all.len() > MAX_RESULTS {
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(findings[i].severity));
        order.truncate(MAX_RESULTS);
        order.sort_unstable();
        all = order.into_iter().map(|i| all[i]).collect();
    }
    all
}

/// A `file://` URI for a directory, ending in `/` as SARIF requires.
fn directory_uri(dir: &Path) -> String {
    let mut path = dir.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", percent_encode(&path))
}

/// A SARIF artifact location: report paths are relative to the scan's root
/// (the repository's work tree), so the URI is relative to `%SRCROOT%`; a
/// path outside it (absolute) is a `file://` URI.
fn artifact(path: &str) -> Value {
    let path = path.replace('\\', "/");
    if Path::new(&path).is_absolute() {
        json!({"uri": format!("file://{}", percent_encode(&path))})
    } else {
        json!({"uri": percent_encode(&path), "uriBaseId": SRCROOT})
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters and `/`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(super::percent_encode("a b/c%.env"), "a%20b/c%25.env");
    }
}
