//! Generator of the collection bench's workbooks (issue 5): porteurs' "fichiers
//! de recueil" (SPEC.md §4.1) as they are exchanged, written with
//! rust_xlsxwriter, deterministic from a seed.
//!
//! The plan is drawn first (projects, their establishments, the periods each one
//! declares, the re-sent versions, the flaws), then each file is written from its
//! plan alone. Every file knows whether it must be accepted and whether its
//! report must be empty, so the bench can check that the platform read each file
//! as intended before it reports a figure.
//!
//! Shapes of real files, all found by text (SPEC.md §4.1) and none of them a
//! finding by itself: a title row merged above the header, headers with line
//! breaks, in capitals without accents, with typographic apostrophes, "MS Santé"
//! or "MSSanté"; dates as Excel dates or as text; GALIS as a number or as text;
//! optional counts left empty; a proof sheet under its exchanged name. A file
//! with a flaw has exactly one (see [`Flaw`]).

use std::path::{Path, PathBuf};

use anyhow::Context;
use carnet_core::Finess;
use jiff::ToSpan;
use jiff::civil::Date;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

/// What is generated.
#[derive(Debug, Clone)]
pub struct Params {
    pub files: usize,
    pub seed: u64,
    /// Share of files with one flaw, half warnings, half errors.
    pub flawed: f64,
    /// Share of (project, period) declarations sent a second time.
    pub resent: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            files: 2_000,
            seed: 7,
            flawed: 0.08,
            resent: 0.04,
        }
    }
}

/// One flaw of SPEC.md §4.1 put into a file: warnings leave it accepted,
/// errors refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flaw {
    /// "81 (dont 3 en accueil temporaire)" in a count cell (warning).
    CommentInCount,
    /// A "Total" row under the data (warning).
    TotalsRow,
    /// "732 829 320 00074" on every row (warning per row).
    SiretWithSpaces,
    /// One FINESS typed as a number (warning).
    FinessAsNumber,
    /// An "Observations" column the template does not have (warning).
    UnknownColumn,
    /// One FINESS with a wrong check key (error).
    BadFinessKey,
    /// H > F: more DUI with a care plan than DUI actifs (error).
    CarePlanAboveActifs,
    /// One row whose period ends before it starts (error).
    EndBeforeStart,
    /// "non communiqué" in a mandatory count (error).
    TextInCount,
    /// The same establishment on two rows (error).
    DuplicateFiness,
}

impl Flaw {
    const WARNINGS: [Flaw; 5] = [
        Flaw::CommentInCount,
        Flaw::TotalsRow,
        Flaw::SiretWithSpaces,
        Flaw::FinessAsNumber,
        Flaw::UnknownColumn,
    ];
    const ERRORS: [Flaw; 5] = [
        Flaw::BadFinessKey,
        Flaw::CarePlanAboveActifs,
        Flaw::EndBeforeStart,
        Flaw::TextInCount,
        Flaw::DuplicateFiness,
    ];

    pub fn is_error(self) -> bool {
        Self::ERRORS.contains(&self)
    }

    /// French label for the results page.
    pub fn label(self) -> &'static str {
        match self {
            Flaw::CommentInCount => "commentaire dans une cellule de nombre",
            Flaw::TotalsRow => "ligne de totaux",
            Flaw::SiretWithSpaces => "SIRET écrit avec des espaces",
            Flaw::FinessAsNumber => "FINESS saisi comme un nombre",
            Flaw::UnknownColumn => "colonne « Observations » hors modèle",
            Flaw::BadFinessKey => "FINESS à la clé fausse",
            Flaw::CarePlanAboveActifs => "H > F (PP au-delà des DUI actifs)",
            Flaw::EndBeforeStart => "fin de période avant le début",
            Flaw::TextInCount => "texte dans un nombre obligatoire",
            Flaw::DuplicateFiness => "même ESSMS sur deux lignes",
        }
    }
}

