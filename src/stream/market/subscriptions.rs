//! Which channels and symbols a market data stream is subscribed to.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeSet;

/// Symbols per channel. Used to ask for data, and as the server's confirmation of the current
/// set ([`MarketMessage::Subscription`](super::MarketMessage::Subscription)). `"*"` means every
/// symbol (bars, updated bars, daily bars and statuses only, per Alpaca).
///
/// Option streams carry trades and quotes only; the server refuses the other channels there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Subscriptions {
    /// Trades.
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub trades: BTreeSet<String>,
    /// Quotes.
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub quotes: BTreeSet<String>,
    /// Minute bars.
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub bars: BTreeSet<String>,
    /// Corrections of the last minute bar after late trades.
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub updated_bars: BTreeSet<String>,
    /// The day's running bar.
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub daily_bars: BTreeSet<String>,
    /// Trading status changes (halts, resumptions).
    #[serde(
        default,
        deserialize_with = "set",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub statuses: BTreeSet<String>,
}

fn set<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<String>, D::Error> {
    Ok(Option::<BTreeSet<String>>::deserialize(d)?.unwrap_or_default())
}

fn add<I, S>(set: &mut BTreeSet<String>, symbols: I)
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    set.extend(symbols.into_iter().map(Into::into));
}

impl Subscriptions {
    /// Nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds trade symbols.
    pub fn trades<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.trades, symbols);
        self
    }

    /// Adds quote symbols.
    pub fn quotes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.quotes, symbols);
        self
    }

    /// Adds minute-bar symbols.
    pub fn bars<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.bars, symbols);
        self
    }

    /// Adds updated-bar symbols.
    pub fn updated_bars<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.updated_bars, symbols);
        self
    }

    /// Adds daily-bar symbols.
    pub fn daily_bars<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.daily_bars, symbols);
        self
    }

    /// Adds trading-status symbols.
    pub fn statuses<I: IntoIterator<Item = S>, S: Into<String>>(mut self, symbols: I) -> Self {
        add(&mut self.statuses, symbols);
        self
    }

    /// True when no channel has a symbol.
    pub fn is_empty(&self) -> bool {
        self.channels().iter().all(|c| c.is_empty())
    }

    fn channels(&self) -> [&BTreeSet<String>; 6] {
        [
            &self.trades,
            &self.quotes,
            &self.bars,
            &self.updated_bars,
            &self.daily_bars,
            &self.statuses,
        ]
    }

    fn channels_mut(&mut self) -> [&mut BTreeSet<String>; 6] {
        [
            &mut self.trades,
            &mut self.quotes,
            &mut self.bars,
            &mut self.updated_bars,
            &mut self.daily_bars,
            &mut self.statuses,
        ]
    }

    /// Adds every symbol of `other`.
    pub(crate) fn merge(&mut self, other: &Subscriptions) {
        for (mine, theirs) in self.channels_mut().into_iter().zip(other.channels()) {
            mine.extend(theirs.iter().cloned());
        }
    }

    /// Removes every symbol of `other`.
    pub(crate) fn remove(&mut self, other: &Subscriptions) {
        for (mine, theirs) in self.channels_mut().into_iter().zip(other.channels()) {
            mine.retain(|s| !theirs.contains(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_remove_and_wire_form() {
        let mut s = Subscriptions::new()
            .trades(["AAPL"])
            .quotes(["AAPL", "MSFT"]);
        s.merge(&Subscriptions::new().bars(["*"]));
        s.remove(&Subscriptions::new().quotes(["MSFT"]));
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"trades": ["AAPL"], "quotes": ["AAPL"], "bars": ["*"]})
        );
        let confirmed: Subscriptions = serde_json::from_str(
            r#"{"trades":["AAPL"],"quotes":null,"updatedBars":["SPY"],"lulds":[],"corrections":["AAPL"]}"#,
        )
        .unwrap();
        assert_eq!(confirmed.updated_bars.len(), 1);
        assert!(confirmed.quotes.is_empty());
        assert!(Subscriptions::new().is_empty() && !confirmed.is_empty());
    }
}
