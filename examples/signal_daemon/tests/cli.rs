//! The daemon binary as an operator runs it: exit statuses, what it prints and logs, that it
//! never prints a key, and a deployment rehearsal against a local mock of Alpaca.

use std::path::Path;
use std::process::{Command, Output};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "PKREHEARSAL000000001";
const SECRET: &str = "rEhEaRsAlSeCrEt0123456789abcdefghijklmno";

/// The binary with a clean environment: no keys, URLs, log settings or webhook from the shell.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_signal-daemon"));
    for var in [
        "APCA_API_KEY_ID",
        "APCA_API_SECRET_KEY",
        "APCA_API_BASE_URL",
        "APCA_API_DATA_URL",
        "SIGNAL_LOG_FORMAT",
        "SIGNAL_EXECUTION_ENABLED",
        "DISCORD_WEBHOOK_URL",
        "RUST_LOG",
    ] {
        c.env_remove(var);
    }
    c
}

/// A config file in `dir` with `data_dir` there and `extra` laid over the defaults.
fn config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let file = dir.join("signal.toml");
    std::fs::write(
        &file,
        format!(
            "[paths]\ndata_dir = {:?}\n\n{extra}",
            dir.join("data").display().to_string()
        ),
    )
    .unwrap();
    file
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `--config cfg ARGS` with the variables `env` set: exit status, stdout, stderr.
fn run(cfg: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut c = bin();
    c.arg("--config").arg(cfg).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

/// [`run`] from a tokio test, whose mock server must keep running meanwhile.
async fn run_beside_mock(
    cfg: &Path,
    args: &'static [&'static str],
    env: Vec<(&'static str, String)>,
) -> (Option<i32>, String, String) {
    let cfg = cfg.to_owned();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(&cfg, args, &env)
    })
    .await
    .unwrap()
}

/// A short backtest on the sample data at log level info: it logs its entries and exits, and
/// needs no keys and no network.
fn daemon(out: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_signal-daemon"));
    c.args(["backtest", "--days", "5", "--out"])
        .arg(out)
        .env("RUST_LOG", "info")
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .env_remove("SIGNAL_LOG_FORMAT");
    c
}

#[test]
fn text_logs_carry_no_colour_codes_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let out = daemon(dir.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.is_empty(), "the command logs something at info");
    assert!(
        !err.contains('\u{1b}'),
        "escape codes in piped logs: {err:?}"
    );
    // The report says loudly that this was generated data, and the summary prints money.
    let html = std::fs::read_to_string(dir.path().join("daily/report.html")).unwrap();
    assert!(
        html.contains("class=\"banner\">Generated sample data"),
        "no banner"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("equity $100,000.00 -> $"), "{stdout}");
    assert!(stdout.contains("not annualised"), "{stdout}");
}

#[test]
fn version_is_printed() {
    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        text(&out).0.trim(),
        format!("signal-daemon {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn start_without_keys_fails_with_status_2_and_names_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let (code, stdout, stderr) = run(&cfg, &["start"], &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("APCA_API_KEY_ID and APCA_API_SECRET_KEY are not set"),
        "{stderr}"
    );
    assert!(stderr.contains("start --simulate"), "{stderr}");
    assert!(
        !dir.path().join("data/sim").exists(),
        "nothing was simulated"
    );
    // One key of the pair: still refused, naming the missing one.
    let (code, _, stderr) = run(&cfg, &["start"], &[("APCA_API_KEY_ID", KEY)]);
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("APCA_API_KEY_ID is set but APCA_API_SECRET_KEY is not"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "{stderr}");
}

