//! The text reporter: findings grouped by file, then a summary on stderr.

use super::{escape_control, Report};
use crate::model::SkipReason;
use crate::model::Status;
use crate::model::Summary;
use crate::model::{Finding, Provenance, Severity};
use owo_colors::{OwoColorize, Style};
use std::io::{self, Write};

/// How many skipped binary files and symlinks the summary lists by name
/// before it only counts them (all are listed with `--verbose`).
const LIST_QUIET_SKIPS: usize = 10;

fn paint(on: bool, s: &str, style: Style) -> String {
    if on {
        s.style(style).to_string()
    } else {
        s.to_string()
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new().red().bold(),
        Severity::High => Style::new().red(),
        Severity::Medium => Style::new().yellow(),
        Severity::Low => Style::new().blue(),
    }
}

/// Write findings grouped by file.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = report.rule_index();
    let c = report.color;
    let mut current: Option<&str> = None;
    for f in report.findings {
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(
                out,
                "{}",
                paint(c, &escape_control(&f.path), Style::new().bold().underline())
            )?;
            current = Some(&f.path);
        }
        let name = rules
            .get(f.rule_id.as_str())
            .map_or("", |r| r.name.as_str());
        writeln!(
            out,
            "  {}  {}  {}  {}",
            paint(c, &format!("{}:{}", f.line, f.column), Style::new().green()),
            paint(
                c,
                &format!("{:<8}", f.severity.as_str()),
                severity_style(f.severity)
            ),
            paint(c, &f.rule_id, Style::new().cyan()),
            escape_control(name),
        )?;
        if !f.secret.is_empty() || f.message.is_none() {
            writeln!(
                out,
                "      {}",
                escape_control(&f.display_line(report.show_secrets))
            )?;
        }
        if let Some(m) = &f.message {
            writeln!(out, "      {}", escape_control(m))?;
        }
        if !f.tags.is_empty() {
            writeln!(
                out,
                "      tags: {}",
                paint(c, &f.tags.join(", "), Style::new().yellow())
            )?;
        }
        if f.confidence != crate::model::Confidence::High {
            writeln!(
                out,
                "      confidence: {} ({})",
                f.confidence,
                escape_control(&f.confidence_reasons.join("; "))
            )?;
        }
        if let Some(v) = &f.verification {
            let style = match v.status {
                Status::Live => Style::new().red().bold().reversed(),
                Status::Unknown | Status::RateLimited => Style::new().yellow(),
                _ => Style::new().green(),
            };
            let label = if v.status == Status::Live {
                "LIVE".to_string()
            } else {
                v.status.as_str().to_string()
            };
            let mut line = format!("verified: {}", paint(c, &label, style));
            if let Some(p) = &v.provider {
                line.push_str(&format!(" ({p})"));
            }
            if let Some(d) = &v.detail {
                line.push_str(&format!(": {}", escape_control(d)));
            }
            writeln!(out, "      {line}")?;
        } else if let Some(p) = &f.provider {
            writeln!(out, "      provider: {}", escape_control(p))?;
        } else if let Some(candidates) = super::ambiguous_providers(&rules, f) {
            writeln!(
                out,
                "      provider: ambiguous ({})",
                candidates.join(" or ")
            )?;
        }
        if let Some(k) = &f.key_info {
            writeln!(out, "      key: {}", escape_control(&k.describe()))?;
        }
        if f.in_binary_strings() {
            writeln!(
                out,
                "      in a binary file: string {} of its printable strings (`strings -a -n 8`)",
                f.line
            )?;
        }
        if let Some(e) = f
            .encoding
            .as_deref()
            .filter(|&e| e != crate::model::STRINGS_ENCODING)
        {
            writeln!(
                out,
                "      decoded from: {e} (the encoded span at this column)"
            )?;
        }
        if let Some(p) = provenance_line(&f.provenance) {
            writeln!(
                out,
                "      {}",
                paint(c, &escape_control(&p), Style::new().magenta())
            )?;
        }
        writeln!(
            out,
            "      {}",
            paint(
                c,
                &format!("fingerprint {}", f.fingerprint),
                Style::new().dimmed()
            )
        )?;
    }
    Ok(())
}

