//! Filters that turn regex candidates into findings: placeholders, entropy and
//! content checks. Provider docs are full of `YOUR_API_KEY`, `sk_live_abc123...`
//! and `sk-live-xxxxxxxx`; none of those is a leak, and reporting them is how a
//! scanner teaches its users to ignore it.
//!
//! Passwords have stand-ins of their own (rules with `checks =
//! ["password"]`): a well-known default (`changeme`, `P@ssw0rd1`,
//! `admin123`), or the user name repeated as the password on the same line
//! (`user=app password=app`). Both are a bounded look at one line.

use regex::bytes::{Regex, RegexSet};
use std::sync::OnceLock;

/// Words and shapes that mark a value as a stand-in, matched anywhere in the
/// secret (case-insensitive).
const PLACEHOLDER_PATTERNS: &[&str] = &[
    r"(?i)your[-_ ]?(?:own[-_ ]?)?(?:api[-_ ]?|secret[-_ ]?|access[-_ ]?|session[-_ ]?)?(?:key|token|secret|password)",
    r"(?i)\b(?:your|my)[-_]",
    r"(?i)example|placeholder|changeme|change[-_]me|dummy|redacted|replace[-_]?me|insert[-_]|sample[-_]?key|not[-_]?a[-_]?real|fake[-_]?key",
    r"(?i)abc123|123456|abcdefgh|qwerty|a1b2c3|0123456789",
    r"FAKE|Fake[A-Z0-9_-]|(?i:fake[-_])",
    r"\.\.\.|…|\*\*\*",
    r"[<>]|\$\{|\$\(|\{\{|\}\}|%\(|%[A-Z_]+%",
    r"(?i)process\.env|os\.environ|getenv|\benv\(|\bENV\[|secrets\.|import\.meta\.env",
];

fn placeholder_set() -> &'static RegexSet {
    static SET: OnceLock<RegexSet> = OnceLock::new();
    SET.get_or_init(|| {
        RegexSet::new(PLACEHOLDER_PATTERNS).expect("built-in placeholder patterns compile")
    })
}

/// True when `secret` is a stand-in rather than a key: a known placeholder
/// word or shape, a run of one character filling a quarter of it, or fewer
/// than four distinct characters.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if placeholder_set().is_match(secret) {
        return true;
    }
    let mut longest = 0;
    let mut run = 0;
    let mut prev = None;
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in secret {
        run = if prev == Some(b) { run + 1 } else { 1 };
        longest = longest.max(run);
        prev = Some(b);
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    (longest >= 6 && longest * 4 >= secret.len()) || (secret.len() >= 8 && distinct < 4)
}

/// Well-known default passwords of databases, brokers, appliances and
/// tutorials (compared without case, after trailing digits and `!` are cut
/// and leetspeak is read back: `P@ssw0rd1` is `password`).
pub const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "root",
    "toor",
    "admin",
    "administrator",
    "guest",
    "test",
    "tester",
    "testing",
    "user",
    "username",
    "example",
    "sample",
    "demo",
    "changeme",
    "changeit",
    "default",
    "letmein",
    "welcome",
    "qwerty",
    "hunter",
    "mypass",
    "mypassword",
    "testpass",
    "testpassword",
    "dbpass",
    "dbpassword",
    "sa",
    "oracle",
    "tiger",
    "manager",
    "redis",
    "mongo",
    "rabbitmq",
    "vagrant",
    "ubuntu",
    "raspberry",
    "docker",
    "jenkins",
    "elastic",
    "kibana",
    "minioadmin",
    "foobar",
    "abc",
    "abcdef",
    "asdf",
    "iloveyou",
    "superuser",
    "supersecret",
    "topsecret",
    "private",
    "s3cret",
];

/// True when `secret` is a well-known default password (see
/// [`DEFAULT_PASSWORDS`]), or only digits.
pub fn is_default_password(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let stem_len = lower
        .iter()
        .rposition(|b| !(b.is_ascii_digit() || *b == b'!'))
        .map_or(0, |p| p + 1);
    if stem_len == 0 {
        return true; // digits only: 12345678, a PIN
    }
    // Cut at most four trailing digits or `!` (`admin123`, `password1!`).
    let stem = if lower.len() - stem_len <= 4 {
        &lower[..stem_len]
    } else {
        &lower[..]
    };
    let leet: Vec<u8> = stem
        .iter()
        .map(|b| match b {
            b'@' | b'4' => b'a',
            b'0' => b'o',
            b'1' | b'!' => b'i',
            b'3' => b'e',
            b'$' | b'5' => b's',
            b'7' => b't',
            other => *other,
        })
        .collect();
    DEFAULT_PASSWORDS
        .iter()
        .any(|d| d.as_bytes() == lower || d.as_bytes() == stem || d.as_bytes() == leet)
}

