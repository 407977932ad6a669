//! Example generators for rule files.
//!
//! Rule examples must look like real keys, yet a repository that commits
//! key-shaped literals trips every push-protection scanner (ours included).
//! So examples may write `{{alnum:24}}` instead of 24 literal characters; the
//! text is expanded deterministically (seeded by the caller) when examples run.
//!
//! Generators: `alnum`, `lower` (a-z0-9), `upper` (A-Z0-9), `hex`, `HEX`,
//! `digits`, `base64`, `base64url`, each with a length (`{{hex:40}}`), and
//! `{{jwt}}`, an HS256-shaped JWT with a JSON payload and a random signature,
//! and `{{basicauth}}`, base64 of a random `user:password`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const HEX_UP: &[u8] = b"0123456789ABCDEF";
const DIGITS: &[u8] = b"0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// SplitMix64: a tiny deterministic generator, so that examples expand the
/// same way on every machine and every run.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Self {
        // FNV-1a over the seed text.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// Expand every `{{...}}` generator in `text`. `seed` makes the output
/// deterministic (use the rule id and the example's index).
pub fn expand(text: &str, seed: &str) -> Result<String, String> {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "unclosed `{{` generator".to_string())?;
        let spec = &after[..close];
        if is_generator_shaped(spec) {
            out.push_str(&generate(spec, &mut rng)?);
        } else {
            // Not ours (e.g. a GitHub Actions `${{ secrets.X }}` expression): keep it.
            out.push_str(&rest[open..open + 2 + close + 2]);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `name` or `name:N` with an alphanumeric name: a generator (or a typo of
/// one, which is an error rather than silently literal text).
fn is_generator_shaped(spec: &str) -> bool {
    let (name, len) = spec.split_once(':').unwrap_or((spec, "0"));
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
        && !len.is_empty()
        && len.bytes().all(|b| b.is_ascii_digit())
}

fn generate(spec: &str, rng: &mut Rng) -> Result<String, String> {
    if spec == "basicauth" {
        // HTTP basic credentials: base64 of `user:password`.
        let pair = format!("svc_{}:{}", rng.pick(LOWER, 6), rng.pick(ALNUM, 16));
        return Ok(base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
    }
    if spec == "jwt" {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = format!(
            r#"{{"sub":"user_{}","jti":"{}","iat":{}}}"#,
            rng.pick(DIGITS, 6),
            rng.pick(HEX, 16),
            1_700_000_000 + rng.next() % 50_000_000
        );
        let payload = URL_SAFE_NO_PAD.encode(payload.as_bytes());
        let sig = rng.pick(B64URL, 43);
        return Ok(format!("{header}.{payload}.{sig}"));
    }
    let (kind, len) = spec.split_once(':').ok_or_else(|| {
        format!("generator `{{{{{spec}}}}}` needs a length, e.g. `{{{{alnum:24}}}}`")
    })?;
    let n: usize = len
        .parse()
        .ok()
        .filter(|n| (1..=4096).contains(n))
        .ok_or_else(|| format!("generator `{spec}`: length must be 1..4096"))?;
    let alphabet = match kind {
        "alnum" => ALNUM,
        "lower" => LOWER,
        "upper" => UPPER,
        "hex" => HEX,
        "HEX" => HEX_UP,
        "digits" => DIGITS,
        "base64" => B64,
        "base64url" => B64URL,
        _ => return Err(format!("unknown generator `{kind}`")),
    };
    Ok(rng.pick(alphabet, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_deterministically() {
        let a = expand("key_{{hex:8}}_{{alnum:4}}", "s").unwrap();
        assert_eq!(a, expand("key_{{hex:8}}_{{alnum:4}}", "s").unwrap());
        assert_ne!(a, expand("key_{{hex:8}}_{{alnum:4}}", "t").unwrap());
        assert_eq!(a.len(), "key_".len() + 8 + 1 + 4);
        assert!(a[4..12].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn jwt_payload_is_json() {
        let t = expand("{{jwt}}", "x").unwrap();
        let parts: Vec<_> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert!(v.get("iat").is_some());
    }

    #[test]
    fn leaves_foreign_braces_alone() {
        let t = "KEY=${{ secrets.API_KEY }} {{ .Values.key }}";
        assert_eq!(expand(t, "").unwrap(), t);
    }

    #[test]
    fn rejects_bad_generators() {
        assert!(expand("{{alnum}}", "").is_err());
        assert!(expand("{{nope:3}}", "").is_err());
        assert!(expand("{{alnum:3", "").is_err());
        assert!(expand("{{alnum:0}}", "").is_err());
        assert!(expand("{{alnun:8}}", "").is_err());
    }
}