/// How the file is presented; no choice here makes a finding.
#[derive(Debug, Clone, Copy)]
struct Style {
    title_row: bool,
    text_dates: bool,
    galis_as_text: bool,
    headers: usize,
    data_sheet: usize,
    proof_sheet: usize,
}

#[derive(Debug, Clone)]
struct Establishment {
    finess: String,
    name: String,
    /// Persons accompanied in a month, roughly.
    capacity: u32,
}

#[derive(Debug, Clone)]
struct Project {
    galis: u32,
    siret: String,
    region: &'static str,
    establishments: Vec<Establishment>,
}

/// One establishment's figures (columns D..I; `None` = left empty).
#[derive(Debug, Clone, Copy)]
struct Figures {
    dmp: Option<u32>,
    mss: Option<u32>,
    actifs: u32,
    accompanied: u32,
    care_plan: Option<u32>,
    appointment: Option<u32>,
}

/// One workbook to write.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub name: String,
    project: usize,
    pub period: (Date, Date),
    /// 2 for a declaration sent again.
    pub version: u32,
    style: Style,
    rows: Vec<Figures>,
    pub flaw: Option<Flaw>,
    /// The row (index into `rows`) that carries a one-row flaw.
    target: usize,
}

impl FileSpec {
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Whether the platform must accept it.
    pub fn accepted(&self) -> bool {
        !self.flaw.is_some_and(Flaw::is_error)
    }
}

/// The whole plan: projects and files.
#[derive(Debug, Clone)]
pub struct Plan {
    projects: Vec<Project>,
    pub files: Vec<FileSpec>,
}

impl Plan {
    pub fn projects(&self) -> usize {
        self.projects.len()
    }

    pub fn rows(&self) -> usize {
        self.files.iter().map(FileSpec::rows).sum()
    }
}

const KINDS: [&str; 12] = [
    "EHPAD",
    "ESAT",
    "IME",
    "Foyer de vie",
    "SAVS",
    "SAMSAH",
    "SSIAD",
    "MAS",
    "FAM",
    "SAAD",
    "Foyer d'hébergement",
    "CHRS",
];
const NAMES: [&str; 16] = [
    "Les Tilleuls",
    "Le Clos Fleuri",
    "Les Ateliers du Val",
    "Les Sources",
    "La Roseraie",
    "Horizon",
    "Cap Avenir",
    "du Canton Nord",
    "Les Glycines",
    "Le Moulin",
    "Saint-Joseph",
    "La Passerelle",
    "Jean Moulin",
    "Les Cèdres",
    "Aide et Présence",
    "Les Mimosas",
];
const REGIONS: [(&str, [&str; 3]); 6] = [
    ("GIRONDE", ["33", "24", "47"]),
    ("NORMANDIE", ["14", "50", "76"]),
    ("OCCITANIE", ["31", "34", "66"]),
    ("BRETAGNE", ["29", "35", "56"]),
    ("GRAND EST", ["57", "67", "68"]),
    ("CORSE", ["2A", "2B", "2A"]),
];

/// Establishments per project, hence rows per file: many small projects, a
/// few large grappes (mean ≈ 20).
fn project_size(rng: &mut ChaCha8Rng) -> usize {
    let p: f64 = rng.random();
    if p < 0.45 {
        rng.random_range(1..=8)
    } else if p < 0.80 {
        rng.random_range(9..=32)
    } else if p < 0.95 {
        rng.random_range(33..=64)
    } else {
        rng.random_range(65..=120)
    }
}

/// A valid SIRET (Luhn), never one of La Poste's.
fn siret(rng: &mut ChaCha8Rng) -> String {
    loop {
        let body = format!(
            "{}{:012}",
            rng.random_range(1..=9u8),
            rng.random_range(0..1_000_000_000_000u64)
        );
        if body.starts_with("356") {
            continue;
        }
        for key in 0..10 {
            let candidate = format!("{body}{key}");
            if carnet_core::Siret::parse(&candidate).is_ok() {
                return candidate;
            }
        }
    }
}

