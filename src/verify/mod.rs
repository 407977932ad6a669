//! Verification: ask the provider whether a found key is live (opt-in).
//!
//! Safe by construction: nothing here runs without `--verify` (or `keysweep
//! revoke`); a key is sent only to the endpoint its own rule declares (or an
//! explicit `--verify-endpoint` override), over HTTPS unless the override is a
//! loopback address; redirects are never followed; a key whose shape several
//! providers share is sent only when its file names one of them (or
//! `--verify-provider` does). Each unique secret is checked once, with
//! timeouts, bounded retries, a global and a per-host concurrency cap. Secrets
//! never appear in messages: transport errors are scrubbed before they are
//! kept. A failed check is a status (`unknown`), never an aborted scan.

mod http;

pub use http::{agent, call, Prepared};

use crate::model::{redact, Finding};
use crate::rules::{HttpCheck, Rule};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

pub use crate::model::{Status, Verification};

/// Attributes findings to providers from the words around them.
#[derive(Debug)]
pub struct Attributor {
    /// rule id -> (provider, context matcher); only rules with verifiers.
    rules: HashMap<String, Vec<(String, Option<AhoCorasick>)>>,
}

impl Attributor {
    /// Build from the rules in effect.
    pub fn new(rules: &[Rule]) -> Self {
        let rules = rules
            .iter()
            .filter(|r| !r.verify.is_empty())
            .map(|r| {
                let providers = r
                    .verify
                    .iter()
                    .map(|v| {
                        let ac = (!v.context.is_empty())
                            .then(|| {
                                AhoCorasickBuilder::new()
                                    .ascii_case_insensitive(true)
                                    .build(&v.context)
                                    .ok()
                            })
                            .flatten();
                        (v.provider.clone(), ac)
                    })
                    .collect();
                (r.id.clone(), providers)
            })
            .collect();
        Attributor { rules }
    }

    /// Set `provider` on findings of `data` whose rule names providers: the
    /// only provider of a rule that has one; otherwise the one provider whose
    /// context words occur in the file (none when zero or several do).
    /// The file's words are searched once per rule, not once per finding:
    /// 20,000 keys of one shared shape in one file cost one context pass.
    pub fn attribute(&self, findings: &mut [Finding], data: &[u8]) {
        let mut decided: HashMap<&str, Option<String>> = HashMap::new();
        for f in findings {
            let Some(providers) = self.rules.get(&f.rule_id) else {
                continue;
            };
            if let Some(known) = decided.get(f.rule_id.as_str()) {
                f.provider = known.clone();
                continue;
            }
            let provider = match providers.as_slice() {
                [(only, _)] => Some(only.clone()),
                many => {
                    let named: Vec<&String> = many
                        .iter()
                        .filter(|(_, ac)| ac.as_ref().is_some_and(|ac| ac.is_match(data)))
                        .map(|(p, _)| p)
                        .collect();
                    match named.as_slice() {
                        [one] => Some((*one).clone()),
                        _ => None,
                    }
                }
            };
            let (id, _) = self
                .rules
                .get_key_value(&f.rule_id)
                .expect("looked up above");
            decided.insert(id.as_str(), provider.clone());
            f.provider = provider;
        }
    }
}

/// Verification settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once, overall.
    pub concurrency: usize,
    /// Requests in flight at once, per host.
    pub per_host: usize,
    /// Retries after 429 or 5xx.
    pub retries: u32,
    /// `--verify-endpoint RULE=URL` overrides.
    pub endpoints: HashMap<String, String>,
    /// `--verify-provider RULE=PROVIDER` choices.
    pub providers: HashMap<String, String>,
    /// Hosts the user named on the command line (`--verify-endpoint`):
    /// the only ones that may resolve to loopback (tests, local mocks).
    pub local_hosts: std::collections::HashSet<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(10),
            concurrency: 8,
            per_host: 4,
            retries: 2,
            endpoints: HashMap::new(),
            providers: HashMap::new(),
            local_hosts: Default::default(),
        }
    }
}

/// True for 127.0.0.0/8, ::1 and localhost.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The host of `url` (without port or brackets).
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .unwrap_or(authority)
            .trim_start_matches('[')
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_string()
}

/// Check an endpoint override: HTTPS anywhere, plain HTTP only to loopback.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "{url}: only https:// (or http:// to a loopback address) is allowed"
        ));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    if is_loopback_host(host) {
        Ok(())
    } else {
        Err(format!(
            "{url}: plain http is allowed only to a loopback address"
        ))
    }
}

/// One unique (rule, secret, provider) to check.
struct Job<'r> {
    check: Option<&'r HttpCheck>,
    url: String,
    rule: &'r Rule,
    secret: String,
    provider: Option<String>,
    findings: Vec<usize>,
}

