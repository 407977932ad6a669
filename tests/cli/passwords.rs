//! Passwords, a family of their own (`rules/passwords.toml` and the
//! password-shaped rules around it): one test per syntax family, each with
//! positives generated at test time and their harmless twins, through the
//! real binary. Every test checks the exit code, the rule, path, line and
//! confidence of each finding, and that no password is printed whole (in
//! text, JSON or SARIF).

use super::{key, keysweep, report_json, write};
use tempfile::TempDir;

/// One expected finding: rule id, path, line, confidence.
type Want = (&'static str, &'static str, u64, &'static str);

/// A random-looking password from `seed`, with symbols a real one has.
fn pw(seed: &str) -> String {
    format!("{}#{}", key("{{alnum:10}}", seed), key("{{alnum:5}}", seed))
}

/// A plain alphanumeric password from `seed` (for syntaxes that stop at
/// punctuation, such as key=value strings).
fn pw_plain(seed: &str) -> String {
    key("{{alnum:16}}", seed)
}

fn tree(files: &[(&str, String)]) -> TempDir {
    let t = TempDir::new().unwrap();
    for (p, c) in files {
        write(t.path(), p, c);
    }
    t
}

/// Scan `files` and check: the findings at `--confidence low` are exactly
/// `want` (in any order); the exit code at the default confidence is 1
/// when one of them is medium or high, else 0; none of `secrets` is printed
/// whole in any report format.
fn expect(files: &[(&str, String)], secrets: &[&str], want: &[Want]) {
    let t = tree(files);
    let run = |args: &[&str]| {
        keysweep()
            .current_dir(t.path())
            .args(["scan", "."])
            .args(args)
            .output()
            .unwrap()
    };
    let low = run(&["--format", "json", "--confidence", "low"]);
    assert!(
        matches!(low.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&low.stderr)
    );
    let doc = report_json(&low.stdout);
    let got: Vec<(String, String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut got = got;
    got.sort();
    let mut want_owned: Vec<(String, String, u64, String)> = want
        .iter()
        .map(|(r, p, l, c)| (r.to_string(), p.to_string(), *l, c.to_string()))
        .collect();
    want_owned.sort();
    assert_eq!(got, want_owned, "findings at --confidence low");

    let text = run(&[]);
    let shown = want.iter().any(|w| w.3 != "low");
    assert_eq!(
        text.status.code(),
        Some(i32::from(shown)),
        "exit code at the default confidence: {}",
        String::from_utf8_lossy(&text.stdout)
    );
    let sarif = run(&["--format", "sarif", "--confidence", "low"]);
    for out in [&low, &text, &sarif] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in secrets {
            assert!(!all.contains(s), "the password {s} was printed:\n{all}");
        }
    }
}

/// The secret keysweep reports for the only finding in `files`, with
/// `--show-secrets` (to prove a value is captured whole).
fn captured(files: &[(&str, String)]) -> Vec<String> {
    let t = tree(files);
    let out = keysweep()
        .current_dir(t.path())
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--confidence",
            "low",
            "--show-secrets",
        ])
        .output()
        .unwrap();
    let doc = report_json(&out.stdout);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn assignments_in_code() {
    let p: Vec<String> = (0..12).map(|i| pw(&format!("code{i}"))).collect();
    let files = [
        ("src/db.py", format!("DB_PASSWORD = \"{}\"\n", p[0])),
        (
            "src/api.py",
            format!("client = Client(\n    user=\"svc\",\n    password='{}',\n)\n", p[1]),
        ),
        (
            "web/config.js",
            format!("const config = {{ password: \"{}\" }};\n", p[2]),
        ),
        ("web/db.ts", format!("export const dbPassword = `{}`;\n", p[3])),
        (
            "cmd/main.go",
            format!("func main() {{\n\tpassword := \"{}\"\n}}\n", p[4]),
        ),
        (
            "src/Db.java",
            format!(
                "class Db {{\n  private String password = \"{}\";\n  void init() {{ ds.setPassword(\"{}\"); }}\n}}\n",
                p[5], p[6]
            ),
        ),
        ("app/Db.kt", format!("val adminPassword = \"{}\"\n", p[7])),
        ("lib/db.rb", format!("DB = {{\n  password: \"{}\",\n}}\n", p[8])),
        (
            "config/db.php",
            format!("<?php\nreturn [\n    'password' => '{}',\n];\n", p[9]),
        ),
        (
            "wp-config.php",
            format!("<?php\ndefine( 'DB_PASSWORD', '{}' );\n", p[10]),
        ),
        (
            "infra/main.tf",
            format!(
                "resource \"aws_db_instance\" \"db\" {{\n  master_password = \"{}\"\n}}\n",
                p[11]
            ),
        ),
    ];
    let secrets: Vec<&str> = p.iter().map(String::as_str).collect();
    let m = "medium";
    expect(
        &files,
        &secrets,
        &[
            ("password-assignment", "src/db.py", 1, m),
            ("password-assignment", "src/api.py", 3, m),
            ("password-assignment", "web/config.js", 1, m),
            ("password-assignment", "web/db.ts", 1, m),
            ("password-assignment", "cmd/main.go", 2, m),
            ("password-assignment", "src/Db.java", 2, m),
            ("password-assignment", "src/Db.java", 3, m),
            ("password-assignment", "app/Db.kt", 1, m),
            ("password-assignment", "lib/db.rb", 2, m),
            ("password-assignment", "config/db.php", 3, m),
            ("password-assignment", "wp-config.php", 2, m),
            ("password-assignment", "infra/main.tf", 2, m),
        ],
    );
}

