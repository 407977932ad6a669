//! Key-hygiene lints: findings about how keys are kept, not about one key.
//!
//! Lints are code, but their metadata (id, name, severity, description) lives
//! with every other rule in `rules/lints.toml` (`lint = true`), so they are
//! listed, selected and disabled like any rule and appear in every report.
//! This module holds what several stages share about them.

/// Rule id: a `.env` file was committed at some point in history.
pub const ENV_FILE_IN_HISTORY: &str = "env-file-in-history";

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
    let lower = file_name.to_ascii_lowercase();
    let dotenv = lower == ".env"
        || lower.starts_with(".env.")
        || (lower.ends_with(".env") && lower.len() > 4);
    dotenv && !TEMPLATE_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::is_env_file;

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
}
