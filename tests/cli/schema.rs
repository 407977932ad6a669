//! The JSON report's schema (`schema/report-v1.json`): README's field table
//! and the schema name the same fields with the same types; the schema is
//! strict (every keysweep object closed, every property described); and the
//! reports of every mode validate against it, with every field the schema
//! names, and every value its enums list, seen in at least one of them.

use crate::{git, key, keysweep, live_key, report_json, said, write};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tempfile::TempDir;

/// One field of the report as the schema describes it.
#[derive(Debug, Default)]
struct Field {
    /// The type as README's table writes it (`string or null`, `array of object`).
    ty: String,
    /// The values an `enum` or `const` allows (empty: any).
    values: BTreeSet<String>,
    /// Its description.
    description: String,
}

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report-v1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `node` and the definitions its `$ref`s lead to, the node itself first.
fn chain<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let mut out = vec![node];
    let mut at = node;
    while let Some(r) = at["$ref"].as_str() {
        let pointer = r.strip_prefix('#').expect("only local references");
        at = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling {r}"));
        out.push(at);
    }
    out
}

/// The first value of keyword `k` along `node`'s chain.
fn first<'a>(root: &'a Value, node: &'a Value, k: &str) -> Option<&'a Value> {
    chain(root, node).into_iter().find_map(|n| n.get(k))
}

/// The type as README writes it.
fn render(root: &Value, node: &Value) -> String {
    let ty = first(root, node, "type").unwrap_or_else(|| panic!("no type: {node}"));
    let types: Vec<&str> = match ty {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().map(|t| t.as_str().unwrap()).collect(),
        _ => panic!("bad type {ty}"),
    };
    let items = first(root, node, "items");
    types
        .iter()
        .map(|t| match (*t, items) {
            ("array", Some(items)) => format!("array of {}", render(root, items)),
            (t, _) => t.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The object shapes a schema node allows: the node and its `oneOf` branches.
fn shapes<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    for n in chain(root, node) {
        out.push(n);
        for b in n["oneOf"].as_array().into_iter().flatten() {
            out.extend(chain(root, b));
        }
    }
    out
}

/// Every field under `prefix`, by dotted path (`findings[].provenance.kind`;
/// a map's values are `name.*`).
fn walk(root: &Value, node: &Value, prefix: &str, out: &mut BTreeMap<String, Field>) {
    let join = |k: &str| match prefix {
        "" => k.to_string(),
        p => format!("{p}.{k}"),
    };
    for shape in shapes(root, node) {
        let mut children: Vec<(String, &Value)> = Vec::new();
        if let Some(props) = shape["properties"].as_object() {
            assert_eq!(
                shape.get("additionalProperties"),
                Some(&Value::Bool(false)),
                "{prefix}: an object keysweep defines must be closed"
            );
            for r in shape["required"].as_array().into_iter().flatten() {
                assert!(props.contains_key(r.as_str().unwrap()), "{prefix}: {r}");
            }
            children.extend(props.iter().map(|(k, v)| (join(k), v)));
        }
        if let Some(map) = shape.get("additionalProperties").filter(|v| v.is_object()) {
            children.push((join("*"), map));
        }
        for (path, child) in children {
            let f = out.entry(path.clone()).or_default();
            let ty = render(root, child);
            assert!(f.ty.is_empty() || f.ty == ty, "{path}: {} vs {ty}", f.ty);
            f.ty = ty;
            for n in chain(root, child) {
                let vals = n["enum"].as_array().cloned().unwrap_or_default();
                for v in vals.iter().chain(n.get("const")) {
                    f.values.insert(text(v));
                }
            }
            let d = first(root, child, "description").and_then(Value::as_str);
            f.description = d.unwrap_or_else(|| panic!("{path}: no description")).into();
            match first(root, child, "items") {
                Some(items) => walk(root, items, &format!("{path}[]"), out),
                None => walk(root, child, &path, out),
            }
        }
    }
}

fn fields() -> BTreeMap<String, Field> {
    let root = schema();
    let mut out = BTreeMap::new();
    walk(&root, &root, "", &mut out);
    out
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// README's field table: (field, type, meaning) per row of the table in
/// "## Report formats".
fn readme_rows() -> Vec<(String, String, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("\n## Report formats\n").expect("the section") + 1;
    let rest = &readme[start..];
    let section = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)];
    section
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .replace("\\|", "\u{0}")
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect();
            assert_eq!(cells.len(), 3, "{l}");
            (
                cells[0].trim_matches('`').to_string(),
                cells[1].clone(),
                cells[2].clone(),
            )
        })
        .collect()
}

