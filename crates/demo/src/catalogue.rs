//! The establishments of the demo organisation: category, sector, place,
//! capacity, how long people stay, and how well each team uses the software.

use crate::texts::Audience;
use carnet_core::model::{Category, Sector, StayMode};

/// How a team uses the software; drives the unevenness of the indicators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Share of records professionals actually write in.
    pub coverage: f64,
    /// Business events per used record and day (before the audience's rhythm).
    pub intensity: f64,
    /// Share of used records with a projet personnalisé.
    pub care_plans: f64,
    /// Agenda events per used record and month.
    pub appointments: f64,
    /// Share of eligible documents sent to the DMP.
    pub dmp: f64,
    /// MSSanté messages per used record and month.
    pub messages: f64,
    /// The software was adopted this many days before `today` (data before were
    /// imported); `None`: before the demo window.
    pub adopted_days_ago: Option<i32>,
    /// The team stopped using the software (SPEC: "one that stopped two months
    /// ago"): nothing is recorded after this.
    pub stopped: bool,
}

pub const EXEMPLARY: Usage = Usage {
    coverage: 0.995,
    intensity: 0.30,
    care_plans: 0.98,
    appointments: 2.5,
    dmp: 0.85,
    messages: 0.5,
    adopted_days_ago: None,
    stopped: false,
};
pub const GOOD: Usage = Usage {
    coverage: 0.95,
    intensity: 0.22,
    care_plans: 0.9,
    appointments: 1.8,
    dmp: 0.6,
    messages: 0.3,
    adopted_days_ago: None,
    stopped: false,
};
pub const MEDIUM: Usage = Usage {
    coverage: 0.72,
    intensity: 0.12,
    care_plans: 0.6,
    appointments: 0.8,
    dmp: 0.3,
    messages: 0.12,
    adopted_days_ago: None,
    stopped: false,
};
pub const POOR: Usage = Usage {
    coverage: 0.32,
    intensity: 0.06,
    care_plans: 0.25,
    appointments: 0.3,
    dmp: 0.05,
    messages: 0.03,
    adopted_days_ago: None,
    stopped: false,
};
pub const STOPPED: Usage = Usage {
    stopped: true,
    ..GOOD
};
pub const STARTING: Usage = Usage {
    adopted_days_ago: Some(150),
    ..MEDIUM
};

/// One establishment of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub category: Category,
    pub sector: Sector,
    pub name: &'static str,
    /// Département (2 characters, "97" + territory for overseas: "974").
    pub department: &'static str,
    pub city: &'static str,
    pub capacity: u32,
    /// Mean length of a stay, in days.
    pub mean_stay_days: f64,
    pub modes: &'static [StayMode],
    pub audience: Audience,
    /// Ages at admission (years).
    pub ages: (i32, i32),
    /// Activity only on weekdays (day services).
    pub weekdays_only: bool,
    /// Medical follow-up (documents of care, RPPS professionals).
    pub medical: bool,
    pub usage: Usage,
}

use StayMode::*;

#[allow(clippy::too_many_arguments)] // a table row, read column by column
const fn t(
    category: Category,
    sector: Sector,
    name: &'static str,
    department: &'static str,
    city: &'static str,
    capacity: u32,
    mean_stay_days: f64,
    modes: &'static [StayMode],
    audience: Audience,
    ages: (i32, i32),
    weekdays_only: bool,
    medical: bool,
    usage: Usage,
) -> Template {
    Template {
        category,
        sector,
        name,
        department,
        city,
        capacity,
        mean_stay_days,
        modes,
        audience,
        ages,
        weekdays_only,
        medical,
        usage,
    }
}