fn month_start(year: i16, month: i8) -> Date {
    jiff::civil::date(year, month, 1)
}

fn last_day(start: Date, months: i32) -> Date {
    start
        .checked_add(months.months())
        .and_then(|d| d.checked_sub(1.day()))
        .unwrap_or(start)
}

fn figures(rng: &mut ChaCha8Rng, e: &Establishment) -> Figures {
    let accompanied = (f64::from(e.capacity) * rng.random_range(0.85..1.1)).round() as u32;
    let accompanied = accompanied.max(1);
    let actifs = (f64::from(accompanied) * rng.random_range(0.45..1.0)).round() as u32;
    let optional = |rng: &mut ChaCha8Rng, max: u32| {
        (!rng.random_bool(0.06)).then(|| rng.random_range(0..=max))
    };
    Figures {
        dmp: optional(rng, actifs),
        mss: optional(rng, accompanied.saturating_mul(3)),
        actifs,
        accompanied,
        care_plan: optional(rng, actifs),
        appointment: optional(rng, actifs),
    }
}

/// Draws the plan: projects until `params.files` files are planned.
pub fn plan(params: &Params) -> anyhow::Result<Plan> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut projects = Vec::new();
    let mut files = Vec::new();
    let mut next_finess = 100u32;
    while files.len() < params.files {
        let index = projects.len();
        let (region, depts) = REGIONS[rng.random_range(0..REGIONS.len())];
        let mut establishments = Vec::new();
        for i in 0..project_size(&mut rng) {
            let dept = depts[rng.random_range(0..depts.len())];
            next_finess += 1;
            let finess = Finess::with_computed_key(&format!("{dept}0{next_finess:05}"))
                .with_context(|| format!("FINESS {dept}0{next_finess:05}"))?;
            establishments.push(Establishment {
                finess: finess.to_string(),
                name: format!(
                    "{} {}",
                    KINDS[rng.random_range(0..KINDS.len())],
                    NAMES[(i + rng.random_range(0..NAMES.len())) % NAMES.len()]
                ),
                capacity: rng.random_range(8..=260),
            });
        }
        let project = Project {
            galis: 1000 + u32::try_from(index)?,
            siret: siret(&mut rng),
            region,
            establishments,
        };
        // From September 2023 (first measures) to mid-2025.
        let first = rng.random_range(0..22i32);
        let mut start = month_start(2023, 9)
            .checked_add(first.months())
            .context("date de début")?;
        let quarterly = rng.random_bool(0.2);
        let declarations = rng.random_range(1..=8usize);
        // The house style of the porteur: the same from one month to the next.
        let style = Style {
            title_row: rng.random_bool(0.5),
            text_dates: rng.random_bool(0.4),
            galis_as_text: rng.random_bool(0.3),
            headers: rng.random_range(0..4),
            data_sheet: if rng.random_bool(0.9) {
                0
            } else {
                rng.random_range(1..3)
            },
            proof_sheet: rng.random_range(0..2),
        };
        for k in 0..declarations {
            // The first measure covers 3 months (SPEC.md §3), then monthly or quarterly.
            let months = if k == 0 || quarterly { 3 } else { 1 };
            let period = (start, last_day(start, months));
            start = start.checked_add(months.months()).context("période")?;
            let sends = if rng.random_bool(params.resent) { 2 } else { 1 };
            for version in 1..=sends {
                let mut flaw = rng.random_bool(params.flawed).then(|| {
                    let pool = if rng.random_bool(0.5) {
                        &Flaw::WARNINGS
                    } else {
                        &Flaw::ERRORS
                    };
                    pool[rng.random_range(0..pool.len())]
                });
                let mut target = rng.random_range(0..project.establishments.len());
                if flaw == Some(Flaw::FinessAsNumber) {
                    // Only an all-digit FINESS can be typed as a number (not 2A/2B).
                    match project
                        .establishments
                        .iter()
                        .position(|e| e.finess.bytes().all(|b| b.is_ascii_digit()))
                    {
                        Some(i) => target = i,
                        None => flaw = Some(Flaw::CommentInCount),
                    }
                }
                let rows = project
                    .establishments
                    .iter()
                    .map(|e| figures(&mut rng, e))
                    .collect();
                let suffix = if version > 1 { "_v2" } else { "" };
                files.push(FileSpec {
                    name: format!(
                        "recueil_{}_{}{suffix}.xlsx",
                        project.galis,
                        period.0.strftime("%Y-%m")
                    ),
                    project: index,
                    period,
                    version,
                    style,
                    rows,
                    flaw,
                    target,
                });
            }
        }
        projects.push(project);
    }
    files.truncate(params.files);
    Ok(Plan { projects, files })
}