/// User names given on a line: `user=`, `username:`, `User Id=`, `uid=`,
/// `login bob` (netrc), `-u bob`, `-User bob`, `--user=bob`,
/// `<username>bob</username>`.
fn user_names() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?i)(?:(?:user(?:[_ -]?(?:name|id))?|login|uid)(?:>|["'\]]{0,2}\s*(?:=>|[=:])|\s)|(?:^|\s)-u)\s*["']?(?P<user>[^\s"',;:&<>]{1,128})"#,
        )
        .expect("built-in user-name pattern compiles")
    })
}

/// True when the password `secret` is the user name given on its line
/// (`line`, which holds the secret): `user=app password=app`, `login bob
/// password bob`, `-u sa -p sa`, a `user:password` pair such as `app:app`.
pub fn password_is_user_name(line: &[u8], secret: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let same = |u: &[u8]| u.eq_ignore_ascii_case(secret);
    if user_names()
        .captures_iter(line)
        .filter_map(|c| c.name("user"))
        .any(|m| same(m.as_bytes()))
    {
        return true;
    }
    // `user:password` and `user/password@`: the user directly before.
    memchr::memmem::find_iter(line, secret).any(|at| {
        let before = &line[..at];
        let Some((b':' | b'/', head)) = before.split_last() else {
            return false;
        };
        let start = head
            .iter()
            .rposition(|b| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'/' | b'@' | b'=' | b':'))
            .map_or(0, |p| p + 1);
        same(&head[start..])
    })
}

/// SHA-256 digests of values vendors publish in their documentation as
/// examples (Stripe's documented test keys, the jwt.io sample token's
/// payload, Google's sample Maps key): kept as digests so no key-shaped
/// literal lives in this repository. A value, or one `.`-separated segment
/// of it, with one of these digests is a documented sample.
const DOCUMENTED_SAMPLES: &[&str] = &[
    // Stripe's documented test keys (secret, the older one, publishable).
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    "f2d6ca16515033e5dce14eba840b979d27b5cbae24bb3e5bf484339667f86397",
    "b1471f544ceeea31333bde7e1ecbaad6eac0d4a749412ad29bd66ef895b81c6b",
    // The jwt.io sample token's payload
    // ({"sub":"1234567890","name":"John Doe","iat":1516239022}).
    "3373cfa8cfd3d25622125d01af103fd4727b8d44648999185b68346ab5f4d59d",
    // Google's sample Maps API key from its documentation.
    "ac9265e56c79b234607ec72c53753cfea9f88c99eb713790ddf9be5593bb4465",
    // OAuth 1.0 (RFC 5849) example tokens, secrets and nonces.
    "2ff8b0fb93aca981c78f1e94355c298c23435461f1072ef4674848e620371787",
    "4c20e6f5cc11b93731e74cbe20739821d61c3563c9f50ecb884a27cd369f01fb",
    "6aa14267d94944e6b6483c81f5ad37f87bbc7e88aa368d4aba1e71e0b79cd8c4",
    "bb9b1163338b2a51495834ad5c65420443d6327381cf0f94ebf92b117f209d72",
    "79cabf5bce705aad3ab683e991b35fcfe3e9bc89da1080e8eeca700ff725d69e",
    "649e1f5c769e718ba10d1a702a36499a731441d960b06da91c4c97786bf84595",
    "cb87c87e4a138d9a72259d2a01bab15623c9846e568c1509b287721645a6ea53",
    "9d03b692e941d5ace207a9f8048834439f6de98e5c6c1590c22c4f4577c88a42",
    "8d567eb88afff34f31ab97fbb2731e582703bdeaf3c92b989cf568e0b23cef31",
    // OAuth 2.0 (RFC 6749) example access and refresh tokens.
    "6c96130f130ab0d6d158397e24d2bcc1c9a5e73ae081f6e983f1c7b545d24a4c",
    "00cf4c781dc37003f7c7dd7d4c9a6ef1e0f4c62d9a291aa8bc398774e3fefd32",
];

/// Test words that, as a whole segment of a generic value, say it is a
/// stand-in (`test-api-key-123`, `sk-synthetic-...`).
const TEST_WORDS: &[&str] = &[
    "test",
    "testing",
    "tests",
    "dummy",
    "fake",
    "example",
    "sample",
    "mock",
    "mocked",
    "synthetic",
    "invalid",
    "insecure",
    "demo",
    "placeholder",
    "foo",
    "bar",
    "baz",
    "changeme",
    "password",
    "secret",
    "notreal",
    "fixture",
    "static",
    "rotating",
    "exchanged",
];

