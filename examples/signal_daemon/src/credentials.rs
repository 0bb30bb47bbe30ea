//! Where an account's keys come from: environment variables, a file only its owner can read, or
//! a command (a password manager's CLI such as `op read op://vault/alpaca/secret`). Never the
//! config file, and never logged.

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
        let secret = run(s).map_err(ctx)?;
        return Credentials::new(key, secret)
            .map(Some)
            .map_err(|e| ctx(e.to_string()));
    }
    Err(ctx("no credentials source".into()))
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
