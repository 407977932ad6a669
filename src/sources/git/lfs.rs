//! Git LFS pointer files, recognised by the spec (git-lfs `docs/spec.md`)
//! and nothing looser: a pointer's content lives on the LFS server, so the
//! file is listed as skipped, but three pointer-shaped lines at the top of
//! a larger file must not hide the rest of it from every git gate.

/// Largest Git LFS pointer file (the spec: "pointer files must be less
/// than 1024 bytes in size").
const LFS_POINTER_MAX: usize = 1024;

/// True when `raw` is exactly a Git LFS pointer as the spec defines it
/// (git-lfs `docs/spec.md`): under 1024 bytes of UTF-8 `key value` lines,
/// each ending in LF; `version https://git-lfs.github.com/spec/v1` first,
/// then the other keys in sorted order, each once, lowercase letters,
/// digits, `.` and `-` only; `oid sha256:` and 64 lowercase hex digits and
/// `size` and a decimal number both present. Anything else, such as a
/// pointer's three lines followed by more content, is scanned as text.
pub(super) fn is_lfs_pointer(raw: &[u8]) -> bool {
    if raw.len() >= LFS_POINTER_MAX || !raw.ends_with(b"\n") {
        return false;
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    let mut lines = text[..text.len() - 1].split('\n');
    if lines.next() != Some("version https://git-lfs.github.com/spec/v1") {
        return false;
    }
    let (mut oid, mut size, mut last_key) = (false, false, "");
    for line in lines {
        let Some((key, value)) = line.split_once(' ') else {
            return false;
        };
        let key_ok = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !key_ok || key <= last_key || key == "version" || value.is_empty() {
            return false;
        }
        last_key = key;
        match key {
            "oid" => {
                let Some(hex) = value.strip_prefix("sha256:") else {
                    return false;
                };
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return false;
                }
                oid = true;
            }
            "size" => {
                if value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                size = true;
            }
            _ if value.contains('\r') => return false,
            _ => {}
        }
    }
    oid && size
}

#[cfg(test)]
mod tests {
    use super::is_lfs_pointer;

    const OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    fn pointer(extra: &str) -> String {
        format!("version https://git-lfs.github.com/spec/v1\n{extra}oid sha256:{OID}\nsize 12345\n")
    }

    #[test]
    fn lfs_pointers_follow_the_spec() {
        assert!(is_lfs_pointer(pointer("").as_bytes()));
        // Extensions sort before `oid`.
        assert!(is_lfs_pointer(
            pointer(&format!("ext-0-foo sha256:{OID}\n")).as_bytes()
        ));
        // A pointer's three lines followed by anything else is not a pointer.
        let mut hiding = pointer("");
        hiding.push_str("API_KEY=not-hidden\n");
        assert!(!is_lfs_pointer(hiding.as_bytes()));
        let long = format!("{}{}", pointer(""), "x ".repeat(600));
        assert!(!is_lfs_pointer(long.as_bytes()));
        // Wrong order, a missing key, a bad oid, no final newline, CRLF.
        let swapped =
            format!("version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:{OID}\n");
        assert!(!is_lfs_pointer(swapped.as_bytes()));
        assert!(!is_lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\nsize 1\n"
        ));
        assert!(!is_lfs_pointer(
            pointer("").replace(&OID[..4], "ZZZZ").as_bytes()
        ));
        assert!(!is_lfs_pointer(pointer("").trim_end().as_bytes()));
        assert!(!is_lfs_pointer(
            pointer("").replace('\n', "\r\n").as_bytes()
        ));
    }
}
