//! An order ticket: builds an order from the command line, checks it with the same rules the
//! client applies before sending, prints the exact JSON body, and submits it to your paper
//! account when `--submit` is given (with keys in the environment).
//!
//! ```text
//! cargo run --example order_ticket -- buy AAPL 10 --limit 150 --tif gtc
//! cargo run --example order_ticket -- buy AAPL250620C00100000 1 --limit 1.25 --intent buy_to_open
//! cargo run --example order_ticket -- buy AAPL 1.5 --limit 150          # refused: fractional limit
//! APCA_API_KEY_ID=... APCA_API_SECRET_KEY=... cargo run --example order_ticket -- buy SPY 1 --submit
//! ```

use alpaca_exec::{Client, OrderRequest, OrderSide, PositionIntent, Qty, TimeInForce};
use rust_decimal::Decimal;
use std::process::ExitCode;

const USAGE: &str = "usage: order_ticket buy|sell SYMBOL QTY [--notional] [--limit P] [--stop P] \
[--tif day|gtc|opg|cls|ioc|fok] [--extended-hours] [--take-profit P] [--stop-loss P] \
[--intent buy_to_open|buy_to_close|sell_to_open|sell_to_close] [--id CLIENT_ORDER_ID] [--submit]";

fn parse(args: &[String]) -> Result<(OrderRequest, bool), String> {
    let [side, symbol, qty, rest @ ..] = args else {
        return Err(USAGE.into());
    };
    let side = match side.as_str() {
        "buy" => OrderSide::Buy,
        "sell" => OrderSide::Sell,
        other => return Err(format!("side must be buy or sell, got {other:?}")),
    };
    let dec = |name: &str, v: Option<&String>| -> Result<Decimal, String> {
        let v = v.ok_or_else(|| format!("{name} needs a value"))?;
        v.parse().map_err(|e| format!("{name} {v:?}: {e}"))
    };
    let text = |name: &str, v: Option<&String>| -> Result<String, String> {
        v.cloned().ok_or_else(|| format!("{name} needs a value"))
    };
    let amount = dec("QTY", Some(qty))?;
    let (mut notional, mut submit, mut extended) = (false, false, false);
    let (mut limit, mut stop, mut take_profit, mut stop_loss) = (None, None, None, None);
    let (mut tif, mut intent, mut id) = (None, None, None);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--notional" => notional = true,
            "--submit" => submit = true,
            "--extended-hours" => extended = true,
            "--limit" => limit = Some(dec("--limit", it.next())?),
            "--stop" => stop = Some(dec("--stop", it.next())?),
            "--take-profit" => take_profit = Some(dec("--take-profit", it.next())?),
            "--stop-loss" => stop_loss = Some(dec("--stop-loss", it.next())?),
            "--id" => id = Some(text("--id", it.next())?),
            "--tif" => tif = Some(text("--tif", it.next())?),
            "--intent" => intent = Some(text("--intent", it.next())?),
            other => return Err(format!("unknown flag {other:?}\n{USAGE}")),
        }
    }
    let qty = if notional {
        Qty::Notional(amount)
    } else {
        Qty::Shares(amount)
    };
    let mut b = OrderRequest::builder(symbol.as_str(), side, qty).extended_hours(extended);
    b = match (limit, stop) {
        (Some(l), Some(s)) => b.stop_limit(s, l),
        (Some(l), None) => b.limit_price(l),
        (None, Some(s)) => b.stop_price(s),
        (None, None) => b,
    };
    if let Some(tp) = take_profit {
        b = b.take_profit(tp);
    }
    if let Some(sl) = stop_loss {
        b = b.stop_loss(sl, None);
    }
    if let Some(t) = tif {
        let t: TimeInForce = t.parse().unwrap_or_else(|never| match never {});
        if let TimeInForce::Unknown(v) = &t {
            return Err(format!("unknown time in force {v:?}"));
        }
        b = b.time_in_force(t);
    }
    if let Some(i) = intent {
        let i: PositionIntent = i.parse().unwrap_or_else(|never| match never {});
        if let PositionIntent::Unknown(v) = &i {
            return Err(format!("unknown position intent {v:?}"));
        }
        b = b.position_intent(i);
    }
    if let Some(id) = id {
        b = b.client_order_id(id);
    }
    b.build().map(|o| (o, submit)).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (order, submit) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("refused: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "POST /v2/orders\n{}",
        serde_json::to_string_pretty(&order).expect("serialises")
    );
    if !submit {
        println!(
            "(checked, not sent: add --submit with paper keys in the environment to place it)"
        );
        return ExitCode::SUCCESS;
    }
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match client.submit_order_and_resolve(&order).await {
        Ok(o) => {
            println!(
                "placed {} ({}) status {}",
                o.id, o.client_order_id, o.status
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("failed: {e}");
            ExitCode::FAILURE
        }
    }
}