/// The standard organisation: about twenty establishments, every usage profile.
#[rustfmt::skip]
pub const STANDARD: &[Template] = &[
    t(Category::Ehpad, Sector::PersonnesAgees, "EHPAD Les Tilleuls", "33", "Bordeaux", 90, 900.0, &[HebergementPermanent, HebergementPermanent, HebergementPermanent, HebergementTemporaire], Audience::Elderly, (72, 99), false, true, EXEMPLARY),
    t(Category::Ehpad, Sector::PersonnesAgees, "EHPAD Résidence du Parc", "33", "Libourne", 80, 900.0, &[HebergementPermanent], Audience::Elderly, (74, 99), false, true, GOOD),
    t(Category::Ehpad, Sector::PersonnesAgees, "EHPAD La Roseraie", "24", "Périgueux", 70, 900.0, &[HebergementPermanent, HebergementTemporaire], Audience::Elderly, (75, 100), false, true, POOR),
    t(Category::ResidenceAutonomie, Sector::PersonnesAgees, "Résidence autonomie Les Glycines", "33", "Mérignac", 55, 1500.0, &[HebergementPermanent], Audience::Elderly, (65, 92), false, false, MEDIUM),
    t(Category::Ssiad, Sector::Domicile, "SSIAD du Libournais", "33", "Libourne", 60, 320.0, &[Domicile], Audience::Home, (62, 98), false, true, GOOD),
    t(Category::Saad, Sector::Domicile, "Service d'aide à domicile Présence Gironde", "33", "Talence", 90, 500.0, &[Domicile], Audience::Home, (60, 98), false, false, MEDIUM),
    t(Category::Ime, Sector::Handicap, "IME Les Cigales", "33", "Pessac", 65, 1400.0, &[Externat, Externat, Internat], Audience::Child, (5, 17), true, false, EXEMPLARY),
    t(Category::Ime, Sector::Handicap, "IME L'Envol", "47", "Agen", 50, 1400.0, &[Externat, Internat], Audience::Child, (6, 17), true, false, POOR),
    t(Category::Sessad, Sector::Handicap, "SESSAD Les Petits Pas", "33", "Gradignan", 40, 900.0, &[MilieuOrdinaire], Audience::Child, (3, 16), true, false, MEDIUM),
    t(Category::Esat, Sector::Handicap, "ESAT Les Ateliers de l'Estuaire", "33", "Blaye", 85, 3000.0, &[AccueilJour], Audience::Work, (19, 58), true, false, GOOD),
    t(Category::Esat, Sector::Handicap, "ESAT du Val de Garonne", "47", "Marmande", 70, 3000.0, &[AccueilJour], Audience::Work, (19, 58), true, false, STOPPED),
    t(Category::FoyerVie, Sector::Handicap, "Foyer de vie Les Hirondelles", "33", "Cenon", 40, 2500.0, &[HebergementPermanent, HebergementPermanent, AccueilJour], Audience::Residential, (20, 65), false, false, GOOD),
    t(Category::FoyerHebergement, Sector::Handicap, "Foyer d'hébergement Le Phare", "33", "Blaye", 35, 2500.0, &[HebergementPermanent], Audience::Residential, (20, 60), false, false, MEDIUM),
    t(Category::Fam, Sector::Handicap, "FAM Les Jardins d'Aliénor", "24", "Bergerac", 40, 3000.0, &[HebergementPermanent, AccueilJour], Audience::Residential, (20, 65), false, true, EXEMPLARY),
    t(Category::Mas, Sector::Handicap, "MAS Le Moulin de Lacanau", "40", "Mont-de-Marsan", 45, 3500.0, &[HebergementPermanent], Audience::Residential, (20, 70), false, true, GOOD),
    t(Category::Savs, Sector::Handicap, "SAVS Cap Autonomie", "33", "Bordeaux", 55, 800.0, &[MilieuOrdinaire], Audience::Home, (20, 62), true, false, POOR),
    t(Category::Samsah, Sector::Handicap, "SAMSAH Trait d'Union", "33", "Lormont", 35, 800.0, &[MilieuOrdinaire, Domicile], Audience::Home, (20, 62), true, true, STARTING),
    t(Category::Mecs, Sector::ProtectionEnfance, "MECS La Passerelle", "33", "Bègles", 35, 500.0, &[Internat], Audience::Child, (6, 17), false, false, MEDIUM),
    t(Category::Chrs, Sector::AccueilHebergementInsertion, "CHRS L'Escale", "33", "Bordeaux", 40, 220.0, &[HebergementTemporaire], Audience::Social, (18, 64), false, false, POOR),
    t(Category::Ehpad, Sector::PersonnesAgees, "EHPAD Les Filaos", "974", "Saint-Denis", 75, 900.0, &[HebergementPermanent], Audience::Elderly, (70, 99), false, true, GOOD),
];

/// Other départements used by the large organisation, to spread FINESS numbers.
pub const LARGE_DEPARTMENTS: &[&str] = &[
    "33", "24", "47", "40", "64", "16", "17", "19", "23", "79", "86", "87", "31", "13", "69", "59",
    "2A", "2B", "971", "972", "973", "974", "976",
];
