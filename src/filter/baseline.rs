//! Baseline files: the fingerprints of findings a team has reviewed and
//! accepted. Fingerprints hash rule, secret and path (never the line), so a
//! moved line stays suppressed while a new secret, or the same secret in a
//! new file, is reported.

use super::FilterError;
use crate::model::Finding;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Baseline schema version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    rule_id: String,
    path: String,
}

/// Read a baseline's fingerprints.
pub fn read_baseline(path: &Path) -> Result<HashSet<String>, FilterError> {
    crate::rules::regular_file(path)
        .map_err(|e| FilterError(format!("--baseline {}: {e}", path.display())))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| FilterError(format!("--baseline {}: {e}", path.display())))?;
    parse_baseline(&format!("--baseline {}", path.display()), &text)
}

/// Parse a baseline's text; errors name `name` and the line and column.
pub fn parse_baseline(name: &str, text: &str) -> Result<HashSet<String>, FilterError> {
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
        FilterError(format!(
            "{name}:{}:{}: not a keysweep baseline: {}",
            e.line(),
            e.column(),
            crate::model::without_quoted_values(&e.to_string())
        ))
    })?;
    if file.version != VERSION {
        return Err(FilterError(format!(
            "{name}: version {} (this keysweep reads version {VERSION})",
            file.version
        )));
    }
    Ok(file.findings.into_iter().map(|e| e.fingerprint).collect())
}

/// Write `findings` as a baseline (no secrets: fingerprints, rule ids, paths).
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<(), FilterError> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule_id: f.rule_id.clone(),
            path: f.path.clone(),
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.path, &a.rule_id, &a.fingerprint).cmp(&(&b.path, &b.rule_id, &b.fingerprint))
    });
    entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    let doc = BaselineFile {
        version: VERSION,
        findings: entries,
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|e| FilterError(e.to_string()))?;
    std::fs::write(path, text + "\n")
        .map_err(|e| FilterError(format!("--write-baseline {}: {e}", path.display())))
}
