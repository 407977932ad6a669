//! Which rules a run uses: the built-in ones, the configs' and `--rules`
//! files, narrowed by `--rule`, `--disable-rule` and the user's `disable`.
//! Rules from a scanned repository's config are marked untrusted here.

use super::FileConfig;
use crate::cli::scan::RuleArgs;
use crate::rules::{self, Rule};
use anyhow::{bail, Context, Result};
use std::collections::HashSet;

/// Built-in rules plus `--rules` files, narrowed by `--rule` / `--disable-rule`
/// (`rules list` reads no config file).
pub fn select_rules(args: &RuleArgs) -> Result<Vec<Rule>> {
    select_rules_with(args, &FileConfig::default(), None)
}

/// Built-in rules, the configs' and `--rules` files, narrowed by `--rule`,
/// `--disable-rule` and the user's `disable` (a repository's `disable` is a
/// counted filter instead, and its rules lose their verification tables).
pub(super) fn select_rules_with(
    args: &RuleArgs,
    user: &FileConfig,
    repo: Option<&FileConfig>,
) -> Result<Vec<Rule>> {
    let mut all = rules::load_embedded().context("built-in rules")?;
    for path in &user.rules {
        let extra = rules::load_path(path)
            .with_context(|| format!("{}: rules {}", user.origin_name(), path.display()))?;
        all.extend(extra);
    }
    if let Some(r) = repo {
        for path in &r.rules {
            let extra = rules::load_path(path)
                .with_context(|| format!("{}: rules {}", r.origin_name(), path.display()))?;
            for mut rule in extra {
                if !rule.verify.is_empty() || rule.revoke.is_some() {
                    eprintln!(
                        "keysweep: warning: {}: rules {}: rule `{}`: verification and revocation tables from a scanned repository are not used",
                        r.origin_name(),
                        path.display(),
                        rule.id
                    );
                    rule.verify.clear();
                    rule.revoke = None;
                }
                rule.untrusted = true;
                all.push(rule);
            }
        }
    }
    for path in &args.rules {
        let extra =
            rules::load_path(path).with_context(|| format!("--rules {}", path.display()))?;
        all.extend(extra);
    }
    rules::ensure_unique(&all)?;
    let known: HashSet<&str> = all.iter().map(|r| r.id.as_str()).collect();
    for id in args.only.iter().chain(&args.disable) {
        if !known.contains(id.as_str()) {
            bail!("unknown rule id `{id}` (see `keysweep rules list`)");
        }
    }
    for file in std::iter::once(user).chain(repo) {
        for id in &file.disable {
            if !known.contains(id.as_str()) {
                bail!("{}: disable: unknown rule id `{id}`", file.origin_name());
            }
        }
    }
    let file = user;
    let only: HashSet<&str> = args.only.iter().map(String::as_str).collect();
    let disabled: HashSet<&str> = args
        .disable
        .iter()
        .chain(&file.disable)
        .map(String::as_str)
        .collect();
    let selected: Vec<Rule> = all
        .into_iter()
        .filter(|r| only.is_empty() || only.contains(r.id.as_str()))
        .filter(|r| !disabled.contains(r.id.as_str()))
        .collect();
    if selected.is_empty() {
        bail!("no rules left to run after --rule / --disable-rule");
    }
    Ok(selected)
}