/// One line saying where in git a finding comes from (None for plain files).
pub fn provenance_line(p: &Provenance) -> Option<String> {
    match p {
        Provenance::File => None,
        Provenance::Staged => Some("staged: in the index, not yet committed".into()),
        Provenance::Unreachable { blob } => Some(format!(
            "unreachable blob {blob}: no ref reaches it, but the object store still holds it"
        )),
        Provenance::Commit(g) => {
            let c = &g.commit;
            let mut line = format!(
                "commit {} {} {} <{}>: {}",
                &c.commit[..c.commit.len().min(12)],
                c.date,
                c.author,
                c.email,
                c.summary
            );
            if g.commits > 1 || g.paths > 1 {
                line.push_str(&format!(
                    " (in {} commit(s), {} path(s))",
                    g.commits, g.paths
                ));
            }
            line.push_str(if g.in_head {
                "; still in the tree at HEAD"
            } else {
                "; only in history: rotate the key, rewriting history does not un-leak it"
            });
            Some(line)
        }
    }
}

/// What the scan could not see: ignored paths, a shallow clone, objects
/// that could not be read.
fn write_coverage(
    c: &crate::model::Coverage,
    color: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if !c.ignored.is_empty() {
        let more = if verbose {
            ""
        } else {
            "; --verbose lists them"
        };
        writeln!(
            out,
            "{} ignored (untracked paths that ignore rules skip{more})",
            c.ignored.len()
        )?;
        if verbose {
            for p in &c.ignored {
                writeln!(out, "  {} (ignored)", escape_control(p))?;
            }
        }
    }
    if c.shallow {
        let note = format!(
            "note: shallow clone: history before {} boundary commit(s) is not in this clone and was not scanned (git fetch --unshallow to scan it all)",
            c.shallow_boundary.len()
        );
        writeln!(out, "{}", paint(color, &note, Style::new().yellow()))?;
    }
    if !c.incomplete.is_empty() {
        let head = format!(
            "error: incomplete: {} git object(s) could not be read; everything else was scanned and reported",
            c.incomplete.len()
        );
        writeln!(out, "{}", paint(color, &head, Style::new().red()))?;
        for u in &c.incomplete {
            let paths: Vec<String> = u
                .paths
                .iter()
                .map(|p| escape_control(p).into_owned())
                .collect();
            writeln!(
                out,
                "  {} ({}): {}",
                u.object,
                paths.join(", "),
                escape_control(&u.error)
            )?;
        }
    }
    Ok(())
}