const HEADER_VARIANTS: [[&str; 12]; 4] = [
    [
        "Référence GALIS",
        "SIRET Porteur",
        "FINESS Géographique",
        "Nom de l'ESSMS",
        "Nombre de DMP alimentés",
        "Nombre de messages envoyés via la MS Santé",
        "Nombre de DUI actifs",
        "Nombre de personnes accompagnées par la structure",
        "Nombre de DUI avec projet personnalisé",
        "Nombre de DUI avec au moins un événement d'agenda",
        "Premier jour de la période de recueil",
        "Dernier jour de la période de recueil",
    ],
    [
        "Référence\nGALIS",
        "SIRET\nPorteur",
        "FINESS\nGéographique",
        "Nom de l'ESSMS",
        "Nombre de\nDMP alimentés",
        "Nombre de\nmessages envoyés via la MS Santé",
        "Nombre de\nDUI actifs",
        "Nombre de\npersonnes accompagnées par la structure",
        "Nombre de\nDUI avec projet personnalisé",
        "Nombre de\nDUI avec au moins un événement d'agenda",
        "Premier jour de la\npériode de recueil",
        "Dernier jour de la\npériode de recueil",
    ],
    [
        "REFERENCE GALIS",
        "SIRET PORTEUR",
        "FINESS GEOGRAPHIQUE",
        "NOM DE L'ESSMS",
        "NOMBRE DE DMP ALIMENTES",
        "NOMBRE DE MESSAGES ENVOYES VIA LA MSSANTE",
        "NOMBRE DE DUI ACTIFS",
        "NOMBRE DE PERSONNES ACCOMPAGNEES PAR LA STRUCTURE",
        "NOMBRE DE DUI AVEC PROJET PERSONNALISE",
        "NOMBRE DE DUI AVEC AU MOINS UN EVENEMENT D'AGENDA",
        "PREMIER JOUR DE LA PERIODE DE RECUEIL",
        "DERNIER JOUR DE LA PERIODE DE RECUEIL",
    ],
    [
        "Référence  GALIS ",
        "SIRET  Porteur",
        "FINESS  Géographique",
        "Nom de l’ESSMS",
        "Nombre de DMP alimentés ",
        "Nombre de messages envoyés via la MSSanté",
        "Nombre de DUI  actifs",
        "Nombre de personnes accompagnées par la structure ",
        "Nombre de DUI avec projet personnalisé",
        "Nombre de DUI avec au moins un événement d’agenda",
        "Premier jour de la période de recueil ",
        "Dernier jour de la période de recueil ",
    ],
];
const DATA_SHEETS: [&str; 3] = [
    "Liste des mesures d'usage",
    "Liste des mesures d’usage",
    "Liste mesures usage",
];
const PROOF_SHEETS: [&str; 2] = ["Preuves d'usage", "Capture d'écran pour DUI Actifs"];
const INSTRUCTIONS: [&str; 13] = [
    "Ce document vous permet de déclarer à l'ARS les mesures d'usage pour les ESSMS parties au projet.",
    "",
    "A Référence GALIS",
    "B SIRET Porteur",
    "C FINESS Géographique",
    "D Nombre de DMP alimentés",
    "E Nombre de messages envoyés via la MS Santé",
    "F Nombre de DUI actifs",
    "G Nombre de personnes accompagnées par la structure",
    "H Nombre de DUI avec projet personnalisé",
    "I Nombre de DUI avec au moins un événement d'agenda",
    "J Premier jour de la période de recueil",
    "K Dernier jour de la période de recueil",
];