/// Why `secret` looks like a sample rather than a working credential
/// (reported at low confidence), or `None`. `generic`: the value came from
/// a provider-neutral rule, whose values are judged by their words too.
pub fn looks_like_sample(secret: &[u8], generic: bool) -> Option<&'static str> {
    let digest = |b: &[u8]| {
        use sha2::Digest;
        let d = sha2::Sha256::digest(b);
        d.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    if DOCUMENTED_SAMPLES.contains(&digest(secret).as_str())
        || secret
            .split(|&b| b == b'.')
            .any(|seg| seg.len() >= 16 && DOCUMENTED_SAMPLES.contains(&digest(seg).as_str()))
    {
        return Some("a value the vendor publishes as a documentation sample");
    }
    if !generic {
        return None;
    }
    let segments: Vec<&[u8]> = secret
        .split(|b| matches!(b, b'-' | b'_' | b'.'))
        .filter(|s| !s.is_empty())
        .collect();
    let test_word = segments.iter().any(|s| {
        let lower = s.to_ascii_lowercase();
        TEST_WORDS.iter().any(|w| lower == w.as_bytes())
    });
    if test_word {
        return Some("the value names itself a test or sample value");
    }
    // `correct_master_key_123!`: a trailing `!` or `?` is decoration.
    let segments: Vec<&[u8]> = segments
        .iter()
        .map(|s| {
            let end = s
                .iter()
                .rposition(|b| !matches!(b, b'!' | b'?'))
                .map_or(0, |p| p + 1);
            &s[..end]
        })
        .filter(|s| !s.is_empty())
        .collect();
    let words_and_counter = segments.len() >= 2
        && segments.iter().all(|s| {
            s.iter().all(u8::is_ascii_alphabetic)
                || (s.len() <= 4 && s.iter().all(u8::is_ascii_digit))
        })
        && segments
            .iter()
            .any(|s| s.len() >= 3 && s.iter().all(u8::is_ascii_alphabetic));
    if words_and_counter {
        return Some("dictionary words and a counter, not a random token");
    }
    None
}

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode_jwt_claims;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    #[test]
    fn provider_doc_placeholders_are_placeholders() {
        for p in [
            "YOUR_API_KEY",
            "your-api-key-here",
            "sk-live-your-key-here",
            "sk_live_abc123...",
            "sk-live-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "<your-session-token>",
            "<your-key>",
            "${API_KEY}",
            "process.env.API_KEY",
            "os.environ['X']",
            "AKIAIOSFODNN7EXAMPLE",
            "aaaaaaaaaaaa",
            "abababababab",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn random_keys_are_not_placeholders() {
        for k in [
            concat!("sk_live_", "Zq7vR2mK9xLp3TnW8cYb5HdJ"),
            concat!("ghp_", "R4nd0mL00k1ngT0k3nV4lu3Zq9w8e7r6t5y"),
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn",
        ] {
            assert!(!is_placeholder(k.as_bytes()), "{k}");
        }
    }

    #[test]
    fn default_passwords() {
        for p in [
            "changeme",
            "Password",
            "P@ssw0rd1",
            "admin123",
            "password1!",
            "s3cr3t",
            "12345678",
            "Welcome1",
            "root",
            "hunter2",
        ] {
            assert!(is_default_password(p.as_bytes()), "{p}");
        }
        for p in [
            "Zq7vR2mK9xLp",
            "correct-horse-battery",
            "admin1234567",
            "tr0ub4dor&3",
        ] {
            assert!(!is_default_password(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn password_equal_to_the_user_name() {
        for (line, pw) in [
            ("user=app password=app", "app"),
            ("  username: deploy\n", "deploy"),
            ("DB_USER=billing DB_PASSWORD=billing", "billing"),
            ("machine host.net login bob password bob", "bob"),
            ("psexec \\\\srv -u svc -p svc cmd", "svc"),
            ("curl -u 'ci-bot:ci-bot' https://x.net", "ci-bot"),
            ("Server=db1;User Id=Orders;Password=orders;", "orders"),
            (
                "<username>maven</username><password>maven</password>",
                "maven",
            ),
        ] {
            assert!(
                password_is_user_name(line.as_bytes(), pw.as_bytes()),
                "{line}"
            );
        }
        for (line, pw) in [
            ("user=app password=Zq7vR2mK9x", "Zq7vR2mK9x"),
            ("password=app2", "app2"),
            ("curl -u 'ci-bot:Zq7v@R2$mK9' https://x.net", "Zq7v@R2$mK9"),
        ] {
            assert!(
                !password_is_user_name(line.as_bytes(), pw.as_bytes()),
                "{line}"
            );
        }
    }

    #[test]
    fn entropy_orders_values() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"q8Zr2LmX0pW7vN4k") > 3.5);
    }

    #[test]
    fn jwt_decoding_needs_json_header_and_payload() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let p = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","iat":1700000000}"#);
        let good = format!("sk-live-{h}.{p}.c2ln");
        let claims = decode_jwt_claims(good.as_bytes()).unwrap();
        assert_eq!(claims["sub"], "u1");
        let not_json = format!("sk-live-{h}.bm90IGpzb24.c2ln");
        assert!(decode_jwt_claims(not_json.as_bytes()).is_none());
        assert!(decode_jwt_claims(b"sk-live-eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...").is_none());
    }
}
