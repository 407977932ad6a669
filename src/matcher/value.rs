//! Is the right-hand side a literal? Generic rules match any `api_key = X`,
//! and most such lines in real code are not secrets: `apiKey: this.apiKey`,
//! `api_key=api_key` (a keyword argument passed through), `client_secret:
//! SessionClientSecret` (a type), `jwt.encode(data, SECRET_KEY, algorithm)`
//! (an argument list). A generic match is kept only when its value is a
//! literal, judged by the token class of the right-hand side for the file's
//! language family, not by the regex alone:
//!
//! - code (Python, JS/TS, Go, Java, Ruby, C#, PHP, Rust, ...): a value
//!   counts only when it is a quoted string; a bare word is an expression;
//! - config and data (`.env`, shell, YAML, TOML, INI, properties, JSON,
//!   Markdown and other text): bare values are literals;
//! - everywhere: a value separated from its name by a comma must be quoted;
//!   a value that is an identifier (words in camel, snake or dotted case, no
//!   digits), has a single character class, repeats the variable's own
//!   name, or is itself an assignment (`a_key=b_key`) is not a secret.
//!
//! Cost: a few passes over the value and at most a few bytes before it.

/// The language family of a file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Source code: right-hand sides are expressions unless quoted.
    Code,
    /// Configuration, data, shell and text: bare values are literals.
    Config,
}

/// Extensions of languages whose bare right-hand sides are expressions.
const CODE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "go", "java", "kt", "kts",
    "scala", "groovy", "rb", "cs", "fs", "vb", "php", "rs", "swift", "m", "mm", "c", "h", "cc",
    "cpp", "cxx", "hpp", "dart", "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "clj", "vue",
    "svelte",
];

impl FileKind {
    /// The family of the file at `path` (by extension; no extension: config).
    pub fn of(path: &str) -> FileKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => {
                let ext = ext.to_ascii_lowercase();
                if CODE_EXTENSIONS.contains(&ext.as_str()) {
                    FileKind::Code
                } else {
                    FileKind::Config
                }
            }
            _ => FileKind::Config,
        }
    }
}

/// Why a generic match's value is not a literal secret, or `None` when it is.
pub fn not_a_literal(
    data: &[u8],
    span_start: usize,
    secret: std::ops::Range<usize>,
    kind: FileKind,
) -> Option<&'static str> {
    let value = &data[secret.clone()];
    let before = &data[span_start..secret.start];
    let quoted = before
        .last()
        .is_some_and(|&b| matches!(b, b'"' | b'\'' | b'`'));
    // Quoting only matters where the value is the right-hand side of an
    // assignment; a header value after `Bearer ` or a URL's `?key=` value
    // sits inside a string already.
    if assigned(before) {
        let separator = separator(before);
        if separator == Some(b',') && !quoted {
            return Some("an argument, not an assigned literal");
        }
        if kind == FileKind::Code && !quoted {
            return Some("an expression, not a quoted literal");
        }
    }
    if is_assignment(value) {
        return Some("an assignment, not a value");
    }
    if repeats_name(before, value) {
        return Some("the variable's own name");
    }
    if is_identifier(value) {
        return Some("an identifier, not a literal");
    }
    if char_classes(value) < 2 {
        return Some("a single character class");
    }
    None
}

/// True when the value directly follows an assignment operator (`=`, `:`,
/// `:=`, `=>`, `,`, quotes and spaces aside) whose name is not a URL query
/// parameter.
fn assigned(before: &[u8]) -> bool {
    let trimmed: &[u8] = {
        let mut end = before.len();
        while end > 0 && matches!(before[end - 1], b'"' | b'\'' | b'`' | b' ' | b'\t') {
            end -= 1;
        }
        // String prefixes such as f" or b' directly before the quote.
        let mut t = &before[..end];
        if end < before.len() {
            let letters = t
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
            if letters <= 3
                && t.len() > letters
                && matches!(
                    t[t.len() - letters - 1],
                    b'=' | b':' | b',' | b'>' | b' ' | b'('
                )
            {
                t = &t[..t.len() - letters];
                while t.last().is_some_and(|b| *b == b' ') {
                    t = &t[..t.len() - 1];
                }
            }
        }
        t
    };
    let Some(&op) = trimmed.last() else {
        return false;
    };
    if !matches!(op, b'=' | b':' | b',' | b'>') {
        return false;
    }
    // `?api_key=` / `&token=`: a URL parameter, part of a string.
    let head = &trimmed[..trimmed.len() - 1];
    let name_start = head
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))
        .map(|p| head[p]);
    !matches!(name_start, Some(b'?' | b'&'))
}

/// The operator between name and value: the last `=`, `:` or `,` before the
/// value (skipping quotes, spaces and string prefixes such as `f"`).
fn separator(before: &[u8]) -> Option<u8> {
    before
        .iter()
        .rev()
        .find(|&&b| matches!(b, b'=' | b':' | b',' | b'>'))
        .map(|&b| if b == b'>' { b'=' } else { b })
}