fn french(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// Breaks a valid FINESS's key.
fn wrong_key(finess: &str) -> String {
    let (body, key) = finess.split_at(8);
    let key = key.parse::<u8>().unwrap_or(0);
    format!("{body}{}", (key + 3) % 10)
}

fn spaced_siret(siret: &str) -> String {
    format!(
        "{} {} {} {}",
        &siret[..3],
        &siret[3..6],
        &siret[6..9],
        &siret[9..]
    )
}

struct Formats {
    date: Format,
    header: Format,
    title: Format,
}

fn write_date(
    sheet: &mut Worksheet,
    formats: &Formats,
    text: bool,
    r: u32,
    c: u16,
    d: Date,
) -> anyhow::Result<()> {
    if text {
        sheet.write_string(r, c, french(d))?;
    } else {
        let dt = ExcelDateTime::from_ymd(
            u16::try_from(d.year())?,
            u8::try_from(d.month())?,
            u8::try_from(d.day())?,
        )?;
        sheet.write_datetime_with_format(r, c, &dt, &formats.date)?;
    }
    Ok(())
}

fn write_optional(sheet: &mut Worksheet, r: u32, c: u16, n: Option<u32>) -> anyhow::Result<()> {
    if let Some(n) = n {
        sheet.write_number(r, c, f64::from(n))?;
    }
    Ok(())
}

/// Writes one workbook from its plan.
pub fn write(plan: &Plan, spec: &FileSpec, path: &Path) -> anyhow::Result<()> {
    let project = &plan.projects[spec.project];
    let style = spec.style;
    let flaw = spec.flaw;
    let formats = Formats {
        date: Format::new().set_num_format("dd/mm/yyyy"),
        header: Format::new().set_bold().set_text_wrap(),
        title: Format::new().set_bold().set_align(FormatAlign::Center),
    };
    let mut workbook = Workbook::new();

    let consignes = workbook.add_worksheet();
    consignes.set_name("Consignes")?;
    consignes.set_column_width(0, 90)?;
    for (r, line) in INSTRUCTIONS.iter().enumerate() {
        if !line.is_empty() {
            consignes.write_string(u32::try_from(r)?, 0, *line)?;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(DATA_SHEETS[style.data_sheet])?;
    let mut r: u32 = 0;
    if style.title_row {
        let title = format!(
            "PROJET {} {} - Recueil pour {}",
            project.region,
            project.galis,
            spec.period.0.strftime("%m/%Y")
        );
        sheet.merge_range(0, 0, 0, 11, &title, &formats.title)?;
        r = 1;
    }
    let headers = HEADER_VARIANTS[style.headers];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(r, u16::try_from(c)?, *h, &formats.header)?;
        sheet.set_column_width(u16::try_from(c)?, 18)?;
    }
    if flaw == Some(Flaw::UnknownColumn) {
        sheet.write_string_with_format(r, 12, "Observations", &formats.header)?;
    }
    let header_row = r;
    let mut order: Vec<usize> = (0..spec.rows.len()).collect();
    if flaw == Some(Flaw::DuplicateFiness) {
        // The last establishment typed twice, with other figures.
        order.push(spec.rows.len() - 1);
    }
    let siret = if flaw == Some(Flaw::SiretWithSpaces) {
        spaced_siret(&project.siret)
    } else {
        project.siret.clone()
    };
    let target = spec.target;
    for (k, &i) in order.iter().enumerate() {
        r = header_row + 1 + u32::try_from(k)?;
        let e = &project.establishments[i];
        let mut f = spec.rows[i];
        if k != i {
            f.actifs = f.actifs.saturating_sub(1);
        }
        if style.galis_as_text {
            sheet.write_string(r, 0, project.galis.to_string())?;
        } else {
            sheet.write_number(r, 0, f64::from(project.galis))?;
        }
        sheet.write_string(r, 1, &siret)?;
        match flaw {
            Some(Flaw::BadFinessKey) if k == target => {
                sheet.write_string(r, 2, wrong_key(&e.finess))?;
            }
            Some(Flaw::FinessAsNumber) if k == target => {
                sheet.write_number(r, 2, e.finess.parse::<f64>()?)?;
            }
            _ => {
                sheet.write_string(r, 2, &e.finess)?;
            }
        }
        sheet.write_string(r, 3, &e.name)?;
        write_optional(sheet, r, 4, f.dmp)?;
        write_optional(sheet, r, 5, f.mss)?;
        match flaw {
            Some(Flaw::TextInCount) if k == target => {
                sheet.write_string(r, 6, "non communiqué")?;
            }
            _ => {
                sheet.write_number(r, 6, f64::from(f.actifs))?;
            }
        }
        match flaw {
            Some(Flaw::CommentInCount) if k == target => {
                sheet.write_string(
                    r,
                    7,
                    format!("{} (dont 3 en accueil temporaire)", f.accompanied),
                )?;
            }
            _ => {
                sheet.write_number(r, 7, f64::from(f.accompanied))?;
            }
        }
        match flaw {
            Some(Flaw::CarePlanAboveActifs) if k == target => {
                sheet.write_number(r, 8, f64::from(f.actifs + 1 + f.actifs / 4))?;
            }
            _ => write_optional(sheet, r, 8, f.care_plan)?,
        }
        write_optional(sheet, r, 9, f.appointment)?;
        let (start, end) = spec.period;
        write_date(sheet, &formats, style.text_dates, r, 10, start)?;
        let end = if flaw == Some(Flaw::EndBeforeStart) && k == target {
            start.checked_sub(1.day()).unwrap_or(start)
        } else {
            end
        };
        write_date(sheet, &formats, style.text_dates, r, 11, end)?;
        if flaw == Some(Flaw::UnknownColumn) && k == target {
            sheet.write_string(r, 12, "chiffres provisoires, à confirmer")?;
        }
    }
    if flaw == Some(Flaw::TotalsRow) {
        let sum = |get: fn(&Figures) -> Option<u32>| -> f64 {
            spec.rows.iter().filter_map(get).map(f64::from).sum()
        };
        r += 1;
        sheet.write_string(r, 3, "Total")?;
        sheet.write_number(r, 4, sum(|f| f.dmp))?;
        sheet.write_number(r, 5, sum(|f| f.mss))?;
        sheet.write_number(r, 6, sum(|f| Some(f.actifs)))?;
        sheet.write_number(r, 7, sum(|f| Some(f.accompanied)))?;
        sheet.write_number(r, 8, sum(|f| f.care_plan))?;
        sheet.write_number(r, 9, sum(|f| f.appointment))?;
    }

    let proof = workbook.add_worksheet();
    proof.set_name(PROOF_SHEETS[style.proof_sheet])?;
    if style.proof_sheet == 0 {
        proof.write_string(
            0,
            0,
            "Preuves jointes au dépôt (captures d'écran du logiciel de DUI)",
        )?;
    }
    workbook
        .save(path)
        .with_context(|| format!("écriture de {}", path.display()))?;
    Ok(())
}

/// Writes every planned file into `dir` (created), on `threads` threads.
/// Returns the paths, in plan order.
pub fn write_all(plan: &Plan, dir: &Path, threads: usize) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    let paths: Vec<PathBuf> = plan.files.iter().map(|f| dir.join(&f.name)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(spec) = plan.files.get(i) else {
                            return Ok(());
                        };
                        write(plan, spec, &paths[i])?;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("un fil d'écriture a paniqué"))??;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(paths)
}
