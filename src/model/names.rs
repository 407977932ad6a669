//! Names of files that hold settings: which dotenv files are real ones and
//! which are templates meant to be committed. Sources (history tracks when
//! `.env` files were first committed) and lints both ask.

/// Template suffixes: `.env.example` and friends hold variable names for
/// people to copy, not values.
const TEMPLATE_SUFFIXES: &[&str] = &[
    ".example",
    ".sample",
    ".template",
    ".dist",
    ".tmpl",
    ".defaults",
];

/// True for dotenv files that hold real settings: `.env`, `.env.local`,
/// `.env.production`, `.env.<anything>` and `*.env`, but not templates such as
/// `.env.example`, `.env.sample`, `.env.template` or `.env.dist`.
pub fn is_env_file(file_name: &str) -> bool {
    is_dotenv_name(file_name) && !is_template(file_name)
}

/// Any dotenv-style name, templates included.
pub fn is_dotenv_name(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower == ".env" || lower.starts_with(".env.") || (lower.ends_with(".env") && lower.len() > 4)
}

/// `.env.example`, `.env.sample`, `config.example` and other templates.
pub fn is_template(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    TEMPLATE_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// Documentation: Markdown, reStructuredText, AsciiDoc, anything under
/// docs/, examples/, tutorials/ and the like, and files named as examples
/// (`example.py`, `config_sample.yaml`).
pub fn is_docs_like(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "md" | "mdx" | "rst" | "adoc" | "asciidoc" | "markdown") {
        return true;
    }
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = name.split('.').next().unwrap_or(name);
    if stem
        .split(['_', '-'])
        .any(|w| matches!(w, "example" | "examples" | "sample" | "samples" | "demo"))
    {
        return true;
    }
    lower.split('/').rev().skip(1).any(|dir| {
        matches!(
            dir,
            "docs"
                | "doc"
                | "docs_src"
                | "documentation"
                | "examples"
                | "example"
                | "samples"
                | "sample"
                | "tutorial"
                | "tutorials"
                | "demo"
                | "demos"
                | "site"
        )
    })
}

/// A parser's message with every quoted fragment (`` `x` `` or `"x"`) that
/// is not a plain lowercase key name replaced by `…`: parse errors can quote
/// the offending value, and the value may be a secret from the file.
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['`', '"', '\'']) {
        let q = rest[i..].chars().next().unwrap_or('"');
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find(q) {
            Some(j) => {
                let inner = &after[..j];
                // A grammar token the parser expected (`"`, `=`) says
                // nothing about the file's content either.
                let token = inner.len() == 1 && inner.chars().all(|c| c.is_ascii_punctuation());
                let key_like = token
                    || !inner.is_empty()
                        && inner.len() <= 30
                        && inner
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '-' | '.'));
                out.push(q);
                out.push_str(if key_like { inner } else { "…" });
                out.push(q);
                rest = &after[j + 1..];
            }
            None => {
                out.push(q);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    // Control characters never reach a terminal from here.
    out.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The rule of a binary key container by its file name: PKCS#12 (`.p12`,
/// `.pfx`), Java keystores (`.jks`, `.keystore`), KeePass databases
/// (`.kdbx`), and SSH private key files named as ssh-keygen names them.
pub fn key_container_rule(path: &str) -> Option<&'static str> {
    let name = base_name(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    match ext {
        Some("p12" | "pfx") => Some("pkcs12-file"),
        Some("jks" | "keystore") => Some("java-keystore-file"),
        Some("kdbx") => Some("keepass-database-file"),
        _ if matches!(
            name.as_str(),
            "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
        ) =>
        {
            Some("ssh-private-key-file")
        }
        _ => None,
    }
}

/// The last component of a `/`-separated path.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A git path (bytes) as reports show it. Valid UTF-8 is kept as is, except
/// that a backslash is doubled; each byte that is not valid UTF-8 becomes
/// `\xNN`. The mapping is one to one, so two files whose names differ only
/// in invalid bytes stay two paths (and two findings).
pub fn display_path_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if is_bidi(c) {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32));
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Unicode controls that reorder displayed text (U+202A-U+202E,
/// U+2066-U+2069, the marks U+200E, U+200F and U+061C): a name holding
/// U+202E shows `txt.exe` as `exe.txt`. Paths show them escaped.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True when `text` holds a bidirectional control character.
pub fn has_bidi(text: &str) -> bool {
    text.chars().any(is_bidi)
}

/// `text` with bidirectional controls escaped (`\u{202E}`), as paths show them.
pub fn without_bidi(text: &str) -> String {
    if !has_bidi(text) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if is_bidi(c) {
                format!("\\u{{{:04X}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_in_paths_are_escaped() {
        let name = "invoice\u{202E}txt.exe";
        assert_eq!(
            display_path_bytes(name.as_bytes()),
            "invoice\\u{202E}txt.exe"
        );
        assert_eq!(without_bidi(name), "invoice\\u{202E}txt.exe");
        assert_eq!(without_bidi("plain"), "plain");
    }

    #[test]
    fn quoted_values_leave_messages() {
        assert_eq!(
            without_quoted_values("unknown variant `sk_live_Zq7vR2mK9xLp`, expected `low`"),
            "unknown variant `…`, expected `low`"
        );
        assert_eq!(
            without_quoted_values("invalid type: string \"hunter2-Secret\", expected a boolean"),
            "invalid type: string \"…\", expected a boolean"
        );
        assert_eq!(
            without_quoted_values("unknown field `fail_onn`"),
            "unknown field `fail_onn`"
        );
    }

    #[test]
    fn env_file_names() {
        for yes in [".env", ".env.local", ".env.production", "prod.env", ".ENV"] {
            assert!(is_env_file(yes), "{yes}");
        }
        for no in [
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            "env",
            ".envrc",
            "main.rs",
            ".env.local.example",
        ] {
            assert!(!is_env_file(no), "{no}");
        }
    }

    #[test]
    fn non_utf8_paths_stay_distinct() {
        assert_eq!(display_path_bytes(b"src/a.py"), "src/a.py");
        assert_eq!(display_path_bytes(b"a\xff.py"), "a\\xFF.py");
        assert_eq!(display_path_bytes(b"a\xfe.py"), "a\\xFE.py");
        assert_ne!(display_path_bytes(b"a\xff"), display_path_bytes(b"a\\xFF"));
        assert_eq!(display_path_bytes("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }
}
