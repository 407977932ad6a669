//! The JSON reporter. The document is versioned (`"version": 1`); its schema
//! is `schema/report-v1.json` (README's field table is checked against it),
//! updated in the same commit as this serializer; README says how the
//! version changes.

use super::Report;
use crate::model::Summary;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

/// Schema version of the JSON report.
pub const JSON_VERSION: u32 = 1;

/// Write the JSON document.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = report.rule_index();
    let finding = |f: &crate::model::Finding| finding_value(report, &rules, f);
    let doc = Document {
        version: JSON_VERSION,
        tool: tool(),
        scan: json!(report.scanned),
        findings: super::Streamed(report.findings, finding),
        summary: summary_value(report),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The document without its findings: what the HTML page reads besides
/// them (so a page rendered later from a JSON file is the same page).
pub fn head(report: &Report<'_>) -> Value {
    json!({
        "version": JSON_VERSION,
        "tool": tool(),
        "scan": report.scanned,
        "summary": summary_value(report),
    })
}

/// A report's findings as their JSON values, made one at a time as the
/// HTML page visits them.
pub struct Values<'r, 'a> {
    report: &'r Report<'a>,
    rules: std::collections::HashMap<&'a str, &'a crate::rules::Rule>,
}

impl<'r, 'a> Values<'r, 'a> {
    /// The findings of `report`.
    pub fn new(report: &'r Report<'a>) -> Self {
        Values {
            report,
            rules: report.rule_index(),
        }
    }
}

impl super::html::Findings for Values<'_, '_> {
    fn each(&self, visit: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()> {
        for f in self.report.findings {
            visit(&finding_value(self.report, &self.rules, f))?;
        }
        Ok(())
    }
}

fn tool() -> Value {
    json!({"name": "keysweep", "version": env!("CARGO_PKG_VERSION")})
}

fn finding_value(
    report: &Report<'_>,
    rules: &std::collections::HashMap<&str, &crate::rules::Rule>,
    f: &crate::model::Finding,
) -> Value {
    let rule = rules.get(f.rule_id.as_str());
    json!({
        "rule_id": f.rule_id,
        "rule_name": rule.map(|r| r.name.as_str()),
        "severity": f.severity,
        "path": f.path,
        "archive": f.archive,
        "encoding": f.encoding,
        "line": f.line,
        "column": f.column,
        "secret": f.display_secret(report.show_secrets),
        "redacted": !report.show_secrets,
        "line_text": f.display_line(report.show_secrets),
        "fingerprint": f.fingerprint,
        "message": f.message,
        "provider": f.provider,
        "provider_candidates": super::ambiguous_providers(rules, f),
        "key_info": f.key_info,
        "verification": f.verification,
        "confidence": f.confidence,
        "confidence_reasons": f.confidence_reasons,
        "tags": f.tags,
        "provenance": f.provenance,
        "lint": rule.is_some_and(|r| r.lint),
        "references": rule.map_or(&[][..], |r| r.references.as_slice()),
    })
}

fn summary_value(report: &Report<'_>) -> Value {
    let by_sev: serde_json::Map<String, Value> = Summary::by_severity(report.findings)
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    let s = report.summary;
    json!({
            "files_scanned": s.files_scanned,
            "bytes_scanned": s.bytes_scanned,
            "skipped": s.skipped,
            "suppressed_inline": s.suppressed_inline,
            "suppressed": s.suppressed,
            "rules": s.rules,
            "elapsed_seconds": (s.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "findings_by_severity": by_sev,
            "shallow": s.coverage.shallow,
            "shallow_boundary": s.coverage.shallow_boundary,
            "incomplete": s.coverage.incomplete,
            "ignored": s.coverage.ignored,
            "commits": s.coverage.commits,
            "hidden_low_confidence": s.hidden_low_confidence,
            "capped": s.capped,
            "not_decoded": s.not_decoded,
    })
}

/// The report document; its findings are serialised one at a time, so the
/// memory a report takes does not grow with the number of findings.
#[derive(Serialize)]
#[serde(bound = "")]
struct Document<'a, F: Fn(&crate::model::Finding) -> Value> {
    version: u32,
    tool: Value,
    scan: Value,
    findings: super::Streamed<'a, crate::model::Finding, F>,
    summary: Value,
}
