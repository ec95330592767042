//! The 18 regions that have an agence régionale de santé (ARS), and the region
//! of an establishment as its FINESS tells it, as the platform names them
//! (INSEE code, French name). The table itself is `carnet_core::region`'s,
//! shared with the funding desk and the audit sample.
//!
//! The same list is seeded in the `collect_regions` table (migration 0002) so
//! that SQL and pages can name a region; a test keeps the two equal.

use carnet_core::Finess;
use carnet_core::region::Region as CoreRegion;
use std::sync::LazyLock;

/// An ARS region: its INSEE code and its French name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
}

/// The 18 regions with an ARS, by INSEE code: `carnet_core`'s table, in the
/// shape the platform's pages and SQL use. Saint-Pierre-et-Miquelon has an
/// administration territoriale de santé, not an ARS: it is in no region here.
pub static REGIONS: LazyLock<Vec<Region>> = LazyLock::new(|| {
    let mut all: Vec<Region> = CoreRegion::ALL.iter().copied().map(Region::from).collect();
    all.sort_unstable_by_key(|r| r.code);
    all
});

impl From<CoreRegion> for Region {
    fn from(region: CoreRegion) -> Self {
        Region {
            code: region.insee_code(),
            name: region.label(),
        }
    }
}

/// The region of a code, if it is one of the 18.
pub fn by_code(code: &str) -> Option<Region> {
    REGIONS.iter().copied().find(|r| r.code == code)
}

/// The region of an establishment, from its FINESS (département, overseas
/// territory). `None` only for Saint-Pierre-et-Miquelon (no ARS).
pub fn of_finess(finess: &Finess) -> Option<Region> {
    CoreRegion::of(finess).map(Region::from)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn region(first_eight: &str) -> Option<&'static str> {
        of_finess(&Finess::with_computed_key(first_eight).unwrap()).map(|r| r.name)
    }

    #[test]
    fn eighteen_regions_by_code() {
        assert_eq!(REGIONS.len(), 18);
        assert!(REGIONS.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(by_code("28").map(|r| r.name), Some("Normandie"));
    }

    #[test]
    fn regions_follow_the_finess_department() {
        assert_eq!(region("33078049"), Some("Nouvelle-Aquitaine"));
        assert_eq!(region("77000231"), Some("Île-de-France"));
        assert_eq!(region("2A000015"), Some("Corse"));
        assert_eq!(region("97010001"), Some("Guadeloupe"));
        assert_eq!(region("97040001"), Some("La Réunion"));
        assert_eq!(region("98000001"), Some("Mayotte"));
        assert_eq!(region("97050001"), None);
    }
}
