//! How a private key is shown redacted: its type, and where it can be
//! derived without any secret part, its public key's SSH fingerprint
//! (`SHA256:...`, what `ssh-keygen -lf` prints), so a reader can tell which
//! key leaked and find it in `authorized_keys` or a provider's key list.
//!
//! The public half is read from the block itself: OpenSSH private keys
//! carry their public key in the clear; PKCS#1 and PKCS#8 RSA keys carry the
//! modulus and exponent. Nothing secret is derived or shown. Cost: one
//! base64 decode and a few DER headers.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};

/// `RSA private key, SHA256:...` for a PEM or OpenSSH block; `None` for
/// anything else.
pub fn describe_private_key(block: &str) -> Option<String> {
    let header = block.trim_start().strip_prefix("-----BEGIN ")?;
    let label = header.split("-----").next()?.trim();
    if !label.contains("PRIVATE KEY") {
        return None;
    }
    let kind = match label {
        "OPENSSH PRIVATE KEY" => "OpenSSH private key",
        "RSA PRIVATE KEY" => "RSA private key",
        "EC PRIVATE KEY" => "EC private key",
        "DSA PRIVATE KEY" => "DSA private key",
        "ENCRYPTED PRIVATE KEY" => "encrypted private key",
        "PGP PRIVATE KEY BLOCK" => "PGP private key",
        "PRIVATE KEY" => "private key (PKCS#8)",
        _ => "private key",
    };
    let body: String = block
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD.decode(body.as_bytes()).ok();
    let blob = der.as_deref().and_then(|d| match label {
        "OPENSSH PRIVATE KEY" => openssh_public(d),
        "RSA PRIVATE KEY" => pkcs1_public(d),
        "PRIVATE KEY" => pkcs8_rsa_public(d),
        _ => None,
    });
    Some(match blob {
        Some(b) => format!(
            "{kind}, public key SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&b))
        ),
        None => kind.to_string(),
    })
}

/// The public key blob of an `openssh-key-v1` private key.
fn openssh_public(d: &[u8]) -> Option<Vec<u8>> {
    let rest = d.strip_prefix(b"openssh-key-v1\0")?;
    let (_, rest) = ssh_string(rest)?; // cipher
    let (_, rest) = ssh_string(rest)?; // kdf
    let (_, rest) = ssh_string(rest)?; // kdf options
    let n = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    if n == 0 {
        return None;
    }
    let (public, _) = ssh_string(&rest[4..])?;
    Some(public.to_vec())
}

fn ssh_string(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(d.get(..4)?.try_into().ok()?) as usize;
    let body = d.get(4..4 + len)?;
    Some((body, &d[4 + len..]))
}

/// One DER element: (tag, contents, rest).
fn der(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *d.first()?;
    let first = *d.get(1)?;
    let (len, head) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for &b in d.get(2..2 + n)? {
            len = (len << 8) | usize::from(b);
        }
        (len, 2 + n)
    };
    let body = d.get(head..head.checked_add(len)?)?;
    Some((tag, body, &d[head + len..]))
}

/// `ssh-rsa` public blob from a PKCS#1 RSAPrivateKey (version, n, e, ...).
fn pkcs1_public(d: &[u8]) -> Option<Vec<u8>> {
    let (0x30, seq, _) = der(d)? else { return None };
    let (0x02, _version, rest) = der(seq)? else {
        return None;
    };
    let (0x02, n, rest) = der(rest)? else {
        return None;
    };
    let (0x02, e, _) = der(rest)? else {
        return None;
    };
    let mut blob = Vec::new();
    for part in [&b"ssh-rsa"[..], e, n] {
        blob.extend((part.len() as u32).to_be_bytes());
        blob.extend(part);
    }
    Some(blob)
}

/// PKCS#8 PrivateKeyInfo holding an RSA key (OID 1.2.840.113549.1.1.1).
fn pkcs8_rsa_public(d: &[u8]) -> Option<Vec<u8>> {
    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, seq, _) = der(d)? else { return None };
    let (0x02, _version, rest) = der(seq)? else {
        return None;
    };
    let (0x30, alg, rest) = der(rest)? else {
        return None;
    };
    let (0x06, oid, _) = der(alg)? else {
        return None;
    };
    if oid != RSA_OID {
        return None;
    }
    let (0x04, key, _) = der(rest)? else {
        return None;
    };
    pkcs1_public(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PKCS#1 RSA key built here (small numbers, not a usable key): the
    /// fingerprint is of the ssh-rsa blob of its n and e.
    #[test]
    fn rsa_keys_show_their_public_fingerprint() {
        let int = |v: &[u8]| {
            let mut out = vec![0x02, v.len() as u8];
            out.extend(v);
            out
        };
        let mut seq = Vec::new();
        seq.extend(int(&[0]));
        seq.extend(int(&[0x00, 0xc3, 0x11, 0x27, 0x55]));
        seq.extend(int(&[0x01, 0x00, 0x01]));
        seq.extend(int(&[0x42]));
        let mut d = vec![0x30, seq.len() as u8];
        d.extend(seq);
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----", // keysweep:allow synthetic test value
            STANDARD.encode(&d)
        );
        let text = describe_private_key(&pem).unwrap();
        let mut blob = Vec::new();
        for part in [
            &b"ssh-rsa"[..],
            &[0x01, 0x00, 0x01],
            &[0x00, 0xc3, 0x11, 0x27, 0x55],
        ] {
            blob.extend((part.len() as u32).to_be_bytes());
            blob.extend(part);
        }
        let want = format!(
            "RSA private key, public key SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&blob))
        );
        assert_eq!(text, want);
    }

    #[test]
    fn openssh_keys_carry_their_public_key() {
        let s = |b: &[u8]| {
            let mut out = (b.len() as u32).to_be_bytes().to_vec();
            out.extend(b);
            out
        };
        let public = s(b"ssh-ed25519");
        let mut d = b"openssh-key-v1\0".to_vec();
        d.extend(s(b"none"));
        d.extend(s(b"none"));
        d.extend(s(b""));
        d.extend(1u32.to_be_bytes());
        d.extend(s(&public));
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            STANDARD.encode(&d)
        );
        let text = describe_private_key(&pem).unwrap();
        assert!(
            text.starts_with("OpenSSH private key, public key SHA256:"),
            "{text}"
        );
        assert_eq!(
            describe_private_key(
                "-----BEGIN EC PRIVATE KEY-----\ngarbage\n-----END EC PRIVATE KEY-----"
            )
            .unwrap(),
            "EC private key"
        );
        assert!(describe_private_key("sk_live_x").is_none());
    }
}
