//! The monthly flash report of a region (issue 5 §6, SPEC.md §5): for one ARS
//! region and one month, the region's declared establishments (DUI actifs,
//! persons accompanied, each rate and the share of establishments meeting
//! each target), the trajectory against the programme's targets, the
//! projects that have not declared and the late declarations.
//!
//! Everything is taken from [`aggregate::summary`]: this module selects and
//! arranges, it recomputes nothing. [`Flash`] is the data (for a web page to
//! render as it likes); [`text::to_text`], [`html::to_html`] and [`pdf()`] are
//! three renderings of the same sections, the last two drawing the same
//! [`tables`].

pub mod html;
mod pdf;
pub mod tables;
pub mod text;

use carnet_core::indicators::Targets;
use carnet_store::Db;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::aggregate::{
    self, Aggregate, Missing, Month, Options, Receipt, Scope, Summary, TrajectoryPoint,
};
use crate::regions::Region;
use crate::versions::ArchiveError;

/// How many months of the region's evolution the report shows (the month
/// itself included).
pub const HISTORY_MONTHS: usize = 12;

/// The monthly flash report of a region.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Flash {
    pub region: Region,
    pub month: Month,
    /// When the report was produced (passed in).
    pub produced_at: Timestamp,
    /// Targets of the five rates, in whole percent.
    pub targets: Targets,
    /// The region's establishments declared for the month; `None` when no
    /// establishment of the region is in a declaration in force.
    pub region_month: Option<Aggregate>,
    /// The nation for the month, for the region's share.
    pub nation_month: Option<Aggregate>,
    /// The nation against the programme's targets for the month.
    pub trajectory: Option<TrajectoryPoint>,
    /// The region month by month, oldest first, up to the month
    /// ([`HISTORY_MONTHS`] at most; months without declaration are absent).
    pub history: Vec<Aggregate>,
    /// Projects of the registry followed in the region (establishments or
    /// desk): those expected every month.
    pub expected: Vec<String>,
    /// Expected projects without any declaration for the month.
    pub missing: Vec<Missing>,
    /// Declarations of the region's projects for the month, by GALIS, with
    /// their first reception and whether it was late.
    pub receipts: Vec<Receipt>,
    /// Day after which a declaration of the month is late.
    pub deadline: Date,
}

impl Flash {
    /// The late declarations of the month.
    pub fn late(&self) -> Vec<&Receipt> {
        self.receipts.iter().filter(|r| r.late).collect()
    }

    /// The region's DUI actifs over the nation's, in per mille (rounded
    /// down); `None` when the nation declared none.
    pub fn share_of_nation_per_mille(&self) -> Option<u64> {
        let region = self.region_month.as_ref().map_or(0, |a| a.actifs);
        let nation = self.nation_month.as_ref().map_or(0, |a| a.actifs);
        (nation > 0).then(|| {
            u64::try_from(u128::from(region) * 1000 / u128::from(nation)).unwrap_or(u64::MAX)
        })
    }
}

/// The month `n` months before `month`.
fn months_before(month: Month, n: usize) -> Month {
    let index =
        i64::from(month.year) * 12 + i64::from(month.month) - 1 - i64::try_from(n).unwrap_or(0);
    Month {
        year: i16::try_from(index.div_euclid(12)).unwrap_or(month.year),
        month: i8::try_from(index.rem_euclid(12) + 1).unwrap_or(1),
    }
}

/// The options of the summary a flash report needs: the [`HISTORY_MONTHS`]
/// months up to `month`, with the given rules (targets, deadline).
pub fn summary_options(month: Month, rules: &Options) -> Options {
    Options {
        from: Some(months_before(month, HISTORY_MONTHS - 1)),
        to: Some(month),
        ..rules.clone()
    }
}

/// Selects the region's part of a summary (computed with
/// [`summary_options`], or covering at least `month`).
pub fn build(
    summary: &Summary,
    options: &Options,
    region: Region,
    month: Month,
    produced_at: Timestamp,
) -> Flash {
    let in_region = |galis: &str| {
        summary
            .project_regions
            .get(galis)
            .is_some_and(|set| set.contains(region.code))
    };
    let history: Vec<Aggregate> = summary
        .regions
        .iter()
        .filter(|a| a.scope == Scope::Region(Some(region)) && a.month <= month)
        .filter(|a| a.month >= months_before(month, HISTORY_MONTHS - 1))
        .cloned()
        .collect();
    Flash {
        region,
        month,
        produced_at,
        targets: options.targets,
        region_month: history.iter().find(|a| a.month == month).cloned(),
        nation_month: summary.nation.iter().find(|a| a.month == month).cloned(),
        trajectory: summary
            .trajectory
            .iter()
            .find(|p| p.month == month)
            .cloned(),
        history,
        expected: summary
            .registered
            .iter()
            .filter(|g| in_region(g))
            .cloned()
            .collect(),
        missing: summary
            .missing
            .iter()
            .filter(|m| m.month == month && in_region(&m.galis))
            .cloned()
            .collect(),
        receipts: summary
            .receipts
            .iter()
            .filter(|r| r.month == month && in_region(&r.galis))
            .cloned()
            .collect(),
        deadline: aggregate::deadline(month, options.deadline_day),
    }
}

/// Reads the declarations and builds the flash report of a region for a month.
pub async fn flash(
    db: &Db,
    region: Region,
    month: Month,
    rules: &Options,
    produced_at: Timestamp,
) -> Result<Flash, ArchiveError> {
    let options = summary_options(month, rules);
    let summary = aggregate::summary(db, &options).await?;
    Ok(build(&summary, &options, region, month, produced_at))
}

/// The flash report as a PDF/A-2b (A4, font embedded), the same sections as
/// the text and the HTML page, the figures in the HTML page's tables.
pub fn pdf(flash: &Flash) -> Result<Vec<u8>, carnet_reports::Error> {
    carnet_reports::text_document_pdf(&pdf::document(flash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_crosses_years() {
        let may = Month {
            year: 2024,
            month: 5,
        };
        assert_eq!(months_before(may, 0), may);
        assert_eq!(
            months_before(may, 11),
            Month {
                year: 2023,
                month: 6
            }
        );
        assert_eq!(
            months_before(may, 5),
            Month {
                year: 2023,
                month: 12
            }
        );
    }
}
