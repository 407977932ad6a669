//! Path conventions the lints rely on: which files are tests, which config
//! belongs to which environment, which JavaScript ships to browsers. They
//! follow the layouts of the common ecosystems (npm, Python, Go, Ruby, Java,
//! .NET, Rust) and are deliberately conservative: a path that matches no
//! convention is not guessed at.

/// Deployment environments a config file can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Environment {
    /// development, dev, local
    Development,
    /// test, testing, qa, ci
    Test,
    /// staging, stage, stg, preprod, uat
    Staging,
    /// production, prod, prd, live
    Production,
}

impl Environment {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

fn env_word(word: &str) -> Option<Environment> {
    Some(match word {
        "development" | "dev" | "develop" | "local" => Environment::Development,
        "test" | "testing" | "qa" | "ci" => Environment::Test,
        "staging" | "stage" | "stg" | "preprod" | "uat" => Environment::Staging,
        "production" | "prod" | "prd" | "live" => Environment::Production,
        _ => return None,
    })
}

const CONFIG_EXTENSIONS: &[&str] = &[
    "yml",
    "yaml",
    "json",
    "toml",
    "ini",
    "cfg",
    "conf",
    "properties",
    "env",
    "tfvars",
    "xml",
];

/// The environment a config file is for, from its name or directory:
/// `.env.production`, `prod.env`, `config/staging.yml`, `appsettings.Production.json`,
/// `values-prod.yaml`, `environments/dev/terraform.tfvars`. `None` for files
/// that are not config or name no environment.
pub fn environment_of(path: &str) -> Option<Environment> {
    let lower = path.to_ascii_lowercase();
    let (dir, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    let is_dotenv = super::is_env_file(name) || name.starts_with(".env");
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if !is_dotenv && !CONFIG_EXTENSIONS.contains(&ext) {
        return None;
    }
    // Words of the file name (without its extension), then of its directories.
    let stem = if is_dotenv {
        name
    } else {
        name.rsplit_once('.').map_or(name, |(s, _)| s)
    };
    let split = |s: &str| -> Option<Environment> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .find_map(env_word)
    };
    split(stem).or_else(|| dir.rsplit('/').find_map(split))
}

/// True for test code and fixtures: `test/`, `tests/`, `__tests__/`, `spec/`,
/// `fixtures/`, `testdata/` directories, and `*_test.go`, `test_*.py`,
/// `*_test.py`, `*.test.js`, `*.spec.ts`, `*Test.java`, `*Tests.cs`,
/// `*_spec.rb`, `conftest.py` files.
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    let test_dir = dirs.split('/').any(|d| {
        matches!(
            d,
            "test"
                | "tests"
                | "__tests__"
                | "spec"
                | "specs"
                | "fixtures"
                | "__fixtures__"
                | "testdata"
                | "test-data"
                | "test_data"
                | "__mocks__"
                | "e2e"
        )
    });
    let stem = name.split('.').next().unwrap_or(name);
    let original = path.rsplit('/').next().unwrap_or(path);
    let original_stem = original.split('.').next().unwrap_or(original);
    test_dir
        || name == "conftest.py"
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || name.contains(".test.")
        || name.contains(".spec.")
        || original_stem.ends_with("Test")
        || original_stem.ends_with("Tests")
}

/// True for JavaScript that bundlers ship to browsers: `*.min.js` anywhere,
/// and `.js`/`.mjs`/`.cjs` files under `public/`, `static/`, `dist/`, `build/`,
/// `out/`, `.next/static/` or `www/`.
pub fn is_client_bundle(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".min.js") {
        return true;
    }
    let js = [".js", ".mjs", ".cjs"].iter().any(|e| lower.ends_with(e));
    js && lower.split('/').rev().skip(1).any(|d| {
        matches!(
            d,
            "public" | "static" | "dist" | "build" | "out" | "www" | "assets"
        )
    })
}

/// Environment-variable prefixes that bundlers inline into browser code.
pub const CLIENT_PREFIXES: &[&str] = &[
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
    "PUBLIC_",
];

/// The browser-shipped variable a secret is assigned to on its line, judged
/// from the text before the secret (`NEXT_PUBLIC_STRIPE_KEY=`,
/// `VITE_API_KEY: "`, `process.env.REACT_APP_TOKEN ?? '`).
pub fn client_variable(before_secret: &str) -> Option<String> {
    // The last identifier on the line before the value.
    let trimmed = before_secret.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '=' | ':' | '(' | ',')
    });
    let ident: String = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    CLIENT_PREFIXES
        .iter()
        .any(|p| ident.starts_with(p))
        .then_some(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments() {
        assert_eq!(
            environment_of(".env.production"),
            Some(Environment::Production)
        );
        assert_eq!(
            environment_of("app/.env.development"),
            Some(Environment::Development)
        );
        assert_eq!(
            environment_of("config/staging.yml"),
            Some(Environment::Staging)
        );
        assert_eq!(
            environment_of("config/production.yml"),
            Some(Environment::Production)
        );
        assert_eq!(
            environment_of("appsettings.Production.json"),
            Some(Environment::Production)
        );
        assert_eq!(
            environment_of("helm/values-prod.yaml"),
            Some(Environment::Production)
        );
        assert_eq!(
            environment_of("envs/dev/terraform.tfvars"),
            Some(Environment::Development)
        );
        assert_eq!(environment_of("prod.env"), Some(Environment::Production));
        assert_eq!(environment_of("src/production.rs"), None);
        assert_eq!(environment_of("config/app.yml"), None);
        assert_eq!(environment_of(".env"), None);
    }

    #[test]
    fn test_paths() {
        for p in [
            "tests/test_api.py",
            "src/__tests__/pay.js",
            "pay_test.go",
            "test_pay.py",
            "pay.test.ts",
            "pay.spec.js",
            "src/test/java/PayTest.java",
            "PayTests.cs",
            "spec/pay_spec.rb",
            "fixtures/keys.json",
            "conftest.py",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/pay.py",
            "contest.py",
            "latest/app.js",
            "src/attestation.rs",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }

    #[test]
    fn client_bundles_and_variables() {
        assert!(is_client_bundle("public/app.js"));
        assert!(is_client_bundle("vendor/lib.min.js"));
        assert!(is_client_bundle("web/dist/assets/index-abc.js"));
        assert!(!is_client_bundle("src/server.js"));
        assert!(!is_client_bundle("dist/app.css"));
        assert_eq!(
            client_variable("NEXT_PUBLIC_STRIPE_KEY="),
            Some("NEXT_PUBLIC_STRIPE_KEY".into())
        );
        assert_eq!(
            client_variable("  VITE_API_KEY: \""),
            Some("VITE_API_KEY".into())
        );
        assert_eq!(client_variable("STRIPE_KEY="), None);
        assert_eq!(client_variable("MY_PUBLIC_KEY="), None);
    }
}