/// Write the run summary (meant for stderr): what was scanned, what was
/// skipped and why, what was suppressed, and findings by severity.
pub fn write_summary(
    findings: &[Finding],
    summary: &Summary,
    color: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "keysweep: scanned {} file{} ({}) in {:.2}s with {} rules",
        summary.files_scanned,
        if summary.files_scanned == 1 { "" } else { "s" },
        human_bytes(summary.bytes_scanned),
        summary.elapsed.as_secs_f64(),
        summary.rules,
    )?;
    if !summary.skipped.is_empty() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for s in &summary.skipped {
            match counts.iter_mut().find(|(l, _)| *l == s.reason.label()) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.reason.label(), 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
        let paths: std::collections::HashSet<&str> =
            summary.skipped.iter().map(|s| s.path.as_str()).collect();
        let at = if paths.len() < summary.skipped.len() {
            format!(" at {} path(s)", paths.len())
        } else {
            String::new()
        };
        writeln!(
            out,
            "skipped {} file(s){at}: {}",
            summary.skipped.len(),
            parts.join(", ")
        )?;
        let mut quiet_listed = 0;
        let mut quiet_hidden = 0;
        // A path history saw in several versions is listed once per reason.
        let mut listed = std::collections::HashSet::new();
        for s in &summary.skipped {
            if !listed.insert((s.path.as_str(), s.reason.label())) {
                continue;
            }
            let quiet = matches!(s.reason, SkipReason::Binary | SkipReason::Symlink);
            if quiet && !verbose {
                if quiet_listed >= LIST_QUIET_SKIPS {
                    quiet_hidden += 1;
                    continue;
                }
                quiet_listed += 1;
            }
            let detail = match &s.reason {
                SkipReason::TooLarge { size } => format!("too large: {}", human_bytes(*size)),
                SkipReason::Unreadable { error } => format!("unreadable: {error}"),
                SkipReason::Archive { note } => format!("archive member not opened: {note}"),
                other => other.label().to_string(),
            };
            let line = format!(
                "  {} ({})",
                escape_control(&s.path),
                escape_control(&detail)
            );
            if s.reason.is_warning() {
                writeln!(
                    out,
                    "{}",
                    paint(color, &format!("warning:{line}"), Style::new().yellow())
                )?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        if quiet_hidden > 0 {
            writeln!(
                out,
                "  (+{quiet_hidden} more binary files or symlinks; --verbose lists all)"
            )?;
        }
    }
    write_coverage(&summary.coverage, color, verbose, out)?;
    if !summary.suppressed.is_empty() {
        let total: u64 = summary.suppressed.values().sum();
        let parts: Vec<String> = summary
            .suppressed
            .iter()
            .map(|(why, n)| format!("{n} by {why}"))
            .collect();
        writeln!(out, "suppressed {total} finding(s): {}", parts.join(", "))?;
    }
    if summary.hidden_low_confidence > 0 {
        writeln!(
            out,
            "{} low-confidence finding(s) not shown (samples, documentation and fixture values; --confidence low shows them)",
            summary.hidden_low_confidence
        )?;
    }
    write_capped(&summary.capped, color, verbose, out)?;
    if summary.not_decoded > 0 {
        writeln!(
            out,
            "{} encoded span(s) not decoded (nested deeper than 3 encodings, or cut inside an escape): their plain text was scanned, what they encode was not",
            summary.not_decoded
        )?;
    }
    if summary.suppressed_inline > 0 {
        writeln!(
            out,
            "suppressed {} finding(s) by inline keysweep:allow",
            summary.suppressed_inline
        )?;
    }
    let findings_by_severity = Summary::by_severity(findings);
    let verified: Vec<String> = Status::ALL
        .iter()
        .map(|&s| {
            (
                s,
                findings
                    .iter()
                    .filter(|f| f.verification.as_ref().is_some_and(|v| v.status == s))
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    if !verified.is_empty() {
        writeln!(out, "verification: {}", verified.join(", "))?;
    }
    let total: usize = findings_by_severity.iter().map(|(_, n)| n).sum();
    if total == 0 {
        writeln!(out, "{}", paint(color, "no findings", Style::new().green()))?;
    } else {
        let parts: Vec<String> = findings_by_severity
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| paint(color, &format!("{n} {s}"), severity_style(*s)))
            .collect();
        writeln!(out, "{total} finding(s): {}", parts.join(", "))?;
    }
    Ok(())
}

/// How many files the capped summary names unless `--verbose`.
const LIST_CAPPED: usize = 5;

/// What the per-file cap left out: how many, and the files with the most.
fn write_capped(
    c: &crate::model::Capped,
    color: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if c.findings == 0 {
        return Ok(());
    }
    let head = format!(
        "capped {} more finding(s): at most {} are kept per file and rule (--max-findings-per-file; 0 keeps all); they fail the run as the kept ones do",
        c.findings, c.limit
    );
    writeln!(out, "{}", paint(color, &head, Style::new().yellow()))?;
    let shown = if verbose { c.files.len() } else { LIST_CAPPED };
    for f in c.files.iter().take(shown) {
        writeln!(
            out,
            "  {} ({}): {} more",
            escape_control(&f.path),
            escape_control(&f.rule_id),
            f.findings
        )?;
    }
    if c.files.len() > shown {
        writeln!(
            out,
            "  (+{} more file(s) and rule(s); --verbose lists up to {})",
            c.files.len() - shown,
            crate::model::Capped::LISTED
        )?;
    }
    Ok(())
}

/// Bytes in B, KiB, MiB or GiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
