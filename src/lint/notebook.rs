//! `secret-in-notebook-output`: keys printed into a Jupyter notebook's output
//! cells. The whole `.ipynb` file is scanned like any other (so keys in
//! source cells are found as usual); this lint parses the notebook JSON and
//! adds a finding, with the cell index, for every secret that also appears
//! in a cell's outputs (stream text, display data, tracebacks).

use super::{Finding, SECRET_IN_NOTEBOOK_OUTPUT};
use crate::model::Severity;
use serde_json::Value;

/// Output texts of each code cell of a notebook, `None` when it is not JSON
/// (public for fuzzing and tools).
pub fn notebook_outputs(data: &[u8]) -> Option<Vec<(usize, Vec<String>)>> {
    let doc = serde_json::from_slice::<Value>(data).ok()?;
    Some(
        cell_outputs(&doc)
            .into_iter()
            .map(|(i, _, t)| (i, t))
            .collect(),
    )
}

/// Output text of each cell: (cell index, execution count, texts).
fn cell_outputs(doc: &Value) -> Vec<(usize, Option<i64>, Vec<String>)> {
    let mut out = Vec::new();
    let Some(cells) = doc.get("cells").and_then(Value::as_array) else {
        return out;
    };
    for (i, cell) in cells.iter().enumerate() {
        let Some(outputs) = cell.get("outputs").and_then(Value::as_array) else {
            continue;
        };
        let mut texts = Vec::new();
        for o in outputs {
            collect_text(o.get("text"), &mut texts);
            collect_text(o.get("traceback"), &mut texts);
            if let Some(data) = o.get("data").and_then(Value::as_object) {
                for v in data.values() {
                    collect_text(Some(v), &mut texts);
                }
            }
        }
        out.push((
            i,
            cell.get("execution_count").and_then(Value::as_i64),
            texts,
        ));
    }
    out
}

/// nbformat stores multi-line text as a string or a list of strings.
fn collect_text(v: Option<&Value>, into: &mut Vec<String>) {
    match v {
        Some(Value::String(s)) => into.push(s.clone()),
        Some(Value::Array(parts)) => {
            let joined: String = parts.iter().filter_map(Value::as_str).collect();
            into.push(joined);
        }
        _ => {}
    }
}

/// Lint findings for secrets of `findings` (all in this notebook) that appear
/// in output cells. A notebook that is not valid JSON yields none.
pub(super) fn output_findings(
    data: &[u8],
    findings: &[&Finding],
    severity: Severity,
) -> Vec<Finding> {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    // Byte offsets of each `"outputs"` key, in cell order, to place findings.
    let output_keys: Vec<usize> = memchr::memmem::find_iter(data, b"\"outputs\"").collect();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, (cell, count, texts)) in cell_outputs(&doc).into_iter().enumerate() {
        for f in findings {
            if f.secret.is_empty() || !texts.iter().any(|t| t.contains(&f.secret)) {
                continue;
            }
            if !seen.insert((cell, f.secret.clone(), f.rule_id.clone())) {
                continue;
            }
            let line = output_keys
                .get(k)
                .and_then(|&from| {
                    memchr::memmem::find(&data[from..], f.secret.as_bytes())
                        .map(|p| 1 + memchr::memchr_iter(b'\n', &data[..from + p]).count())
                })
                .unwrap_or(f.line);
            let run = count.map_or_else(String::new, |c| format!(", execution count {c}"));
            out.push(Finding {
                rule_id: SECRET_IN_NOTEBOOK_OUTPUT.to_string(),
                severity,
                line,
                fingerprint: String::new(), // made by the pipeline
                message: Some(format!(
                    "the {} key is in the output of cell {cell}{run}: clear the notebook's outputs and rotate the key",
                    f.rule_id
                )),
                ..(*f).clone()
            });
        }
    }
    out
}