/// `admin_api_key=admin_api_key`: the "value" is another assignment.
fn is_assignment(value: &[u8]) -> bool {
    let Some(eq) = value.iter().position(|&b| b == b'=') else {
        return false;
    };
    let (name, rest) = (&value[..eq], &value[eq + 1..]);
    is_word(name)
        && rest
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
}

fn is_word(s: &[u8]) -> bool {
    !s.is_empty()
        && (s[0].is_ascii_alphabetic() || s[0] == b'_')
        && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// `api_key=api_key`, `token: token`: the value is the name it is assigned
/// to (a pass-through), compared without case and separators.
fn repeats_name(before: &[u8], value: &[u8]) -> bool {
    let norm = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    let v = norm(value);
    if v.is_empty() {
        return false;
    }
    // The name: the identifier run that ends where the separator starts.
    let cut = before
        .iter()
        .rposition(|&b| matches!(b, b'=' | b':' | b','))
        .unwrap_or(before.len());
    let head = &before[..cut];
    let start = head
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        .map_or(0, |p| p + 1);
    let name = norm(&head[start..]);
    !name.is_empty() && (name == v || name.ends_with(&v) || v.ends_with(&name))
}

/// Words in camel, snake, kebab or dotted case with no digit: a name, a type
/// or a member access (`APIKeyDeleteResponse`, `this.resolvedApiKey`,
/// `settings.SECRET_KEY`), never a random token.
pub fn is_identifier(value: &[u8]) -> bool {
    if value.iter().any(u8::is_ascii_digit) {
        return false;
    }
    if !value
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'))
    {
        return false;
    }
    let words = words(value);
    !words.is_empty() && words.iter().all(|w| w.len() >= 2)
}

/// Split on `_ . -` and on case changes (`APIKeyDelete` -> API, Key, Delete).
fn words(value: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for part in value.split(|b| matches!(b, b'_' | b'.' | b'-')) {
        if part.is_empty() {
            continue;
        }
        let mut start = 0;
        for i in 1..part.len() {
            let (prev, cur) = (part[i - 1], part[i]);
            let next_lower = part.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            // aB, or the last capital of a run before lowercase (APIKey).
            if (prev.is_ascii_lowercase() && cur.is_ascii_uppercase())
                || (prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower)
            {
                out.push(&part[start..i]);
                start = i;
            }
        }
        out.push(&part[start..]);
    }
    out
}

/// How many of lowercase, uppercase and digits the value uses.
pub fn char_classes(value: &[u8]) -> usize {
    [
        value.iter().any(u8::is_ascii_lowercase),
        value.iter().any(u8::is_ascii_uppercase),
        value.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&b| b)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run the classifier on `line`, whose value is the text after `=` or
    /// `:` (the first one), as the generic rule would capture it.
    fn judge(path: &str, line: &str, value: &str) -> Option<&'static str> {
        let start = line.find(value).expect("value in line");
        not_a_literal(
            line.as_bytes(),
            0,
            start..start + value.len(),
            FileKind::of(path),
        )
    }

    #[test]
    fn file_kinds() {
        assert_eq!(FileKind::of("src/app.py"), FileKind::Code);
        assert_eq!(FileKind::of("web/index.tsx"), FileKind::Code);
        assert_eq!(FileKind::of("cmd/main.go"), FileKind::Code);
        assert_eq!(FileKind::of("A.java"), FileKind::Code);
        assert_eq!(FileKind::of("lib/x.rb"), FileKind::Code);
        assert_eq!(FileKind::of("P.cs"), FileKind::Code);
        for config in [
            ".env",
            "prod.env",
            "config.yaml",
            "Cargo.toml",
            "app.ini",
            "run.sh",
            "README.md",
            "Dockerfile",
            "x.properties",
            "a.json",
        ] {
            assert_eq!(FileKind::of(config), FileKind::Config, "{config}");
        }
    }

    #[test]
    fn python() {
        assert!(judge(
            "a.py",
            r#"API_KEY = "q8Vn2LxW4pR7sK1mZ3tY""#, // keysweep:allow synthetic test value
            "q8Vn2LxW4pR7sK1mZ3tY"
        )
        .is_none());
        assert!(judge(
            "a.py",
            "client = Client(api_key=api_key, admin_api_key=admin_api_key)",
            "api_key, admin_api_key=admin_api_key"
        )
        .is_some());
        assert!(judge(
            "a.py",
            "    api_key=admin_api_key=admin_api_key",
            "admin_api_key=admin_api_key"
        )
        .is_some());
        assert!(judge(
            "a.py",
            "encoded = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)",
            "algorithm=ALGORITHM"
        )
        .is_some());
        assert!(judge(
            "a.py",
            "secret_key = settings.STRIPE_SECRET_KEY",
            "settings.STRIPE_SECRET_KEY"
        )
        .is_some());
        assert!(judge("a.py", "api_version=stripe_version", "stripe_version").is_some());
    }

    #[test]
    fn javascript_and_typescript() {
        assert!(judge(
            "a.ts",
            "apiKey: this.resolvedApiKey,",
            "this.resolvedApiKey"
        )
        .is_some());
        assert!(judge(
            "a.ts",
            "__resolvedApiKey: resolvedProvider,",
            "resolvedProvider"
        )
        .is_some());
        assert!(judge("a.ts", "api_key: credential,", "credential").is_some());
        assert!(judge(
            "a.ts",
            "['apiKey', 'adminAPIKey', 'workloadIdentity']",
            "workloadIdentity"
        )
        .is_some());
        assert!(judge(
            "a.ts",
            "import { APIKeyCreateParams, APIKeyDeleteResponse } from './keys';",
            "APIKeyDeleteResponse"
        )
        .is_some());
        assert!(judge(
            "a.js",
            "const apiKey = 'Zq7vR2mK9xLp3TnW8cYb';", // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "a.js",
            "const apiKey = `Zq7vR2mK9xLp3TnW8cYb`;", // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
    }

    #[test]
    fn go_java_ruby_csharp() {
        assert!(judge("a.go", "apiKey := cfg.APIKeyValue", "cfg.APIKeyValue").is_some());
        assert!(judge(
            "a.go",
            r#"apiKey := "Zq7vR2mK9xLp3TnW8cYb""#, // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "A.java",
            "String apiKey = properties.getApiKeyValue;",
            "properties.getApiKeyValue"
        )
        .is_some());
        assert!(judge(
            "a.rb",
            "api_key: ENV_FETCHED_KEY_VALUE,",
            "ENV_FETCHED_KEY_VALUE"
        )
        .is_some());
        assert!(judge(
            "a.rb",
            "api_key: 'Zq7vR2mK9xLp3TnW8cYb',", // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "A.cs",
            "ClientSecret = options.ClientSecretValue;",
            "options.ClientSecretValue"
        )
        .is_some());
    }

    #[test]
    fn header_and_url_values_sit_inside_strings() {
        assert!(judge(
            "a.js",
            "headers: { 'Authorization': 'Bearer Zq7vR2mK9xLp3TnW8cYb' },", // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "a.py",
            r#"url = "https://api.vendor.io/v1?api_key=Zq7vR2mK9xLp3TnW8cYb&q=1""#, // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        let call = r#"requests.get(url, headers={"X": f"Bearer {token}"}, api_key=f"Zq7vR2mK9xLp3TnW8cYb")"#; // keysweep:allow synthetic test value
        assert!(judge("a.py", call, "Zq7vR2mK9xLp3TnW8cYb").is_none());
    }

    #[test]
    fn config_families() {
        assert!(judge(
            ".env",
            "INFINITYBLUE_API_KEY=9f2c4e6a8b0d1f3e5a7c9b2d4f6a8c0e", // keysweep:allow synthetic test value
            "9f2c4e6a8b0d1f3e5a7c9b2d4f6a8c0e"
        )
        .is_none());
        assert!(judge(
            "c.yaml",
            "  api_key: Zq7vR2mK9xLp3TnW8cYb",
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "c.yaml",
            "  client_secret: SessionClientSecret",
            "SessionClientSecret"
        )
        .is_some());
        assert!(judge(
            "c.toml",
            r#"api_key = "Zq7vR2mK9xLp3TnW8cYb""#, // keysweep:allow synthetic test value
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge(
            "run.sh",
            "export API_KEY=Zq7vR2mK9xLp3TnW8cYb",
            "Zq7vR2mK9xLp3TnW8cYb"
        )
        .is_none());
        assert!(judge("run.sh", "export API_TOKEN=API_TOKEN", "API_TOKEN").is_some());
        assert!(judge(
            "CHANGELOG.md",
            "- `client_secret`: `SessionClientSecretParams`",
            "SessionClientSecretParams"
        )
        .is_some());
        assert!(judge(
            "README.md",
            "api_key: q8Vn2LxW4pR7sK1mZ3tY",
            "q8Vn2LxW4pR7sK1mZ3tY"
        )
        .is_none());
        assert!(judge(
            "a.properties",
            "app.api-key=abcdefghijklmnopqrst",
            "abcdefghijklmnopqrst"
        )
        .is_some());
    }

    #[test]
    fn words_split_like_names() {
        let w: Vec<&[u8]> = words(b"APIKeyDeleteResponse");
        assert_eq!(w, [&b"API"[..], b"Key", b"Delete", b"Response"]);
        assert!(is_identifier(b"this.resolvedApiKey"));
        assert!(
            !is_identifier(b"kQzTrXpLmWnBvCxZ"),
            "random mixed case is not a name"
        );
        assert!(!is_identifier(b"Zq7vR2mK9xLp3TnW"));
    }
}
