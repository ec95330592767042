//! The 18 regions that have an agence régionale de santé (ARS), and the region
//! of an establishment as its FINESS tells it (départements of the 2016
//! regions; overseas by the 4th character of a "97" FINESS, SPEC.md §2.1).
//!
//! `carnet-core` knows the territory of a FINESS (for time zones) but not the
//! regions: they matter only to the collection platform, so they live here.
//! The same list is seeded in the `collect_regions` table (migration 0002) so
//! that SQL and pages can name a region; a test keeps the two equal.

use carnet_core::Finess;

/// An ARS region: its INSEE code and its French name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
}

/// The 18 regions with an ARS, by INSEE code. Saint-Pierre-et-Miquelon has an
/// administration territoriale de santé, not an ARS: it is in no region here.
pub const REGIONS: [Region; 18] = [
    Region {
        code: "01",
        name: "Guadeloupe",
    },
    Region {
        code: "02",
        name: "Martinique",
    },
    Region {
        code: "03",
        name: "Guyane",
    },
    Region {
        code: "04",
        name: "La Réunion",
    },
    Region {
        code: "06",
        name: "Mayotte",
    },
    Region {
        code: "11",
        name: "Île-de-France",
    },
    Region {
        code: "24",
        name: "Centre-Val de Loire",
    },
    Region {
        code: "27",
        name: "Bourgogne-Franche-Comté",
    },
    Region {
        code: "28",
        name: "Normandie",
    },
    Region {
        code: "32",
        name: "Hauts-de-France",
    },
    Region {
        code: "44",
        name: "Grand Est",
    },
    Region {
        code: "52",
        name: "Pays de la Loire",
    },
    Region {
        code: "53",
        name: "Bretagne",
    },
    Region {
        code: "75",
        name: "Nouvelle-Aquitaine",
    },
    Region {
        code: "76",
        name: "Occitanie",
    },
    Region {
        code: "84",
        name: "Auvergne-Rhône-Alpes",
    },
    Region {
        code: "93",
        name: "Provence-Alpes-Côte d'Azur",
    },
    Region {
        code: "94",
        name: "Corse",
    },
];

/// Metropolitan départements by region (INSEE code of the region first).
const DEPARTMENTS: [(&str, &[&str]); 13] = [
    ("11", &["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("24", &["18", "28", "36", "37", "41", "45"]),
    ("27", &["21", "25", "39", "58", "70", "71", "89", "90"]),
    ("28", &["14", "27", "50", "61", "76"]),
    ("32", &["02", "59", "60", "62", "80"]),
    (
        "44",
        &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    ),
    ("52", &["44", "49", "53", "72", "85"]),
    ("53", &["22", "29", "35", "56"]),
    (
        "75",
        &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
        ],
    ),
    (
        "76",
        &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
    ),
    (
        "84",
        &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
        ],
    ),
    ("93", &["04", "05", "06", "13", "83", "84"]),
    ("94", &["2A", "2B"]),
];

/// The region of a code, if it is one of the 18.
pub fn by_code(code: &str) -> Option<Region> {
    REGIONS.iter().copied().find(|r| r.code == code)
}

/// The region of an establishment, from its FINESS. `None` only for
/// Saint-Pierre-et-Miquelon (no ARS).
pub fn of_finess(finess: &Finess) -> Option<Region> {
    let code = match finess.department() {
        "97" => match finess.as_str().get(3..4) {
            Some("1") => "01",
            Some("2") => "02",
            Some("3") => "03",
            Some("4") => "04",
            _ => return None,
        },
        "98" => "06",
        dept => DEPARTMENTS
            .iter()
            .find(|(_, depts)| depts.contains(&dept))
            .map(|(region, _)| *region)?,
    };
    by_code(code)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn region(first_eight: &str) -> Option<&'static str> {
        of_finess(&Finess::with_computed_key(first_eight).unwrap()).map(|r| r.name)
    }

    #[test]
    fn every_metropolitan_department_has_one_region() {
        let all: Vec<&str> = DEPARTMENTS
            .iter()
            .flat_map(|(_, d)| d.iter().copied())
            .collect();
        assert_eq!(all.len(), 96);
        let unique: std::collections::BTreeSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), 96);
        assert!(DEPARTMENTS.iter().all(|(r, _)| by_code(r).is_some()));
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
