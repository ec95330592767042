//! The 18 French regions, each with its ARS, and the département → region
//! table used to find where an establishment is from its FINESS.
//!
//! The funding desk (SPEC.md §6: "≥ 50 ESSMS in more than one region →
//! national") and the strata of the EU audit sample both need the region of an
//! establishment; the FINESS only tells its département. The table follows the
//! 2016 regions (loi n° 2015-29) with their INSEE codes; it must never change
//! silently, hence the test that checks it département by département.
//!
//! Saint-Pierre-et-Miquelon (FINESS 9705…) is not in any of the 18 regions: it
//! has an *administration territoriale de santé*, not an ARS, so `Region::of`
//! answers `None` and callers say so instead of guessing.

use crate::ids::{Finess, Territory};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    AuvergneRhoneAlpes,
    BourgogneFrancheComte,
    Bretagne,
    CentreValDeLoire,
    Corse,
    GrandEst,
    HautsDeFrance,
    IleDeFrance,
    Normandie,
    NouvelleAquitaine,
    Occitanie,
    PaysDeLaLoire,
    ProvenceAlpesCoteDAzur,
    Guadeloupe,
    Martinique,
    Guyane,
    LaReunion,
    Mayotte,
}

impl Region {
    pub const ALL: [Region; 18] = [
        Region::AuvergneRhoneAlpes,
        Region::BourgogneFrancheComte,
        Region::Bretagne,
        Region::CentreValDeLoire,
        Region::Corse,
        Region::GrandEst,
        Region::HautsDeFrance,
        Region::IleDeFrance,
        Region::Normandie,
        Region::NouvelleAquitaine,
        Region::Occitanie,
        Region::PaysDeLaLoire,
        Region::ProvenceAlpesCoteDAzur,
        Region::Guadeloupe,
        Region::Martinique,
        Region::Guyane,
        Region::LaReunion,
        Region::Mayotte,
    ];