#[test]
fn scan_without_keys_asks_for_them_or_for_sample_data() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let (code, _, stderr) = run(&cfg, &["scan"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("APCA_API_KEY_ID") && stderr.contains("--sample"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&cfg, &["scan", "--sample", "--timeframe", "1Day"], &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("minimum move 0.50%, minimum reward/risk 1.00 (generated sample data"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing placed"), "{stdout}");
    assert!(!stdout.contains("Some("), "no debug formatting: {stdout}");
}

#[test]
fn a_key_pasted_into_the_config_is_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    // A secret where the variable's name belongs.
    let cfg = config(
        dir.path(),
        &format!("[accounts.equity]\nsecret_key_env = \"{SECRET}\"\n"),
    );
    let (code, stdout, stderr) = run(&cfg, &["validate-config"], &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("accounts.equity.secret_key_env"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(SECRET) && !stdout.contains(SECRET),
        "{stderr}"
    );
    // A key on a line TOML cannot parse: the error gives the position, not the line.
    let cfg = config(
        dir.path(),
        &format!("[accounts.equity]\nkey_id_env = {KEY}\n"),
    );
    let (code, stdout, stderr) = run(&cfg, &["validate-config"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not valid TOML at line 5"), "{stderr}");
    assert!(!stderr.contains(KEY) && !stdout.contains(KEY), "{stderr}");
}

/// A local Alpaca: the account and the clock, checking the keys on every request; anything
/// else fails the test.
async fn mock_alpaca() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .mount(&s)
        .await;
    for (p, body) in [
        (
            "/v2/account",
            include_str!("../../../tests/fixtures/trading_get_account.json"),
        ),
        (
            "/v2/clock",
            include_str!("../../../tests/fixtures/trading_get_clock.json"),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("APCA-API-KEY-ID", KEY))
            .and(header("APCA-API-SECRET-KEY", SECRET))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .expect(2) // one per account
            .mount(&s)
            .await;
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_rehearses_a_deployment_against_a_local_mock() {
    let server = mock_alpaca().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let env = vec![
        ("APCA_API_KEY_ID", KEY.to_owned()),
        ("APCA_API_SECRET_KEY", SECRET.to_owned()),
        ("APCA_API_BASE_URL", server.uri()),
        ("APCA_API_DATA_URL", server.uri()),
    ];
    let (code, stdout, stderr) = run_beside_mock(&cfg, &["test"], env).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "equity (paper): trading {} (APCA_API_BASE_URL), data {} (APCA_API_DATA_URL)",
            server.uri(),
            server.uri()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("equity: ok, account ACTIVE, equity $103,820.56"),
        "{stdout}"
    );
    assert!(
        stdout.contains("alerts: no Discord webhook set"),
        "{stdout}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_echoing_the_secret_does_not_get_it_printed() {
    let server = MockServer::start().await;
    let echo = format!(
        "{{\"code\":40110000,\"message\":\"request is not authorized (APCA-API-SECRET-KEY: {SECRET})\"}}"
    );
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_raw(echo, "application/json"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let env = vec![
        ("APCA_API_KEY_ID", KEY.to_owned()),
        ("APCA_API_SECRET_KEY", SECRET.to_owned()),
        ("APCA_API_BASE_URL", server.uri()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    let (code, stdout, stderr) = run_beside_mock(&cfg, &["test"], env).await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("equity: ") && stdout.contains("401"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "the secret is printed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    for how in [&["--log-format", "json"][..], &[]] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = daemon(dir.path());
        if how.is_empty() {
            cmd.env("SIGNAL_LOG_FORMAT", "json");
        }
        let out = cmd.args(how).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert!(!lines.is_empty());
        for line in lines {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(
                v.get("level").is_some() && v.get("timestamp").is_some(),
                "{v}"
            );
        }
    }
}

#[test]
fn performance_reads_a_backtest_store_and_apply_proposal_needs_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = daemon(dir.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let store = dir.path().join("intraday/store.sqlite");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_signal-daemon"))
            .args(args)
            .env_remove("APCA_API_KEY_ID")
            .env_remove("APCA_API_SECRET_KEY")
            .output()
            .unwrap()
    };
    let out = run(&["performance", "--json", "--store", store.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let account = &v[store.display().to_string()];
    let signals = account["signals"].as_array().unwrap();
    let strategies = account["strategies"].as_object().unwrap();
    assert!(strategies.contains_key("momentum"), "{strategies:?}");
    for (name, s) in strategies {
        let mine = signals.iter().filter(|e| e["strategy"] == **name).count();
        assert_eq!(s["total"]["signals"], mine, "{name}");
    }
    let table = run(&["performance", "--store", store.to_str().unwrap()]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("strategy") && text.contains("momentum"),
        "{text}"
    );

    let refused = run(&["apply-proposal", "proposal.toml"]);
    assert!(!refused.status.success());
    let err = String::from_utf8(refused.stderr).unwrap();
    assert!(err.contains("--config"), "{err}");
}

/// launchd refuses a plist that is not well-formed XML, and a comment holding `--` is not (the
/// shipped agent once carried `cargo build --release` in its header).
#[test]
fn the_launchd_agent_is_well_formed_xml() {
    let plist =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/com.example.signal-daemon.plist");
    let text = std::fs::read_to_string(&plist).unwrap();
    let mut rest = text.as_str();
    let mut comments = 0;
    while let Some(start) = rest.find("<!--") {
        let after = &rest[start + 4..];
        let end = after.find("-->").expect("every comment is closed");
        let body = &after[..end];
        assert!(!body.contains("--"), "a comment holds `--`: {body}");
        assert!(!body.ends_with('-'), "a comment ends with `-`: {body}");
        comments += 1;
        rest = &after[end + 3..];
    }
    assert!(comments >= 1, "the agent's header comment was not found");
    for tag in ["plist", "dict", "array"] {
        assert_eq!(
            text.matches(&format!("<{tag}")).count(),
            text.matches(&format!("</{tag}>")).count(),
            "<{tag}> opened and closed alike"
        );
    }
}