/// Verify every finding whose rule declares how; attach the results.
pub fn verify(findings: &mut [Finding], rules: &[Rule], opts: &Options) {
    let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut jobs: Vec<Job<'_>> = Vec::new();
    let mut index: HashMap<(String, String, Option<String>), usize> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let Some(rule) = by_id.get(f.rule_id.as_str()).copied() else {
            continue;
        };
        if rule.verify.is_empty() || f.secret.is_empty() {
            continue;
        }
        let provider = opts
            .providers
            .get(&rule.id)
            .cloned()
            .or_else(|| f.provider.clone());
        let key = (rule.id.clone(), f.secret.clone(), provider.clone());
        if let Some(&j) = index.get(&key) {
            jobs[j].findings.push(i);
            continue;
        }
        let check = provider
            .as_ref()
            .and_then(|p| rule.verify.iter().find(|v| &v.provider == p));
        let url = check
            .map(|c| {
                opts.endpoints
                    .get(&rule.id)
                    .cloned()
                    .unwrap_or_else(|| c.url.clone())
            })
            .unwrap_or_default();
        index.insert(key, jobs.len());
        jobs.push(Job {
            check,
            url,
            rule,
            secret: f.secret.clone(),
            provider,
            findings: vec![i],
        });
    }
    let results = run_jobs(&jobs, opts);
    for (job, result) in jobs.iter().zip(results) {
        for &i in &job.findings {
            findings[i].verification = Some(result.clone());
        }
    }
}

fn run_jobs(jobs: &[Job<'_>], opts: &Options) -> Vec<Verification> {
    let results: Mutex<Vec<Option<Verification>>> = Mutex::new(vec![None; jobs.len()]);
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..jobs.len()).collect());
    let hosts = HostLimiter::new(opts.per_host.max(1));
    let agent = http::agent(opts.timeout, &opts.local_hosts);
    let workers = opts.concurrency.max(1).min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let Some(j) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else {
                    break;
                };
                let job = &jobs[j];
                let result = match job.check {
                    None => ambiguous(job),
                    Some(check) if job.url.is_empty() => Verification {
                        status: Status::Unknown,
                        provider: Some(check.provider.clone()),
                        detail: Some(format!(
                            "the rule names no endpoint of its own: give --verify-endpoint {}=URL",
                            job.rule.id
                        )),
                    },
                    Some(check) => {
                        let prepared = Prepared::new(check, &job.url, &job.secret);
                        let _slot = hosts.acquire(prepared.host());
                        let mut v = http::verify_one(&agent, &prepared, check, opts.retries);
                        v.provider = Some(check.provider.clone());
                        v
                    }
                };
                results.lock().unwrap_or_else(|e| e.into_inner())[j] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| {
            r.unwrap_or(Verification {
                status: Status::Unknown,
                provider: None,
                detail: Some("not checked".into()),
            })
        })
        .collect()
}

fn ambiguous(job: &Job<'_>) -> Verification {
    let names: Vec<&str> = job
        .rule
        .verify
        .iter()
        .map(|v| v.provider.as_str())
        .collect();
    let detail = match &job.provider {
        Some(p) => format!("no [verify] for provider `{p}` in rule {}", job.rule.id),
        None => format!(
            "ambiguous provider: this key shape is used by {}; nothing in the file names one. Use --verify-provider {}=PROVIDER",
            names.join(", "),
            job.rule.id
        ),
    };
    Verification {
        status: Status::Unknown,
        provider: None,
        detail: Some(detail),
    }
}

/// At most `cap` requests in flight per host.
struct HostLimiter {
    cap: usize,
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

struct Slot<'a> {
    limiter: &'a HostLimiter,
    host: String,
}

impl HostLimiter {
    fn new(cap: usize) -> Self {
        HostLimiter {
            cap,
            busy: Mutex::new(HashMap::new()),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self, host: &str) -> Slot<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while busy.get(host).copied().unwrap_or(0) >= self.cap {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy.entry(host.to_string()).or_insert(0) += 1;
        Slot {
            limiter: self,
            host: host.to_string(),
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut busy = self.limiter.busy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = busy.get_mut(&self.host) {
            *n = n.saturating_sub(1);
        }
        self.limiter.freed.notify_all();
    }
}

/// Replace every occurrence of `secret` in `text` by its redacted form.
pub fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, &redact(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_overrides() {
        assert!(check_endpoint("https://staging.example.com/v1").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/x").is_ok());
        assert!(check_endpoint("http://localhost/x").is_ok());
        assert!(check_endpoint("http://[::1]:9/x").is_ok());
        assert!(check_endpoint("http://example.com/x").is_err());
        assert!(check_endpoint("http://10.0.0.1/x").is_err());
        assert!(check_endpoint("ftp://127.0.0.1/x").is_err());
    }

    #[test]
    fn scrubbing() {
        let s = "sk_live_0123456789abcdefghij";
        assert_eq!(
            scrub(&format!("error for {s} at host"), s),
            "error for sk_live_****ghij at host"
        );
    }
}