    /// Official name, as INSEE writes it.
    pub fn label(self) -> &'static str {
        match self {
            Region::AuvergneRhoneAlpes => "Auvergne-Rhône-Alpes",
            Region::BourgogneFrancheComte => "Bourgogne-Franche-Comté",
            Region::Bretagne => "Bretagne",
            Region::CentreValDeLoire => "Centre-Val de Loire",
            Region::Corse => "Corse",
            Region::GrandEst => "Grand Est",
            Region::HautsDeFrance => "Hauts-de-France",
            Region::IleDeFrance => "Île-de-France",
            Region::Normandie => "Normandie",
            Region::NouvelleAquitaine => "Nouvelle-Aquitaine",
            Region::Occitanie => "Occitanie",
            Region::PaysDeLaLoire => "Pays de la Loire",
            Region::ProvenceAlpesCoteDAzur => "Provence-Alpes-Côte d'Azur",
            Region::Guadeloupe => "Guadeloupe",
            Region::Martinique => "Martinique",
            Region::Guyane => "Guyane",
            Region::LaReunion => "La Réunion",
            Region::Mayotte => "Mayotte",
        }
    }

    /// INSEE region code (COG): stable, and what national files use.
    pub fn insee_code(self) -> &'static str {
        match self {
            Region::AuvergneRhoneAlpes => "84",
            Region::BourgogneFrancheComte => "27",
            Region::Bretagne => "53",
            Region::CentreValDeLoire => "24",
            Region::Corse => "94",
            Region::GrandEst => "44",
            Region::HautsDeFrance => "32",
            Region::IleDeFrance => "11",
            Region::Normandie => "28",
            Region::NouvelleAquitaine => "75",
            Region::Occitanie => "76",
            Region::PaysDeLaLoire => "52",
            Region::ProvenceAlpesCoteDAzur => "93",
            Region::Guadeloupe => "01",
            Region::Martinique => "02",
            Region::Guyane => "03",
            Region::LaReunion => "04",
            Region::Mayotte => "06",
        }
    }

    /// The region of a metropolitan or Corsican département ("01"–"95",
    /// "2A", "2B"); `None` for anything else.
    pub fn of_department(department: &str) -> Option<Region> {
        use Region::*;
        let region =
            match department {
                "01" | "03" | "07" | "15" | "26" | "38" | "42" | "43" | "63" | "69" | "73"
                | "74" => AuvergneRhoneAlpes,
                "21" | "25" | "39" | "58" | "70" | "71" | "89" | "90" => BourgogneFrancheComte,
                "22" | "29" | "35" | "56" => Bretagne,
                "18" | "28" | "36" | "37" | "41" | "45" => CentreValDeLoire,
                "2A" | "2B" => Corse,
                "08" | "10" | "51" | "52" | "54" | "55" | "57" | "67" | "68" | "88" => GrandEst,
                "02" | "59" | "60" | "62" | "80" => HautsDeFrance,
                "75" | "77" | "78" | "91" | "92" | "93" | "94" | "95" => IleDeFrance,
                "14" | "27" | "50" | "61" | "76" => Normandie,
                "16" | "17" | "19" | "23" | "24" | "33" | "40" | "47" | "64" | "79" | "86"
                | "87" => NouvelleAquitaine,
                "09" | "11" | "12" | "30" | "31" | "32" | "34" | "46" | "48" | "65" | "66"
                | "81" | "82" => Occitanie,
                "44" | "49" | "53" | "72" | "85" => PaysDeLaLoire,
                "04" | "05" | "06" | "13" | "83" | "84" => ProvenceAlpesCoteDAzur,
                _ => return None,
            };
        Some(region)
    }

    /// The region (hence the ARS) of an establishment; `None` only for
    /// Saint-Pierre-et-Miquelon, which has no ARS.
    pub fn of(finess: &Finess) -> Option<Region> {
        match finess.territory() {
            Territory::Metropole | Territory::Corse => Region::of_department(finess.department()),
            Territory::Guadeloupe => Some(Region::Guadeloupe),
            Territory::Martinique => Some(Region::Martinique),
            Territory::Guyane => Some(Region::Guyane),
            Territory::Reunion => Some(Region::LaReunion),
            Territory::Mayotte => Some(Region::Mayotte),
            Territory::SaintPierreEtMiquelon => None,
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// French label of where an establishment is, for messages and strata.
pub fn region_label(region: Option<Region>) -> &'static str {
    match region {
        Some(region) => region.label(),
        None => "Saint-Pierre-et-Miquelon (hors ARS)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_department_has_exactly_one_of_the_thirteen_metropolitan_regions() {
        let mut departments: Vec<String> = (1..=95)
            .filter(|d| *d != 20)
            .map(|d| format!("{d:02}"))
            .collect();
        departments.extend(["2A".to_owned(), "2B".to_owned()]);
        let mut per_region = std::collections::BTreeMap::new();
        for d in &departments {
            let region = Region::of_department(d).unwrap_or_else(|| panic!("{d} sans région"));
            *per_region.entry(region).or_insert(0) += 1;
        }
        // Number of départements per region, from the INSEE COG.
        let expected = [
            (Region::AuvergneRhoneAlpes, 12),
            (Region::BourgogneFrancheComte, 8),
            (Region::Bretagne, 4),
            (Region::CentreValDeLoire, 6),
            (Region::Corse, 2),
            (Region::GrandEst, 10),
            (Region::HautsDeFrance, 5),
            (Region::IleDeFrance, 8),
            (Region::Normandie, 5),
            (Region::NouvelleAquitaine, 12),
            (Region::Occitanie, 13),
            (Region::PaysDeLaLoire, 5),
            (Region::ProvenceAlpesCoteDAzur, 6),
        ];
        assert_eq!(per_region.into_iter().collect::<Vec<_>>(), expected);
        assert_eq!(Region::of_department("20"), None);
        assert_eq!(Region::of_department("97"), None);
    }

    #[test]
    fn the_official_list_has_eighteen_regions_with_distinct_insee_codes() {
        let mut codes: Vec<&str> = Region::ALL.iter().map(|r| r.insee_code()).collect();
        codes.sort_unstable();
        assert_eq!(
            codes,
            [
                "01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75",
                "76", "84", "93", "94"
            ]
        );
    }

    #[test]
    fn region_of_a_finess() {
        let cases = [
            ("330780495", Some(Region::NouvelleAquitaine)),
            ("770002319", Some(Region::IleDeFrance)),
            ("970100012", Some(Region::Guadeloupe)),
            ("2A0000154", Some(Region::Corse)),
            ("2B0000038", Some(Region::Corse)),
        ];
        for (raw, region) in cases {
            let finess = Finess::parse(raw).unwrap();
            assert_eq!(Region::of(&finess), region, "{raw}");
        }
        let reunion = Finess::with_computed_key("97040001").unwrap();
        assert_eq!(Region::of(&reunion), Some(Region::LaReunion));
        let mayotte = Finess::with_computed_key("98000001").unwrap();
        assert_eq!(Region::of(&mayotte), Some(Region::Mayotte));
        let spm = Finess::with_computed_key("97050001").unwrap();
        assert_eq!(Region::of(&spm), None);
        assert_eq!(region_label(None), "Saint-Pierre-et-Miquelon (hors ARS)");
    }
}
