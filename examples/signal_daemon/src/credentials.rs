//! Where an account's keys come from: environment variables, a file only its owner can read, or
//! a command (a password manager's CLI such as `op read op://vault/alpaca/secret`). Never the
//! config file, and never logged: every value resolved here is registered with
//! [`crate::redact`], and messages name variables, never their values.

use crate::config::AccountProfile;
use alpaca_exec::Credentials;
use std::path::Path;
use std::process::Command;

/// Resolves a profile's keys. `Ok(None)` when its environment variables are simply unset (no keys:
/// the daemon then runs on the simulated broker); an error for a broken file or command.
pub fn resolve(
    name: &str,
    profile: &AccountProfile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, String> {
    let ctx = |e: String| format!("accounts.{name}: {e}");
    if let (Some(k), Some(s)) = (&profile.key_id_env, &profile.secret_key_env) {
        let key = env(k).filter(|v| !v.trim().is_empty());
        let secret = env(s).filter(|v| !v.trim().is_empty());
        for v in key.iter().chain(&secret) {
            crate::redact::register(v);
        }
        return match (key, secret) {
            (Some(k), Some(s)) => Credentials::new(k, s)
                .map(Some)
                .map_err(|e| ctx(e.to_string())),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ctx(format!("{k} is set but {s} is not"))),
            (None, Some(_)) => Err(ctx(format!("{s} is set but {k} is not"))),
        };
    }
    if let Some(path) = &profile.credentials_file {
        return from_file(path).map(Some).map_err(ctx);
    }
    if let (Some(k), Some(s)) = (&profile.key_id_command, &profile.secret_key_command) {
        let key = run(k).map_err(ctx)?;
        crate::redact::register(&key);
        let secret = run(s).map_err(ctx)?;
        crate::redact::register(&secret);
        return Credentials::new(key, secret)
            .map(Some)
            .map_err(|e| ctx(e.to_string()));
    }
    Err(ctx("no credentials source".into()))
}

/// The environment variables a profile reads its keys from (empty for a file or a command):
/// what an operator must set when they are missing.
pub fn variables(profile: &AccountProfile) -> Vec<String> {
    profile
        .key_id_env
        .iter()
        .chain(&profile.secret_key_env)
        .cloned()
        .collect()
}

/// Checks that `key_id_env` and `secret_key_env` hold variable names, not keys: upper-case
/// letters, digits and `_`, and not shaped like an Alpaca key id (`PK…`, `AK…`, `CK…` with no
/// `_`). The message never shows the value, since it may be a key pasted in the wrong place.
pub fn check_variable_names(key: &str, profile: &AccountProfile) -> Result<(), String> {
    for (field, value) in [
        ("key_id_env", &profile.key_id_env),
        ("secret_key_env", &profile.secret_key_env),
    ] {
        if let Some(v) = value
            && !is_variable_name(v)
        {
            return Err(format!(
                "{key}.{field} must be the name of an environment variable (upper-case letters, digits and _, such as APCA_API_SECRET_KEY), not a key; the value is not shown in case it is one"
            ));
        }
    }
    Ok(())
}

fn is_variable_name(v: &str) -> bool {
    let shaped = !v.is_empty()
        && v.len() <= 128
        && v.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let like_key_id =
        ["PK", "AK", "CK"].iter().any(|p| v.starts_with(p)) && v.len() >= 16 && !v.contains('_');
    shaped && !like_key_id
}

/// Reads `key_id` and `secret_key` from a TOML file that must not be readable by group or others.
pub fn from_file(path: &Path) -> Result<Credentials, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read credentials file {}: {e}", path.display()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "credentials file {} is readable by others (mode {mode:o}); run chmod 600 on it",
                path.display()
            ));
        }
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct KeyFile {
        key_id: String,
        secret_key: String,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read credentials file {}: {e}", path.display()))?;
    // The parse error could quote the file; report only its position.
    // Registered before anything can fail: a message about the file must not show them.
    for line in text.lines() {
        if let Some((_, v)) = line.split_once('=') {
            crate::redact::register(v.trim().trim_matches(['"', '\'']));
        }
    }
    let k: KeyFile = toml::from_str(&text).map_err(|e| {
        format!(
            "credentials file {} is not TOML with key_id and secret_key (at {:?})",
            path.display(),
            e.span()
        )
    })?;
    Credentials::new(k.key_id, k.secret_key).map_err(|e| e.to_string())
}