/// The harmless twins of the code assignments: expressions, types,
/// parameters, comparisons, form fields, constants, references.
#[test]
fn code_that_only_names_passwords() {
    let files = [
        (
            "src/auth.py",
            [
                "password = get_password()",
                "password: str",
                "def login(user, password):",
                "    if password == confirm_password:",
                "        pass",
                "password_field = forms.CharField(widget=forms.PasswordInput)",
                "PASSWORD_MIN_LENGTH = 8",
                "password_hash = make_password(raw)",
                "reset_password_url = reverse('password_reset')",
                "password = os.environ[\"DB_PASSWORD\"]",
                "password = os.getenv(\"DB_PASSWORD\", \"\")",
                "password = config.password",
                "password = \"%(db_password)s\" % values",
                "password = \"changeme\"",
                "password = \"P@ssw0rd1\"",
                "fields = ('username', 'password', 'first_name')",
            ]
            .join("\n"),
        ),
        (
            "web/login.ts",
            [
                "const password = process.env.DB_PASSWORD;",
                "function login(password: string) {}",
                "if (password === confirmPassword) {}",
                "const labels = { \"password\": \"Password\" };",
                "user.password = await hash(password);",
            ]
            .join("\n"),
        ),
        (
            "cmd/main.go",
            "\tpassword := os.Getenv(\"DB_PASSWORD\")\n\tpassword := cfg.Password\n".into(),
        ),
        (
            "src/Db.java",
            "ds.setPassword(getPassword());\nprivate String password = config.password;\nchar[] password = \"changeit\".toCharArray();\n"
                .into(),
        ),
        (
            "lib/db.rb",
            "  password: ENV['DB_PASSWORD'],\n  password: ENV.fetch('DB_PASSWORD'),\n".into(),
        ),
        (
            "config/db.php",
            "    'password' => env('DB_PASSWORD'),\ndefine( 'DB_PASSWORD', getenv('WP_DB_PASSWORD') );\n"
                .into(),
        ),
        (
            "infra/main.tf",
            "  password = var.db_password\n  admin_password = random_password.admin.result\n"
                .into(),
        ),
        (
            "templates/login.html",
            "<form><input type=\"password\" name=\"password\" placeholder=\"Password\" autocomplete=\"current-password\"></form>\n"
                .into(),
        ),
        (
            "docs/security.md",
            "Choose a password: it must have twelve characters or more.\nThe password_hash column stores a bcrypt hash.\n"
                .into(),
        ),
    ];
    expect(&files, &[], &[]);
}

