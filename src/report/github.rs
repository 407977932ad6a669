//! GitHub Actions workflow annotations: one `::error`/`::warning`/`::notice`
//! command per finding, escaped as the runner expects.

use super::Report;
use crate::model::Severity;
use std::io::{self, Write};

/// Write one annotation per finding.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = report.rule_index();
    for f in report.findings {
        let live = f
            .verification
            .as_ref()
            .is_some_and(|v| v.status == crate::model::Status::Live);
        let cmd = match f.severity {
            _ if live => "error",
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let name = rules
            .get(f.rule_id.as_str())
            .map_or(f.rule_id.as_str(), |r| r.name.as_str());
        let what = match &f.message {
            Some(m) => m.clone(),
            None => format!(
                "{} — revoke or rotate this key",
                f.display_secret(report.show_secrets)
            ),
        };
        let mut message = format!(
            "{name} ({}, {}): {what}. fingerprint {}",
            f.rule_id, f.severity, f.fingerprint
        );
        if let Some(v) = &f.verification {
            message.push_str(&format!("\nverified: {}", v.status.as_str()));
            if let Some(d) = &v.detail {
                message.push_str(&format!(" ({d})"));
            }
        }
        if let Some(p) = super::text::provenance_line(&f.provenance) {
            message.push_str(&format!("\n{p}"));
        }
        // Inside an archive: annotate the archive file (the member's lines
        // are not lines of any file in the checkout). In a binary file's
        // strings: annotate the file (the line counts strings, not lines).
        let location = match &f.archive {
            _ if f.in_binary_strings() => {
                message.push_str(&format!(
                    "\nin {}, a binary file: its printable string {}",
                    f.path, f.line
                ));
                format!("file={}", property(f.archive.as_deref().unwrap_or(&f.path)))
            }
            Some(archive) => {
                message.push_str(&format!("\nin {} line {}", f.path, f.line));
                format!("file={}", property(archive))
            }
            None => format!(
                "file={},line={},col={}",
                property(&f.path),
                f.line,
                f.column
            ),
        };
        writeln!(
            out,
            "::{cmd} {location},title={}::{}",
            property(&format!("keysweep: {name}")),
            data(&message)
        )?;
    }
    Ok(())
}

/// Workflow-command data: `%`, CR and LF percent-escaped as the runner
/// decodes them; every other control character (ESC, tab, C1) shown as
/// `%XX`, which the runner leaves as text, so a hostile name or message
/// cannot inject a command or drive the log viewer.
fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_workflow_command_values() {
        assert_eq!(super::property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(super::data("x:y\r"), "x:y%0D");
        assert_eq!(super::data("a\u{1b}[31mb\tc\u{9b}"), "a%1B[31mb%09c%9B");
    }
}