fn run(command: &str) -> Result<String, String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .output()
        .map_err(|e| format!("cannot run credentials command: {e}"))?;
    if !out.status.success() {
        // stderr may help; stdout may hold a secret, so it is never shown.
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "credentials command exited with {}: {}",
            out.status,
            err.trim()
        ));
    }
    let value = String::from_utf8(out.stdout)
        .map_err(|_| "credentials command printed non-UTF-8 output".to_string())?;
    Ok(value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvironmentName;

    fn profile() -> AccountProfile {
        AccountProfile {
            environment: EnvironmentName::Paper,
            key_id_env: None,
            secret_key_env: None,
            credentials_file: None,
            key_id_command: None,
            secret_key_command: None,
            max_concurrent_positions: None,
            max_capital_per_trade: None,
            trading_base_url: None,
            data_base_url: None,
        }
    }

    #[test]
    fn env_keys_present_absent_and_half() {
        let p = AccountProfile {
            key_id_env: Some("K".into()),
            secret_key_env: Some("S".into()),
            ..profile()
        };
        let both = |k: &str| Some(format!("value-{k}"));
        let c = resolve("a", &p, &both).unwrap().unwrap();
        assert_eq!(c.key_id(), "value-K");
        assert!(resolve("a", &p, &|_| None).unwrap().is_none());
        let half = |k: &str| (k == "K").then(|| "x".to_string());
        assert!(resolve("a", &p, &half).unwrap_err().contains("S is not"));
    }

    #[test]
    fn a_key_pasted_where_a_variable_name_belongs_is_refused_without_showing_it() {
        for pasted in [
            "aBcD1234eFgH5678iJkL9012mNoP3456qRsT7890",
            "PKABCDEFGHIJ12345678",
            "my secret",
            "",
        ] {
            let p = AccountProfile {
                key_id_env: Some("APCA_API_KEY_ID".into()),
                secret_key_env: Some(pasted.into()),
                ..profile()
            };
            let e = check_variable_names("accounts.equity", &p).unwrap_err();
            assert!(e.contains("accounts.equity.secret_key_env"), "{e}");
            assert!(pasted.is_empty() || !e.contains(pasted), "{e}");
        }
        let p = AccountProfile {
            key_id_env: Some("APCA_API_KEY_ID".into()),
            secret_key_env: Some("PAPER_SECRET_2".into()),
            ..profile()
        };
        check_variable_names("accounts.equity", &p).unwrap();
    }

    #[test]
    fn command_source_and_failures_never_show_stdout() {
        let p = AccountProfile {
            key_id_command: Some("echo PKCMD".into()),
            secret_key_command: Some("printf 'sec\\n'".into()),
            ..profile()
        };
        let c = resolve("a", &p, &|_| None).unwrap().unwrap();
        assert_eq!(c.key_id(), "PKCMD");
        let p = AccountProfile {
            key_id_command: Some("echo leaked-secret; exit 3".into()),
            secret_key_command: Some("true".into()),
            ..profile()
        };
        let e = resolve("a", &p, &|_| None).unwrap_err();
        assert!(e.contains("exited") && !e.contains("leaked-secret"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn file_must_be_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sd-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("keys.toml");
        std::fs::write(&f, "key_id = \"PKFILE\"\nsecret_key = \"s3\"\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(from_file(&f).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(from_file(&f).unwrap().key_id(), "PKFILE");
        std::fs::write(&f, "key_id = \"PKFILE\"\nsecret_key = \"s3\"\nextra = 1\n").unwrap();
        let e = from_file(&f).unwrap_err();
        assert!(!e.contains("s3"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
