//! The SARIF 2.1.0 reporter, shaped for GitHub code scanning: every rule has
//! short and full descriptions, help text and a `security-severity`; every
//! result has a relative artifact URI, a region and `partialFingerprints`.

use super::Report;
use crate::model::Severity;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

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
    let result = |f: &crate::model::Finding| {
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
        // in the message and a logical location.
        let location = match &f.archive {
            Some(archive) => json!({
                "physicalLocation": {"artifactLocation": artifact(archive)},
                "logicalLocations": [{
                    "fullyQualifiedName": f.path,
                    "kind": "member",
                }],
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
        if f.archive.is_some() {
            text.push_str(&format!(" in {} line {}", f.path, f.line));
        }
        let mut result = json!({
            "ruleId": f.rule_id,
            "level": if live { "error" } else { level(f.severity) },
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {"keysweep/v1": f.fingerprint},
            "properties": {
                "severity": f.severity,
                "precision": f.confidence,
                "confidence_reasons": f.confidence_reasons,
                "tags": f.tags,
                "provenance": f.provenance,
            },
        });
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
        }),
        results: super::Streamed(report.findings, result),
        column_kind: "unicodeCodePoints",
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
struct Log<'a, F: Fn(&crate::model::Finding) -> Value> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a, F>; 1],
}

#[derive(Serialize)]
#[serde(bound = "")]
struct Run<'a, F: Fn(&crate::model::Finding) -> Value> {
    tool: Value,
    invocations: Value,
    properties: Value,
    results: super::Streamed<'a, crate::model::Finding, F>,
    #[serde(rename = "columnKind")]
    column_kind: &'static str,
}

/// A SARIF artifact location: a relative URI for paths under the current
/// directory (what GitHub needs), an absolute `file://` URI otherwise.
fn artifact(path: &str) -> Value {
    let p = Path::new(path);
    let rel = if p.is_absolute() {
        std::env::current_dir().ok().and_then(|cwd| {
            p.strip_prefix(cwd)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
    } else {
        Some(path.to_string())
    };
    match rel {
        Some(r) => json!({"uri": percent_encode(&r.replace('\\', "/"))}),
        None => json!({"uri": format!("file://{}", percent_encode(&path.replace('\\', "/")))}),
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
