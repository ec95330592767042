//! Measurement periods, calendar months and day bitmaps.
//!
//! SPEC.md §3: a period [J, K] has both days included; a day is a local day of
//! the establishment (DESIGN.md §4.2). The activity index keeps one `u32` per
//! record, month and mark, bit `d - 1` standing for day `d` of the month; this
//! module owns that convention so that the store and the engine share it.

use super::IndicatorError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A calendar month, serialised as `"YYYY-MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i16,
    month: i8,
}

impl Month {
    pub fn new(year: i16, month: i8) -> Result<Self, IndicatorError> {
        Date::new(year, month, 1).map_err(|_| IndicatorError::InvalidMonth {
            value: format!("{year:04}-{month:02}"),
        })?;
        Ok(Self { year, month })
    }

    pub fn of(date: Date) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// The first day; every `Month` was built from a valid date.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    pub fn days(self) -> i8 {
        self.first_day().days_in_month()
    }

    /// The following month, `None` after year 9999.
    pub fn next(self) -> Option<Self> {
        let (year, month) = if self.month == 12 {
            (self.year.checked_add(1)?, 1)
        } else {
            (self.year, self.month + 1)
        };
        Self::new(year, month).ok()
    }

    /// A number that grows by one each month (handy as an index key):
    /// `year × 12 + month − 1`.
    pub fn ordinal(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }

    /// The month of an `ordinal`.
    pub fn from_ordinal(ordinal: i32) -> Result<Self, IndicatorError> {
        let bad = || IndicatorError::InvalidMonth {
            value: ordinal.to_string(),
        };
        let year = i16::try_from(ordinal.div_euclid(12)).map_err(|_| bad())?;
        let month = i8::try_from(ordinal.rem_euclid(12) + 1).map_err(|_| bad())?;
        Self::new(year, month)
    }

    /// Bits of the days of this month that fall in `[from, to]` (both included).
    pub fn mask(self, from: Date, to: Date) -> u32 {
        let first = self.first_day();
        let last = self.last_day();
        if to < first || from > last {
            return 0;
        }
        let lo = if from > first { from.day() } else { 1 };
        let hi = if to < last { to.day() } else { last.day() };
        days_mask(lo, hi)
    }
}

/// Bits for days `lo..=hi` of a month (1-based, `lo <= hi <= 31`).
fn days_mask(lo: i8, hi: i8) -> u32 {
    let lo = u32::from(lo.clamp(1, 31).unsigned_abs());
    let hi = u32::from(hi.clamp(1, 31).unsigned_abs());
    if lo > hi {
        return 0;
    }
    let upto_hi = (1u64 << hi) - 1;
    let below_lo = (1u64 << (lo - 1)) - 1;
    // At most 31 bits are set: the truncation keeps them all.
    (upto_hi & !below_lo) as u32
}

/// The bit of one day inside its month's `u32`.
pub fn day_bit(date: Date) -> u32 {
    1u32 << (u32::from(date.day().unsigned_abs()) - 1)
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = IndicatorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IndicatorError::InvalidMonth {
            value: s.to_owned(),
        };
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        Self::new(year, month).map_err(|_| bad())
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// The local day of an instant in a time zone (DESIGN.md §4.2).
pub fn local_day(at: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(at).date()
}

/// Resolves an IANA time zone name, with a French error.
pub fn time_zone(name: &str) -> Result<TimeZone, IndicatorError> {
    TimeZone::get(name).map_err(|_| IndicatorError::UnknownTimeZone {
        name: name.to_owned(),
    })
}

/// A measurement period [from, to], both days included (SPEC.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPeriod")]
pub struct Period {
    from: Date,
    to: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: Date,
    to: Date,
}

impl TryFrom<RawPeriod> for Period {
    type Error = IndicatorError;
    fn try_from(raw: RawPeriod) -> Result<Self, Self::Error> {
        Period::new(raw.from, raw.to)
    }
}

impl Period {
    /// A period of one day is allowed; an end before the start is not.
    pub fn new(from: Date, to: Date) -> Result<Self, IndicatorError> {
        if to < from {
            return Err(IndicatorError::PeriodReversed { from, to });
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> Date {
        self.from
    }

    pub fn to(&self) -> Date {
        self.to
    }

    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }

    /// The months the period touches, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut months = Vec::new();
        let last = Month::of(self.to);
        let mut month = Some(Month::of(self.from));
        while let Some(m) = month {
            if m > last {
                break;
            }
            months.push(m);
            month = m.next();
        }
        months
    }

    /// Bits of the period's days in `month` (0 when the month is outside).
    pub fn mask(&self, month: Month) -> u32 {
        month.mask(self.from, self.to)
    }

    /// The `months` full calendar months before the month of `today`.
    /// SPEC.md §3: "sur le mois écoulé mesuré à chaque fin de mois": the
    /// measure taken in early April covers March (1 month) or January–March
    /// (3 months). `today` is an argument: the domain never reads the clock.
    pub fn last_full_months(today: Date, months: u8) -> Result<Self, IndicatorError> {
        if months == 0 {
            return Err(IndicatorError::InvalidPreset { months });
        }
        let this_month = today.first_of_month();
        let from = this_month
            .checked_sub(jiff::Span::new().months(i64::from(months)))
            .map_err(|_| IndicatorError::InvalidPreset { months })?;
        let to = this_month
            .yesterday()
            .map_err(|_| IndicatorError::InvalidPreset { months })?;
        Period::new(from, to)
    }

    /// French rendering, e.g. « du 01/03/2024 au 31/03/2024 ».
    pub fn label(&self) -> String {
        format!("du {} au {}", french_date(self.from), french_date(self.to))
    }
}

const MONTH_NAMES: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const SHORT_MONTH_NAMES: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// The French name of a month number (1–12), « ? » otherwise.
pub fn french_month_name(month: i8) -> &'static str {
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTH_NAMES.get(i))
        .copied()
        .unwrap_or("?")
}

impl Month {
    /// « octobre 2026 ».
    pub fn french_name(self) -> String {
        format!("{} {}", french_month_name(self.month), self.year)
    }

    /// « oct. 2026 », for chart axes.
    pub fn short_french_label(self) -> String {
        let short = usize::try_from(self.month - 1)
            .ok()
            .and_then(|i| SHORT_MONTH_NAMES.get(i))
            .copied()
            .unwrap_or("?");
        format!("{short} {}", self.year)
    }
}

/// `dd/mm/yyyy`, the way dates are written on French forms and the workbook.
pub fn french_date(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// A period preset of the rule set (SPEC.md §3: last calendar month, last 3
/// months, last 6 months; "targets and presets are configuration").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodPreset {
    /// Stable code used by the CLI and the API (`mois`, `3mois`, `6mois`).
    pub code: String,
    /// French label shown to users.
    pub label: String,
    /// Number of full calendar months before the month of "today".
    pub months: u8,
}

impl PeriodPreset {
    pub fn period(&self, today: Date) -> Result<Period, IndicatorError> {
        Period::last_full_months(today, self.months)
    }
}
