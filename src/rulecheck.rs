//! `rules check`: every rule proves itself on its own examples, through the
//! very matcher the scanner uses (this module sits above `matcher`, which
//! sits above `rules`).
//!
//! The test suite runs this over the embedded rules and `keysweep rules check
//! FILE` runs it over a user's file: one function, so a rule that passes here
//! behaves the same in a scan.

use crate::matcher::Matcher;
use crate::rules::{expand_template, Rule};

/// One way a rule failed its own examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The rules file.
    pub file: String,
    /// The rule id.
    pub rule: String,
    /// What failed, quoting the (expanded) example.
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: rule `{}`: {}", self.file, self.rule, self.message)
    }
}

/// Run every rule's examples and counterexamples; return every failure.
pub fn check(rules: &[Rule]) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    for rule in rules.iter().filter(|r| !r.lint) {
        let mut fail = |message: String| {
            failures.push(CheckFailure {
                file: rule.source.clone(),
                rule: rule.id.clone(),
                message,
            })
        };
        let matcher = match Matcher::new(std::slice::from_ref(rule)) {
            Ok(m) => m,
            Err(e) => {
                fail(e.message);
                continue;
            }
        };
        if let Err(e) = matcher.compile_all() {
            fail(format!("regex: {}", e.message));
            continue;
        }
        if rule.examples.is_empty() {
            fail("has no examples".into());
        }
        for (i, ex) in rule.examples.iter().enumerate() {
            let text = match expand_template(ex, &format!("{}#{i}", rule.id)) {
                Ok(t) => t,
                Err(m) => {
                    fail(format!("example {}: {m}", i + 1));
                    continue;
                }
            };
            let lower = text.to_ascii_lowercase();
            if !rule
                .keywords
                .iter()
                .any(|k| lower.contains(&k.to_ascii_lowercase()))
            {
                fail(format!(
                    "example {} contains none of the keywords: {text:?}",
                    i + 1
                ));
            }
            let n = matcher.find(text.as_bytes()).len();
            if n != 1 {
                fail(format!(
                    "example {} should produce exactly 1 finding, got {n}: {text:?}",
                    i + 1
                ));
            }
        }
        for (i, ex) in rule.counterexamples.iter().enumerate() {
            let text = match expand_template(ex, &format!("{}!{i}", rule.id)) {
                Ok(t) => t,
                Err(m) => {
                    fail(format!("counterexample {}: {m}", i + 1));
                    continue;
                }
            };
            let n = matcher.find(text.as_bytes()).len();
            if n != 0 {
                fail(format!(
                    "counterexample {} should produce no finding, got {n}: {text:?}",
                    i + 1
                ));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No built-in rule sends a key to a documentation or reserved domain,
    /// nor puts it in a URL.
    #[test]
    fn built_in_endpoints_are_real_hosts() {
        let rules = crate::rules::load_embedded().expect("embedded rules load");
        for r in &rules {
            for c in r.verify.iter().chain(&r.revoke) {
                let host = crate::verify::url_host(&c.url);
                assert!(
                    !crate::rules::is_reserved_domain(&host),
                    "{}: {} is a reserved domain",
                    r.id,
                    c.url
                );
                assert!(!c.url.contains("{secret}"), "{}: secret in the url", r.id);
            }
        }
    }

    #[test]
    fn every_embedded_rule_passes_its_examples() {
        let rules = crate::rules::load_embedded().expect("embedded rules load");
        assert!(!rules.is_empty());
        let failures = check(&rules);
        let listed: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "rule examples failed:\n{}",
            listed.join("\n")
        );
    }

    #[test]
    fn a_failing_example_is_reported_with_rule_and_text() {
        let text = r#"
[[rules]]
id = "demo"
name = "Demo"
description = "d"
severity = "low"
keywords = ["demo_"]
regex = '(?P<secret>demo_[a-z]{8})'
examples = ["demo_qhzkwmvp", "demo_short"]
counterexamples = ["demo_xrtplnsk"]
"#;
        let rules = crate::rules::parse("mine.toml", text).unwrap();
        let failures = check(&rules);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].message.contains("demo_short"));
        assert!(failures[1].message.contains("counterexample 1"));
        assert_eq!(failures[0].file, "mine.toml");
    }
}
