//! The HTTP side of verification and revocation: one request per check,
//! retried on 429 and 5xx with backoff, redirects never followed, the answer
//! read (at most 64 KiB) and mapped to a [`Status`] by the rule's answers.

use super::{scrub, Status, Verification};
use crate::rules::HttpCheck;
use std::collections::HashSet;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Largest answer body read.
const MAX_BODY: u64 = 64 * 1024;
/// Longest wait a `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// An HTTP agent: the timeout applies to each request as a whole; redirects
/// are not followed (a 3xx is an answer, never a second request); every
/// connection's addresses are checked after DNS resolution ([`Guard`]).
pub fn agent(timeout: Duration, local_hosts: &HashSet<String>) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(timeout)
        .redirects(0)
        .resolver(Guard {
            local_hosts: local_hosts.clone(),
        })
        .user_agent(concat!("keysweep/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Resolves a host for a connection and refuses addresses a key must never
/// be sent to: private ranges, link-local (cloud metadata at
/// 169.254.169.254, fe80::/10), CGNAT, unique-local, multicast, reserved
/// and unspecified addresses, and loopback unless the host was named on the
/// command line with `--verify-endpoint`. ureq asks for every connection,
/// so a name that changes its answer (DNS rebinding) is checked each time.
struct Guard {
    local_hosts: HashSet<String>,
}

impl ureq::Resolver for Guard {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
        let host = netloc
            .rsplit_once(':')
            .map_or(netloc, |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let local_ok = self.local_hosts.contains(host);
        let addrs: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| match forbidden(a.ip()) {
                None => true,
                Some(Forbidden::Loopback) => local_ok,
                Some(Forbidden::Other(_)) => false,
            })
            .collect();
        if allowed.is_empty() {
            let why = addrs
                .first()
                .and_then(|a| forbidden(a.ip()))
                .map_or("no address".to_string(), |f| f.to_string());
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("refused to connect to {host}: it resolves to {why}"),
            ));
        }
        Ok(allowed)
    }
}

/// Why an address is not a place to send a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forbidden {
    Loopback,
    Other(&'static str),
}

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Forbidden::Loopback => f.write_str("a loopback address"),
            Forbidden::Other(what) => f.write_str(what),
        }
    }
}

/// The class of `ip` that verification refuses, if any.
pub(crate) fn forbidden(ip: IpAddr) -> Option<Forbidden> {
    use Forbidden::{Loopback, Other};
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some(Loopback)
            } else if v4.is_private() {
                Some(Other("a private address"))
            } else if v4.is_link_local() {
                Some(Other("a link-local address (cloud metadata lives there)"))
            } else if o[0] == 100 && (64..128).contains(&o[1]) {
                Some(Other("a carrier-grade NAT address"))
            } else if v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified() {
                Some(Other("a multicast, broadcast or unspecified address"))
            } else if o[0] == 0 || o[0] >= 240 || (o[0] == 192 && o[1] == 0 && o[2] == 0) {
                Some(Other("a reserved address"))
            } else if v4.is_documentation() || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) {
                Some(Other("a documentation or benchmarking address"))
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some(Loopback)
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some(Other("an unspecified or multicast address"))
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some(Other("a link-local address"))
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some(Other("a unique-local address"))
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some(Other("a documentation address"))
            } else if s[0] == 0x0064 && s[1] == 0xff9b {
                // NAT64 maps IPv4 into IPv6: judge the embedded address.
                let v4 = std::net::Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                );
                forbidden(IpAddr::V4(v4)).or(None)
            } else {
                None
            }
        }
    }
}

/// A request with the secret filled in (deliberately not `Debug`).
pub struct Prepared {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    secret: String,
}

impl Prepared {
    /// Fill `{secret}` into `check`'s URL (`url`, which may be an override),
    /// headers and body.
    pub fn new(check: &HttpCheck, url: &str, secret: &str) -> Self {
        let fill = |s: &str| s.replace("{secret}", secret);
        Prepared {
            method: check.method.clone(),
            url: fill(url),
            headers: check
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), fill(v)))
                .collect(),
            body: check.body.as_deref().map(fill),
            secret: secret.to_string(),
        }
    }

    /// The host (and port) the request goes to.
    pub fn host(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        rest.split(['/', '?', '#']).next().unwrap_or(rest)
    }

    /// `METHOD URL` with the secret redacted, for dry runs and messages.
    pub fn describe(&self) -> String {
        scrub(&format!("{} {}", self.method, self.url), &self.secret)
    }
}

