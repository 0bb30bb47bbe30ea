//! Quickstart: reads your paper account, the market clock, open positions and the next
//! weeks' option contracts on SPY.
//!
//! Needs paper keys: `APCA_API_KEY_ID=... APCA_API_SECRET_KEY=... cargo run --example quickstart`

use alpaca_exec::{Client, ListOptionContracts, OptionType};
use chrono::Days;
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\nSet APCA_API_KEY_ID and APCA_API_SECRET_KEY to your paper keys.");
            std::process::exit(2);
        }
    };
    println!("environment: {:?}", client.environment());

    let account = client.account().await?;
    println!(
        "account {}: equity {} cash {} buying power {} (can trade: {})",
        account.account_number.as_deref().unwrap_or("?"),
        account.equity,
        account.cash,
        account.buying_power,
        account.can_trade()
    );

    let clock = client.clock().await?;
    println!(
        "market is {}; next open {}, next close {}",
        if clock.is_open { "open" } else { "closed" },
        clock.next_open,
        clock.next_close
    );

    for p in client.positions().await? {
        println!(
            "position {} {} @ {} (unrealised P&L {})",
            p.qty,
            p.symbol,
            p.avg_entry_price,
            p.unrealized_pl.map(|d| d.to_string()).unwrap_or_default()
        );
    }

    let today = clock.today_eastern();
    let req = ListOptionContracts {
        option_type: Some(OptionType::Call),
        expiration_date_gte: today.checked_add_days(Days::new(7)),
        expiration_date_lte: today.checked_add_days(Days::new(21)),
        limit: Some(1000),
        ..ListOptionContracts::for_underlyings(["SPY"])
    };
    let mut contracts = req.stream(&client);
    let mut n = 0;
    while let Some(c) = contracts.next().await {
        let c = c?;
        if n < 5 {
            println!(
                "{} strike {} expires {} multiplier {}",
                c.symbol,
                c.strike_price,
                c.expiration_date,
                c.premium_multiplier()
            );
        }
        n += 1;
    }
    println!("{n} SPY calls expire in 7-21 days");
    Ok(())
}
