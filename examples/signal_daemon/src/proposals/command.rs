//! The `propose` and `apply-proposal` commands.

use crate::config::Config;
use std::path::PathBuf;

/// `propose`: history from Alpaca with keys, else the sample data; one file per strategy.
pub async fn propose(cfg: &Config, names: &[String], out: Option<PathBuf>) -> Result<(), String> {
    for n in names {
        if !cfg.strategies.get(n).is_some_and(|s| s.enabled()) {
            return Err(format!("--strategy {n}: no enabled strategy of that name"));
        }
    }
    let dir = out.unwrap_or_else(|| cfg.paths.data_dir.join("proposals"));
    let env = |k: &str| std::env::var(k).ok();
    let results = match crate::daemon::runtime::Runtime::open(cfg, &env)? {
        crate::daemon::runtime::Opened::Live(rt) => {
            let mut all = Vec::new();
            for (name, s) in &cfg.strategies {
                if !s.enabled() || (!names.is_empty() && !names.contains(name)) {
                    continue;
                }
                let Some(v) = rt.venues.get(s.account()) else {
                    continue;
                };
                all.extend(
                    super::run(
                        cfg,
                        std::slice::from_ref(name),
                        v.bars.as_ref(),
                        "alpaca",
                        chrono::Utc::now(),
                        &dir,
                    )
                    .await,
                );
            }
            all
        }
        crate::daemon::runtime::Opened::NoKeys(_) => {
            println!("No keys set: proposing on the generated sample data.");
            let (source, now) = super::sample_history(cfg, None);
            super::run(cfg, names, &source, "sample data", now, &dir).await
        }
    };
    for (name, r) in &results {
        match r {
            Ok((path, p)) => println!(
                "{name}: {}
  {}",
                p.summary,
                path.display()
            ),
            Err(e) => println!("{name}: no proposal: {e}"),
        }
    }
    let alerter = crate::daemon::runtime::alerter(cfg)?;
    let notice = alpaca_exec::alert::Alert::Notice {
        message: super::alert_text(&results),
        time: chrono::Utc::now(),
    };
    alpaca_exec::alert::deliver(alerter.as_ref(), &notice).await;
    if results.iter().all(|(_, r)| r.is_err()) {
        return Err("no proposal was made".into());
    }
    Ok(())
}

pub fn apply_proposal(
    config: Option<&std::path::Path>,
    file: &std::path::Path,
) -> Result<(), String> {
    let config = config.ok_or(
        "apply-proposal writes the configuration file: pass it with --config FILE (the file the daemon runs with)",
    )?;
    let env = |k: &str| std::env::var(k).ok();
    let applied = super::apply::apply(file, config, &env)?;
    for (k, old, new) in &applied.changes {
        println!("strategies.{}.{k}: {old} -> {new}", applied.strategy);
    }
    println!(
        "{} written (previous file: {}); a running daemon reloads it within 30 seconds, or at once on SIGHUP",
        config.display(),
        applied.backup.display()
    );
    Ok(())
}