#[test]
fn readme_field_table_matches_the_schema() {
    let fields = fields();
    let rows = readme_rows();
    let mut table = BTreeMap::new();
    for (field, ty, meaning) in &rows {
        assert!(!meaning.is_empty(), "README: `{field}` has no meaning");
        assert!(
            table.insert(field.clone(), ty.clone()).is_none(),
            "README lists `{field}` twice"
        );
    }
    let missing: Vec<&String> = fields.keys().filter(|k| !table.contains_key(*k)).collect();
    let extra: Vec<&String> = table.keys().filter(|k| !fields.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README's field table and schema/report-v1.json disagree:\n  in the schema only: {missing:?}\n  in README only: {extra:?}"
    );
    for (path, f) in &fields {
        assert_eq!(table[path], f.ty, "README's type of `{path}`");
        assert!(!f.description.is_empty(), "{path}");
    }
    // The walk saw the nested shapes, not just the top level.
    for path in [
        "findings[].provenance.commit",
        "findings[].key_info.claims.jti",
        "findings[].verification.status",
        "summary.skipped[].size",
        "summary.suppressed.*",
        "summary.incomplete[].object",
    ] {
        assert!(fields.contains_key(path), "{path}");
    }
}

/// Where `doc` has a value: every path holding something other than null,
/// an empty array or an empty object, and the (path, value) of enum fields.
fn observe(
    fields: &BTreeMap<String, Field>,
    v: &Value,
    prefix: &str,
    seen: &mut BTreeSet<String>,
    values: &mut BTreeSet<(String, String)>,
) {
    let Some(obj) = v.as_object() else { return };
    let join = |k: &str| match prefix {
        "" => k.to_string(),
        p => format!("{p}.{k}"),
    };
    let map = fields.contains_key(&join("*"));
    for (k, x) in obj {
        let path = join(if map { "*" } else { k });
        let empty = x.is_null()
            || x.as_array().is_some_and(Vec::is_empty)
            || x.as_object().is_some_and(serde_json::Map::is_empty);
        if !empty {
            seen.insert(path.clone());
        }
        if fields.get(&path).is_some_and(|f| !f.values.is_empty()) {
            values.insert((path.clone(), text(x)));
        }
        match x {
            Value::Array(items) => {
                for item in items {
                    observe(fields, item, &format!("{path}[]"), seen, values);
                }
            }
            Value::Object(_) => observe(fields, x, &path, seen, values),
            _ => {}
        }
    }
}

/// Run keysweep in `dir`; its (validated) JSON report. Exit 2 is allowed:
/// an incomplete history still writes its report.
fn run(dir: &Path, args: &[&str]) -> Value {
    let out = keysweep()
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{args:?}: {}",
        said(&out)
    );
    report_json(&out.stdout)
}

