//! Query parameters shared by market data endpoints: timeframes, feeds, adjustment, sort.

use crate::error::{Error, Result};
use crate::wire::string_enum;
use std::fmt;

/// The unit of a [`TimeFrame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeFrameUnit {
    /// Minutes (1-59).
    Minute,
    /// Hours (1-23).
    Hour,
    /// Days (1 only).
    Day,
    /// Weeks (1 only).
    Week,
    /// Months (1, 2, 3, 4, 6 or 12).
    Month,
}

/// A bar size that Alpaca accepts, checked at construction so an invalid one is never sent.
///
/// ```
/// use alpaca_exec::data::TimeFrame;
/// assert_eq!(TimeFrame::minutes(15)?.to_string(), "15Min");
/// assert_eq!(TimeFrame::DAY.to_string(), "1Day");
/// assert!(TimeFrame::minutes(60).is_err()); // use TimeFrame::hours(1)
/// assert!(TimeFrame::months(5).is_err());
/// # Ok::<(), alpaca_exec::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeFrame {
    amount: u8,
    unit: TimeFrameUnit,
}

impl TimeFrame {
    /// One minute.
    pub const MINUTE: TimeFrame = TimeFrame {
        amount: 1,
        unit: TimeFrameUnit::Minute,
    };
    /// One hour.
    pub const HOUR: TimeFrame = TimeFrame {
        amount: 1,
        unit: TimeFrameUnit::Hour,
    };
    /// One day.
    pub const DAY: TimeFrame = TimeFrame {
        amount: 1,
        unit: TimeFrameUnit::Day,
    };
    /// One week.
    pub const WEEK: TimeFrame = TimeFrame {
        amount: 1,
        unit: TimeFrameUnit::Week,
    };
    /// One month.
    pub const MONTH: TimeFrame = TimeFrame {
        amount: 1,
        unit: TimeFrameUnit::Month,
    };

    /// `n` minutes, 1-59.
    pub fn minutes(n: u8) -> Result<Self> {
        Self::checked(n, TimeFrameUnit::Minute, (1..=59).contains(&n), "1-59")
    }

    /// `n` hours, 1-23.
    pub fn hours(n: u8) -> Result<Self> {
        Self::checked(n, TimeFrameUnit::Hour, (1..=23).contains(&n), "1-23")
    }

    /// `n` months: 1, 2, 3, 4, 6 or 12.
    pub fn months(n: u8) -> Result<Self> {
        Self::checked(
            n,
            TimeFrameUnit::Month,
            matches!(n, 1 | 2 | 3 | 4 | 6 | 12),
            "1, 2, 3, 4, 6 or 12",
        )
    }

    fn checked(amount: u8, unit: TimeFrameUnit, ok: bool, allowed: &str) -> Result<Self> {
        if ok {
            Ok(Self { amount, unit })
        } else {
            Err(Error::InvalidRequest(format!(
                "timeframe of {amount} {unit:?}s is not allowed: Alpaca accepts {allowed}"
            )))
        }
    }

    /// The amount.
    pub fn amount(&self) -> u8 {
        self.amount
    }

    /// The unit.
    pub fn unit(&self) -> TimeFrameUnit {
        self.unit
    }

    /// Whether bars of this timeframe span a whole session or more (daily, weekly, monthly)
    /// rather than part of one.
    pub fn is_daily(&self) -> bool {
        matches!(
            self.unit,
            TimeFrameUnit::Day | TimeFrameUnit::Week | TimeFrameUnit::Month
        )
    }

    /// The nominal length of one bar: exact for minutes and hours, 24 hours a day, 7 days a
    /// week, and 30 days a month (calendar months vary; bars are bucketed by calendar, not by
    /// this length).
    pub fn duration(&self) -> std::time::Duration {
        let n = u64::from(self.amount);
        std::time::Duration::from_secs(
            n * match self.unit {
                TimeFrameUnit::Minute => 60,
                TimeFrameUnit::Hour => 3_600,
                TimeFrameUnit::Day => 86_400,
                TimeFrameUnit::Week => 7 * 86_400,
                TimeFrameUnit::Month => 30 * 86_400,
            },
        )
    }
}

impl fmt::Display for TimeFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            TimeFrameUnit::Minute => "Min",
            TimeFrameUnit::Hour => "Hour",
            TimeFrameUnit::Day => "Day",
            TimeFrameUnit::Week => "Week",
            TimeFrameUnit::Month => "Month",
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// Serialized as its text, `"15Min"`, `"1Day"`.
impl serde::Serialize for TimeFrame {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read from its text, in any spelling [`FromStr`](std::str::FromStr) accepts.
impl<'de> serde::Deserialize<'de> for TimeFrame {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for TimeFrame {
    type Err = Error;