#[test]
fn configuration_files() {
    let p: Vec<String> = (0..10).map(|i| pw(&format!("conf{i}"))).collect();
    let files = [
        (
            "config/app.yaml",
            format!("db:\n  user: app\n  password: {}\n", p[0]),
        ),
        (
            "config/app.json",
            format!("{{\n  \"user\": \"app\",\n  \"password\": \"{}\"\n}}\n", p[1]),
        ),
        ("config/app.toml", format!("[db]\npassword = \"{}\"\n", p[2])),
        ("config/app.ini", format!("[db]\npassword = {}\n", p[3])),
        (
            "src/main/resources/application.properties",
            format!("spring.datasource.password={}\n", p[4]),
        ),
        (".env.production", format!("DB_HOST=db.corp.net\nDB_PASSWORD={}\n", p[5])),
        (
            "settings.xml",
            format!(
                "<settings><servers><server>\n  <id>releases</id>\n  <username>deployer</username>\n  <password>{}</password>\n</server></servers></settings>\n",
                p[6]
            ),
        ),
        (
            "conf/mail.xml",
            format!("<smtp host=\"smtp.corp.net\" user=\"mailer\" password=\"{}\"/>\n", p[7]),
        ),
        (
            "NuGet.Config",
            format!(
                "<configuration><packageSourceCredentials><corp>\n  <add key=\"Username\" value=\"ci\" />\n  <add key=\"ClearTextPassword\" value=\"{}\" />\n</corp></packageSourceCredentials></configuration>\n",
                p[8]
            ),
        ),
        ("gradle.properties", format!("ossrhUsername=ci\nossrhPassword={}\n", p[9])),
    ];
    let secrets: Vec<&str> = p.iter().map(String::as_str).collect();
    let m = "medium";
    expect(
        &files,
        &secrets,
        &[
            ("password-assignment", "config/app.yaml", 3, m),
            ("password-assignment", "config/app.json", 3, m),
            ("password-assignment", "config/app.toml", 2, m),
            ("password-assignment", "config/app.ini", 2, m),
            (
                "password-assignment",
                "src/main/resources/application.properties",
                1,
                m,
            ),
            ("password-assignment", ".env.production", 2, m),
            ("password-xml-element", "settings.xml", 4, m),
            ("password-assignment", "conf/mail.xml", 1, m),
            ("password-nuget-cleartext", "NuGet.Config", 3, m),
            ("password-assignment", "gradle.properties", 2, m),
        ],
    );
}

/// Configuration twins: references, templates, masks, defaults, labels,
/// a password equal to its user name.
#[test]
fn configuration_placeholders() {
    let files = [
        (
            "config/app.yaml",
            [
                "password: ${DB_PASSWORD}",
                "password: \"{{ db_password }}\"",
                "password: <your-password>",
                "password: \"********\"",
                "password: xxxxxxxx",
                "password: changeme",
                "password: \"\"",
                "password: !vault |",
                "user: deploy",
                "password: deploy",
            ]
            .join("\n"),
        ),
        (
            "locales/en.json",
            "{\n  \"password\": \"Password\",\n  \"confirm_password\": \"Confirm password\"\n}\n"
                .into(),
        ),
        (
            "src/main/resources/application.properties",
            "spring.datasource.password=${DB_PASSWORD}\n".into(),
        ),
        (".env", "DB_PASSWORD=$(cat /run/secrets/db)\n".into()),
        (
            "settings.xml",
            "<server><password>${env.MAVEN_PASSWORD}</password></server>\n<server><password>{COQLCE6DU6GtcS5P=}</password></server>\n"
                .into(),
        ),
        (
            "NuGet.Config",
            "<add key=\"ClearTextPassword\" value=\"%NUGET_PAT%\" />\n".into(),
        ),
    ];
    expect(&files, &[], &[]);
}

#[test]
fn connection_strings() {
    let (remote, local, ado) = (pw_plain("odbc1"), pw_plain("odbc2"), pw_plain("ado"));
    let files = [
        (
            "etl/load.py",
            format!(
                "conn = pyodbc.connect(\"DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=sql01.corp.net;UID=etl;PWD={remote};\")\n"
            ),
        ),
        (
            "appsettings.Development.json",
            format!("{{\"Db\": \"Server=localhost;User Id=app;Password={local};\"}}\n"),
        ),
        (
            "appsettings.json",
            format!("{{\"Db\": \"Server=sql02.corp.net;Database=Crm;User Id=crm;Password={ado};\"}}\n"),
        ),
        (
            "appsettings.Staging.json",
            "{\"Db\": \"Server=sql03.corp.net;User Id=crm;Pwd=${CRM_PASSWORD};\"}\n".into(),
        ),
    ];
    expect(
        &files,
        &[&remote, &local, &ado],
        &[
            ("password-connection-string", "etl/load.py", 1, "medium"),
            (
                "connection-string-adonet-password",
                "appsettings.Development.json",
                1,
                "low",
            ),
            (
                "connection-string-adonet-password",
                "appsettings.json",
                1,
                "medium",
            ),
        ],
    );
}