/// An `sk-live-` JWT key whose payload has every claim `key_info` reports.
fn jwt_key_with_every_claim() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(
        r#"{"sub":"user_7","user_id":"u7","uid":7,"jti":"key_42","iss":"inferex","iat":1740823200,"exp":1898589600}"#,
    );
    let sig = key("{{base64url:43}}", "schema-jwt");
    format!("sk-live-{header}.{payload}.{sig}")
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A working tree with a finding of every kind and a file skipped for
/// each reason a tree scan has.
fn tree_reports() -> Vec<Value> {
    use base64::Engine;
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, ".gitignore", "*.log\n");
    write(d, "debug.log", "ignored, untracked\n");
    write(
        d,
        ".env",
        format!("STRIPE_KEY={}\n", live_key("schema-env")),
    );
    write(d, "keys.txt", format!("{}\n", live_key("schema-bare")));
    write(
        d,
        "tests/test_pay.py",
        format!("K = '{}'\n", live_key("schema-t")),
    );
    let test_key = key("sk_test_{{alnum:24}}", "schema-prod");
    write(
        d,
        "config/production.yml",
        format!("stripe_key: {test_key}\n"),
    );
    let generic = key("{{alnum:40}}", "schema-generic");
    write(d, "env.sh", format!("export API_KEY=\"{generic}\"\n"));
    let allowed = live_key("schema-allow");
    write(d, "ok.py", format!("K = '{allowed}'  # keysweep:allow\n"));
    let jwt = jwt_key_with_every_claim();
    write(
        d,
        "client.py",
        format!("client = OpenAI(api_key=\"{jwt}\")\n"),
    );
    let pair = format!(
        "aws_access_key_id={}\naws_secret_access_key={}\n",
        key("AKIA{{upper:16}}", "schema-aws"),
        key("{{alnum:40}}", "schema-aws")
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
    write(d, "k8s/secret.yaml", format!("data:\n  creds: {b64}\n"));
    let mut p12 = vec![0x30, 0x82, 0x04, 0x01, 0x00];
    p12.extend(0..200u8);
    write(
        d,
        "bundle.zip",
        zip_of(&[("config/.env", pair.as_bytes()), ("app.p12", &p12)]),
    );
    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend([0u8; 64]);
    write(d, "broken.zip", broken);
    write(
        d,
        "settings.py",
        "DATABASE_URL = \"postgres://app:testpassword@db.example-corp.net/app\"\n",
    );
    write(d, "logo.png", b"\x89PNG\0\0\0binary");
    write(d, "big.txt", "z".repeat(4096));
    std::os::unix::fs::symlink(".env", d.join("link.env")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let mut docs = vec![
        run(d, &["scan", ".", "--max-file-size", "1K"]),
        run(d, &["scan", ".", "--confidence", "low", "--show-secrets"]),
    ];
    // A symlink loop, followed: unreadable.
    let l = TempDir::new().unwrap();
    std::os::unix::fs::symlink("l2", l.path().join("l1")).unwrap();
    std::os::unix::fs::symlink("l1", l.path().join("l2")).unwrap();
    docs.push(run(l.path(), &["scan", ".", "--follow"]));
    docs
}

/// A repository whose history has every provenance and skip reason history
/// has, read whole, by range, staged, shallow and with an object missing.
fn git_reports() -> Vec<Value> {
    let t = TempDir::new().unwrap();
    let d = t.path().join("repo");
    std::fs::create_dir(&d).unwrap();
    let d = d.as_path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "a.txt", "base\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    let base = git(d, &["rev-parse", "HEAD"]).trim().to_string();
    write(d, ".env", format!("STRIPE_KEY={}\n", live_key("schema-h1")));
    write(
        d,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12\n",
    );
    std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
    git(d, &["add", "-A"]);
    let sub = format!("160000,{base},vendor/sub");
    git(d, &["update-index", "--add", "--cacheinfo", &sub]);
    git(d, &["commit", "-q", "-m", "add keys"]);
    git(d, &["rm", "-q", "--cached", ".env"]);
    write(d, "app.py", format!("K = '{}'\n", live_key("schema-h2")));
    git(d, &["add", "app.py"]);
    git(d, &["commit", "-q", "-m", "untrack .env"]);
    let blob = git(d, &["rev-parse", "HEAD:a.txt"]);
    git(d, &["update-ref", "refs/odd/blob", blob.trim()]);
    let dangling = format!("K = '{}'\n", live_key("schema-dangling"));
    let hashed = std::process::Command::new("git")
        .current_dir(d)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(dangling.as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(hashed.success());
    let mut docs = vec![
        run(d, &["history", "--all-objects"]),
        run(d, &["history", "--range", "HEAD~1..HEAD"]),
    ];
    write(d, "staged.py", format!("K = '{}'\n", live_key("schema-s")));
    git(d, &["add", "staged.py"]);
    docs.push(run(d, &["staged"]));
    docs.push(run(d, &["pre-commit", "staged.py"]));
    let url = format!("file://{}", d.display());
    git(t.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    docs.push(run(&t.path().join("shallow"), &["history"]));
    // A loose object removed: the report lists it as incomplete.
    let lost = git(d, &["rev-parse", "HEAD:app.py"]).trim().to_string();
    std::fs::remove_file(d.join(".git/objects").join(&lost[..2]).join(&lost[2..])).unwrap();
    docs.push(run(d, &["history"]));
    docs
}

/// Findings a baseline, a config's allowlists, a repository config's
/// `disable` and an ignore file suppress.
fn suppressed_reports() -> Vec<Value> {
    let t = TempDir::new().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    for (i, p) in ["a.py", "b.py", "fixtures/c.py", "vendor/d.py"]
        .iter()
        .enumerate()
    {
        write(
            d,
            p,
            format!("K = '{}'\n", live_key(&format!("schema-sup{i}"))),
        );
    }
    let out = keysweep()
        .current_dir(d)
        .args(["scan", "a.py", "--write-baseline", "base.json", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    write(d, "cfg.toml", "[allow]\npaths = [\"fixtures/**\"]\n");
    write(d, "ignore.txt", "vendor/\n");
    let flags = ["--baseline", "base.json", "--ignore-file", "ignore.txt"];
    let mut with_config = vec!["scan", ".", "--config", "cfg.toml"];
    with_config.extend(flags);
    write(d, ".keysweep.toml", "disable = [\"stripe-secret-key\"]\n");
    // Two keys in one file over a cap of one: `summary.capped` filled in.
    let two: String = (0..2)
        .map(|i| format!("K{i} = '{}'\n", live_key(&format!("schema-cap{i}"))))
        .collect();
    write(d, "many.py", two);
    let capped = [
        "scan",
        "many.py",
        "--no-config",
        "--max-findings-per-file",
        "1",
    ];
    vec![
        run(d, &with_config),
        run(d, &["scan", "."]),
        run(d, &capped),
    ]
}

/// Test rules for `--verify`: one rule per mock answer, and a key shape two
/// providers share (ambiguous without context: sent nowhere).
fn verify_rules() -> String {
    let mut rules = String::new();
    for (i, _) in VERIFY_PATHS.iter().enumerate() {
        rules.push_str(&format!(
            r#"
[[rules]]
id = "v{i}-token"
name = "Verified token {i}"
description = "A token the mock provider answers for."
severity = "high"
keywords = ["v{i}tok_"]
regex = '\b(?P<secret>v{i}tok_[a-z0-9]{{20}})\b'
examples = ["v{i}tok_{{{{lower:20}}}}"]
[[rules.verify]]
provider = "acme"
url = "https://api.acme.invalid/v1/me"
headers = {{ Authorization = "Bearer {{secret}}" }}
code_path = "error.code"
answers = [
  {{ status = 200, result = "live" }},
  {{ status = 401, code = "invalid_api_key", result = "invalid" }},
  {{ status = 401, code = "api_key_expired", result = "expired" }},
  {{ status = 403, result = "revoked" }},
  {{ status = 404, result = "rate_limited" }},
]
"#
        ));
    }
    rules
        + &crate::verify::RULES[crate::verify::RULES
            .find("[[rules]]\nid = \"shared")
            .unwrap()..]
}

/// The mock's paths, one per rule of [`verify_rules`]; 500 is unknown.
const VERIFY_PATHS: [&str; 6] = [
    "/live", "/invalid", "/expired", "/revoked", "/nope", "/error",
];

fn verify_reports() -> Vec<Value> {
    let mock = crate::verify::Mock::start();
    let t = TempDir::new().unwrap();
    let d = t.path();
    write(d, "rules.toml", verify_rules());
    let mut args: Vec<String> = [
        "scan",
        ".",
        "--rules",
        "rules.toml",
        "--verify",
        "--exit-zero",
    ]
    .map(String::from)
    .to_vec();
    let mut env = String::new();
    for (i, path) in VERIFY_PATHS.iter().enumerate() {
        env.push_str(&format!(
            "T{i}={}\n",
            key(&format!("v{i}tok_{{{{lower:20}}}}"), "schema")
        ));
        args.extend(["--rule".into(), format!("v{i}-token")]);
        args.extend([
            "--verify-endpoint".into(),
            format!("v{i}-token={}", mock.url(path)),
        ]);
    }
    env.push_str(&format!("TOKEN={}\n", key("shr_{{lower:20}}", "schema")));
    args.extend(["--rule".into(), "shared-token".into()]);
    write(d, "a.env", env);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let doc = run(d, &args);
    let shared = key("shr_{{lower:20}}", "schema");
    let seen = mock.seen();
    assert!(seen.len() >= VERIFY_PATHS.len(), "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| !s.header("authorization").unwrap_or("").contains(&shared)),
        "an ambiguous key is sent nowhere"
    );
    vec![doc]
}

#[test]
fn every_field_and_value_appears_in_a_valid_report() {
    let fields = fields();
    let mut docs = tree_reports();
    docs.extend(git_reports());
    docs.extend(suppressed_reports());
    docs.extend(verify_reports());
    let (mut seen, mut values) = (BTreeSet::new(), BTreeSet::new());
    for doc in &docs {
        observe(&fields, doc, "", &mut seen, &mut values);
    }
    // Every field non-null (and non-empty) somewhere, so none of them is
    // documented without ever being checked against a real report.
    let unseen: Vec<&String> = fields.keys().filter(|p| !seen.contains(*p)).collect();
    assert!(unseen.is_empty(), "no report had a value at {unseen:?}");
    let mut missing = Vec::new();
    for (path, f) in &fields {
        for v in &f.values {
            if !values.contains(&(path.clone(), v.clone())) {
                missing.push((path.as_str(), v.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "values no report had: {missing:?}");
}