    /// Parses Alpaca's spelling (`5Min`, `1Hour`, `1Day`, `1Week`, `3Month`; also `T`, `H`, `D`,
    /// `W`, `M` suffixes).
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u8 = num
            .parse()
            .map_err(|_| Error::InvalidRequest(format!("timeframe {s:?} has no amount")))?;
        match unit {
            "Min" | "T" => Self::minutes(n),
            "Hour" | "H" => Self::hours(n),
            "Day" | "D" if n == 1 => Ok(Self::DAY),
            "Week" | "W" if n == 1 => Ok(Self::WEEK),
            "Month" | "M" => Self::months(n),
            _ => Err(Error::InvalidRequest(format!(
                "timeframe {s:?} is not one of NMin, NHour, 1Day, 1Week, NMonth"
            ))),
        }
    }
}

string_enum! {
    /// Stock data feed.
    pub enum StockFeed {
        /// IEX only (free plans' default).
        Iex = "iex",
        /// All US exchanges (paid; free plans cannot query the last 15 minutes).
        Sip = "sip",
        /// SIP delayed by 15 minutes.
        DelayedSip = "delayed_sip",
        /// Over-the-counter.
        Otc = "otc",
        /// Blue Ocean ATS (overnight).
        Boats = "boats",
        /// Alpaca's overnight feed.
        Overnight = "overnight",
    }
}

string_enum! {
    /// Option data feed.
    pub enum OptionFeed {
        /// The consolidated OPRA feed (paid).
        Opra = "opra",
        /// Indicative, modified quotes (free).
        Indicative = "indicative",
    }
}

string_enum! {
    /// Corporate-action adjustment of historical bars.
    pub enum Adjustment {
        /// No adjustment.
        Raw = "raw",
        /// Split-adjusted.
        Split = "split",
        /// Dividend-adjusted.
        Dividend = "dividend",
        /// Split- and dividend-adjusted.
        All = "all",
    }
}

string_enum! {
    /// Sort order of historical data.
    pub enum Sort {
        /// Oldest first (default).
        Asc = "asc",
        /// Newest first.
        Desc = "desc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_timeframes() {
        for n in 1..=59 {
            assert_eq!(
                TimeFrame::minutes(n).unwrap().to_string(),
                format!("{n}Min")
            );
        }
        for n in 1..=23 {
            assert_eq!(TimeFrame::hours(n).unwrap().to_string(), format!("{n}Hour"));
        }
        for n in [1, 2, 3, 4, 6, 12] {
            assert_eq!(
                TimeFrame::months(n).unwrap().to_string(),
                format!("{n}Month")
            );
        }
        assert!(TimeFrame::minutes(0).is_err());
        assert!(TimeFrame::minutes(60).is_err());
        assert!(TimeFrame::hours(24).is_err());
        for n in [0, 5, 7, 8, 9, 10, 11, 13] {
            assert!(TimeFrame::months(n).is_err(), "{n}");
        }
        assert_eq!(TimeFrame::WEEK.to_string(), "1Week");
    }

    #[test]
    fn serde_as_text() {
        let tf = TimeFrame::minutes(15).unwrap();
        assert_eq!(serde_json::to_string(&tf).unwrap(), "\"15Min\"");
        assert_eq!(
            serde_json::from_str::<TimeFrame>("\"1H\"").unwrap(),
            TimeFrame::HOUR
        );
        let e = serde_json::from_str::<TimeFrame>("\"60Min\"").unwrap_err();
        assert!(e.to_string().contains("1-59"), "{e}");
    }

    #[test]
    fn nominal_lengths_and_daily_units() {
        assert_eq!(TimeFrame::minutes(15).unwrap().duration().as_secs(), 900);
        assert_eq!(TimeFrame::hours(4).unwrap().duration().as_secs(), 14_400);
        assert_eq!(TimeFrame::DAY.duration().as_secs(), 86_400);
        assert_eq!(TimeFrame::WEEK.duration().as_secs(), 604_800);
        assert_eq!(
            TimeFrame::months(3).unwrap().duration().as_secs(),
            90 * 86_400
        );
        assert!(!TimeFrame::HOUR.is_daily());
        assert!(TimeFrame::DAY.is_daily() && TimeFrame::WEEK.is_daily());
    }

    #[test]
    fn parse_timeframes() {
        assert_eq!(
            "5Min".parse::<TimeFrame>().unwrap(),
            TimeFrame::minutes(5).unwrap()
        );
        assert_eq!("1D".parse::<TimeFrame>().unwrap(), TimeFrame::DAY);
        assert_eq!("1Week".parse::<TimeFrame>().unwrap(), TimeFrame::WEEK);
        assert!("2Day".parse::<TimeFrame>().is_err());
        assert!("Min".parse::<TimeFrame>().is_err());
        assert!("60Min".parse::<TimeFrame>().is_err());
        assert!("1Year".parse::<TimeFrame>().is_err());
    }
}