/// An answer: status, `Retry-After` seconds, `Location`, body.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    location: Option<String>,
    body: Vec<u8>,
}

fn send(agent: &ureq::Agent, p: &Prepared) -> Result<Answer, String> {
    let mut req = agent.request(&p.method, &p.url);
    for (k, v) in &p.headers {
        req = req.set(k, v);
    }
    let result = match &p.body {
        Some(b) => req.send_string(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) => return Err(scrub(&t.to_string(), &p.secret)),
    };
    let status = resp.status();
    let retry_after = resp
        .header("retry-after")
        .and_then(|v| v.trim().parse().ok());
    let location = resp.header("location").map(str::to_string);
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|e| scrub(&e.to_string(), &p.secret))?;
    Ok(Answer {
        status,
        retry_after,
        location,
        body,
    })
}

/// Perform a prepared call once (revocation): the HTTP status, or why none.
pub fn call(agent: &ureq::Agent, p: &Prepared) -> Result<u16, String> {
    send(agent, p).map(|a| a.status)
}

/// Check one key, retrying 429 and 5xx answers up to `retries` times.
pub fn verify_one(
    agent: &ureq::Agent,
    p: &Prepared,
    check: &HttpCheck,
    retries: u32,
) -> Verification {
    let mut attempt = 0;
    loop {
        match send(agent, p) {
            Ok(answer) => {
                let again = answer.status == 429 || answer.status >= 500;
                if again && attempt < retries {
                    let wait = answer
                        .retry_after
                        .map(Duration::from_secs)
                        .unwrap_or_else(|| Duration::from_millis(250 << attempt))
                        .min(MAX_RETRY_AFTER);
                    std::thread::sleep(wait);
                    attempt += 1;
                    continue;
                }
                let mut v = interpret(check, &answer, &p.secret);
                if attempt > 0 {
                    let note = format!(
                        "after {} retr{}",
                        attempt,
                        if attempt == 1 { "y" } else { "ies" }
                    );
                    v.detail = Some(match v.detail {
                        Some(d) => format!("{d} ({note})"),
                        None => note,
                    });
                }
                return v;
            }
            Err(reason) => {
                return Verification {
                    status: Status::Unknown,
                    provider: None,
                    detail: Some(format!("request failed: {reason}")),
                }
            }
        }
    }
}

/// The value at a dotted path (`error.code`) of a JSON body, as text; `""`
/// when absent.
fn code_at(body: &[u8], path: &str) -> String {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    for part in path.split('.') {
        match v.get(part) {
            Some(next) => v = next.clone(),
            None => return String::new(),
        }
    }
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn interpret(check: &HttpCheck, a: &Answer, secret: &str) -> Verification {
    let code = check
        .code_path
        .as_deref()
        .map(|p| code_at(&a.body, p))
        .unwrap_or_default();
    for rule in &check.answers {
        let status_ok = rule.status.is_none_or(|s| s == a.status);
        let code_ok = rule.code.as_deref().is_none_or(|c| c == code);
        if status_ok && code_ok {
            let mut detail = format!("HTTP {}", a.status);
            if !code.is_empty() {
                detail.push_str(&format!(" {code}"));
            }
            if let Some(d) = &rule.detail {
                detail.push_str(&format!(": {d}"));
            }
            return Verification {
                status: rule.result,
                provider: None,
                detail: Some(scrub(&detail, secret)),
            };
        }
    }
    let (status, detail) = match a.status {
        300..=399 => {
            let to = a.location.as_deref().map_or("elsewhere".to_string(), |l| {
                let rest = l.split_once("://").map_or(l, |(_, r)| r);
                rest.split('/').next().unwrap_or(rest).to_string()
            });
            (
                Status::Unknown,
                format!("HTTP {}: redirect to {to} not followed", a.status),
            )
        }
        200..=299 => (Status::Live, format!("HTTP {}", a.status)),
        429 => (Status::RateLimited, "HTTP 429: rate limited".to_string()),
        s => {
            let c = if code.is_empty() {
                String::new()
            } else {
                format!(" {code}")
            };
            (Status::Unknown, format!("unexpected answer: HTTP {s}{c}"))
        }
    };
    Verification {
        status,
        provider: None,
        detail: Some(scrub(&detail, secret)),
    }
}