#[test]
fn netrc_and_ansible() {
    let (a, b, c) = (pw("netrc"), pw("ans1"), pw("ans2"));
    let files = [
        (
            ".netrc",
            format!("machine git.corp.net\n  login ci-bot\n  password {a}\nmachine ftp.corp.net login anonymous password anonymous\n"),
        ),
        (
            "group_vars/windows.yml",
            format!("ansible_user: Administrator\nansible_password: \"{b}\"\nansible_become_pass: {c}\nvault_pass: \"{{{{ vault_become }}}}\"\n"),
        ),
    ];
    expect(
        &files,
        &[&a, &b, &c],
        &[
            ("password-netrc", ".netrc", 3, "medium"),
            ("password-assignment", "group_vars/windows.yml", 2, "medium"),
            ("password-assignment", "group_vars/windows.yml", 3, "medium"),
        ],
    );
}

#[test]
fn command_lines() {
    let p: Vec<String> = (0..7).map(|i| pw_plain(&format!("cli{i}"))).collect();
    let files = [
        (
            "deploy/vcenter.ps1",
            format!(
                "Connect-VIServer -Server vc01.corp.net -User administrator@vsphere.local -Password '{}'\n$pw = ConvertTo-SecureString '{}' -AsPlainText -Force\nNew-ADUser -Name svc -Password $pw\n",
                p[0], p[1]
            ),
        ),
        (
            "deploy/run.bat",
            format!("psexec \\\\fileserver01 -u CORP\\svc_admin -p {} cmd.exe\n", p[2]),
        ),
        (
            "deploy/backup.sh",
            format!(
                "mysql -h db.corp.net -u report -p{} sales < report.sql\nmysqldump --user=backup --password={} --all-databases > all.sql\nsshpass -p {} ssh deploy@10.0.4.12 uptime\nmysql -h db.corp.net -u report -p sales\nsshpass -p \"$SSHPASS\" ssh deploy@10.0.4.12\n",
                p[3], p[4], p[5]
            ),
        ),
        (
            "deploy/local.sh",
            format!("mysql -h 127.0.0.1 -u root -p{} app\n", p[6]),
        ),
    ];
    let secrets: Vec<&str> = p.iter().map(String::as_str).collect();
    let m = "medium";
    expect(
        &files,
        &secrets,
        &[
            ("password-command-line", "deploy/vcenter.ps1", 1, m),
            (
                "password-powershell-securestring",
                "deploy/vcenter.ps1",
                2,
                m,
            ),
            ("password-command-line", "deploy/run.bat", 1, m),
            ("password-command-line", "deploy/backup.sh", 1, m),
            ("password-command-line", "deploy/backup.sh", 2, m),
            ("password-command-line", "deploy/backup.sh", 3, m),
            ("password-command-line", "deploy/local.sh", 1, "low"),
        ],
    );
}

#[test]
fn docker_config_auth_entries() {
    let (a, b) = (key("{{basicauth}}", "reg1"), key("{{basicauth}}", "reg2"));
    let files = [
        (
            ".docker/config.json",
            format!(
                "{{\n  \"auths\": {{\n    \"ghcr.io\": {{\n      \"auth\": \"{a}\"\n    }},\n    \"registry.corp.net:5000\": {{\n      \"auth\": \"{b}\"\n    }}\n  }}\n}}\n"
            ),
        ),
        (
            "ci/config.json",
            format!(
                "{{\"auths\": {{\"ghcr.io\": {{}}}}, \"credsStore\": \"desktop\", \"x\": {{\"auth\": \"{}\"}}}}\n",
                key("{{base64:40}}", "notbasic")
            ),
        ),
    ];
    expect(
        &files,
        &[&a, &b],
        &[
            ("docker-config-auth", ".docker/config.json", 4, "high"),
            ("docker-config-auth", ".docker/config.json", 7, "high"),
        ],
    );
}

