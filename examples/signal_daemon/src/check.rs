//! `test`: for each account the enabled strategies use, where its requests go, whether its keys
//! work (account and clock), and where alerts go. Every failure is reported; the command fails
//! if any check did.

use crate::config::Config;
use crate::credentials;
use crate::daemon::runtime::{alerter, open_account, used_accounts};
use alpaca_exec::backtest::format::money;
use std::io::Write;

/// Runs the checks, writing one or two lines per account and one for alerts.
pub async fn run(
    cfg: &Config,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let mut failures = 0;
    let used = used_accounts(cfg);
    for (name, profile) in &cfg.accounts {
        if !used.contains(name) {
            writeln!(out, "{name}: no enabled strategy uses it; not checked").map_err(io)?;
            continue;
        }
        let account = match open_account(cfg, name, env) {
            Ok(Some(a)) => a,
            Ok(None) => {
                failures += 1;
                let vars = credentials::variables(profile);
                writeln!(
                    out,
                    "{name}: no keys: {} {} not set",
                    vars.join(" and "),
                    if vars.len() == 1 { "is" } else { "are" }
                )
                .map_err(io)?;
                continue;
            }
            Err(e) => {
                failures += 1;
                writeln!(out, "{name}: {e}").map_err(io)?;
                continue;
            }
        };
        writeln!(
            out,
            "{name} ({}): {}",
            account.kind.as_str(),
            account.endpoints.describe(profile)
        )
        .map_err(io)?;
        let client = &account.client;
        match (client.account().await, client.clock().await) {
            (Ok(a), Ok(c)) => writeln!(
                out,
                "{name}: ok, account {}, equity {}, buying power {}, market {}",
                a.status,
                money(a.equity),
                money(a.buying_power),
                if c.is_open {
                    "open".to_owned()
                } else {
                    format!(
                        "closed (opens {})",
                        c.next_open
                            .with_timezone(&chrono_tz::America::New_York)
                            .format("%Y-%m-%d %H:%M New York")
                    )
                }
            )
            .map_err(io)?,
            (Err(e), _) | (_, Err(e)) => {
                failures += 1;
                writeln!(out, "{name}: {e}").map_err(io)?;
            }
        }
    }
    if cfg.alerts.discord_webhook_url.trim().is_empty() {
        // The log alerter writes at level info, which the one-shot commands do not show: say
        // where alerts go instead of claiming a delivery nobody sees.
        writeln!(
            out,
            "alerts: no Discord webhook set (alerts.discord_webhook_url or DISCORD_WEBHOOK_URL): alerts go to the log at level info, which `start` shows (other commands with RUST_LOG=info)"
        )
        .map_err(io)?;
    } else {
        let notice = alpaca_exec::alert::Alert::Notice {
            message: "signal daemon: alert test".into(),
            time: chrono::Utc::now(),
        };
        match alerter(cfg)?.send(&notice).await {
            Ok(()) => writeln!(out, "alerts: test notice delivered to Discord").map_err(io)?,
            Err(e) => {
                failures += 1;
                writeln!(out, "alerts: {e}").map_err(io)?;
            }
        }
    }
    if failures > 0 {
        return Err(format!("{failures} check(s) failed"));
    }
    Ok(())
}