/// Regression: the curl rule stopped at `@` and `$`, so a quoted
/// `user:password` with symbols was missed (or cut short).
#[test]
fn curl_user_password_with_symbols_is_captured_whole() {
    let secret = format!(
        "{}@{}$word!#",
        key("{{alnum:8}}", "curl1"),
        key("{{alnum:3}}", "curl2")
    );
    let files = [(
        "scripts/status.sh",
        format!(
            "curl -u 'deploy:{secret}' https://nexus.corp.net/service/rest/v1/status\ncurl -u \"deploy:${{DEPLOY_PASSWORD}}\" https://nexus.corp.net/\ncurl -u 'deploy:deploy' https://nexus.corp.net/\n"
        ),
    )];
    expect(
        &files,
        &[&secret],
        &[("curl-user-password", "scripts/status.sh", 1, "medium")],
    );
    assert_eq!(captured(&files), vec![secret]);
}

#[test]
fn authorization_headers() {
    let (token, basic) = (key("{{hex:40}}", "drf"), key("{{basicauth}}", "hdr"));
    let files = [
        (
            "scripts/items.sh",
            format!(
                "curl -H \"Authorization: Token {token}\" https://api.vendor-data.net/v1/items/\ncurl -H \"Authorization: Basic {basic}\" https://api.vendor-data.net/v1/items/\ncurl -H \"Authorization: Token $API_TOKEN\" https://api.vendor-data.net/v1/items/\n"
            ),
        ),
        (
            "src/client.py",
            "headers = {'Authorization': f'Token {token}'}\n".into(),
        ),
    ];
    expect(
        &files,
        &[&token, &basic],
        &[
            ("generic-token-header", "scripts/items.sh", 1, "medium"),
            ("http-basic-auth", "scripts/items.sh", 2, "medium"),
        ],
    );
}

#[test]
fn framework_secret_keys() {
    let django = format!(
        "{}!@#$%^&*(-_=+){}",
        key("{{alnum:20}}", "dj1"),
        key("{{lower:20}}", "dj2")
    );
    let rails = key("{{hex:128}}", "rails");
    let files = [
        (
            "mysite/settings.py",
            format!("DEBUG = False\nSECRET_KEY = '{django}'\n"),
        ),
        (
            "config/secrets.yml",
            format!("production:\n  secret_key_base: {rails}\n"),
        ),
        (
            "other/settings.py",
            "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']\n".into(),
        ),
        (
            "config/secrets.production.yml",
            "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n".into(),
        ),
    ];
    expect(
        &files,
        &[&django, &rails],
        &[
            ("django-secret-key", "mysite/settings.py", 2, "medium"),
            ("rails-secret-key-base", "config/secrets.yml", 2, "medium"),
        ],
    );
}

/// Where a password sits decides how sure keysweep is: medium in code and
/// configuration, low in tests and docs, for a local host, or copied into
/// three files.
#[test]
fn confidence_by_place_and_host() {
    let (a, b, c, d, e) = (
        pw("place1"),
        pw("place2"),
        pw("place3"),
        pw("place4"),
        pw("place5"),
    );
    let files = [
        ("config/prod.yaml", format!("password: {a}\n")),
        ("tests/test_login.py", format!("PASSWORD = \"{b}\"\n")),
        (
            "docs/setup.md",
            format!("Set `password: {c}` in the file.\n"),
        ),
        (
            "config/local.yaml",
            format!("host: localhost\ndsn: \"host: localhost password: {d}\"\n"),
        ),
        ("a/one.env", format!("DB_PASSWORD={e}\n")),
        ("b/two.env", format!("DB_PASSWORD={e}\n")),
        ("c/three.env", format!("DB_PASSWORD={e}\n")),
    ];
    expect(
        &files,
        &[&a, &b, &c, &d, &e],
        &[
            ("password-assignment", "config/prod.yaml", 1, "medium"),
            ("password-assignment", "tests/test_login.py", 1, "low"),
            ("password-assignment", "docs/setup.md", 1, "low"),
            ("password-assignment", "config/local.yaml", 2, "low"),
            ("password-assignment", "a/one.env", 1, "low"),
            ("password-assignment", "b/two.env", 1, "low"),
            ("password-assignment", "c/three.env", 1, "low"),
        ],
    );
}
