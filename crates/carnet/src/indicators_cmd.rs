//! `carnet indicators`: the ESMS numérique figures of SPEC.md §3 for a
//! period, as a French table, JSON (the engine's report object) or CSV, and
//! with `--explain` every record with its verdicts and reasons.
//!
//! Also the helpers the other reporting commands share: the period
//! arguments, French date parsing, and the choice of establishments by
//! FINESS, and the rule set to apply (the organisation's active one). Figures
//! always come from the store (`Db::indicators`, the activity index through
//! `carnet_core::indicators`); nothing is counted here.

use crate::cli::DbArg;
use crate::commands::{connect, system, today_in_paris};
use anyhow::{Context, bail};
use carnet_core::indicators::{
    EstablishmentExplanation, Explained, Indicator, IndicatorReport, Period, Rate, RuleSet,
    TargetStatus,
};
use carnet_core::model::{Establishment, Organisation, OrganisationId};
use carnet_store::{Db, Scope};
use jiff::civil::Date;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// The measurement period: `--from`/`--to`, or a preset of the rule set.
#[derive(Debug, Clone, clap::Args)]
pub struct PeriodArgs {
    /// Premier jour de la période, inclus (AAAA-MM-JJ ou JJ/MM/AAAA)
    #[arg(long)]
    pub from: Option<String>,
    /// Dernier jour de la période, inclus (AAAA-MM-JJ ou JJ/MM/AAAA)
    #[arg(long)]
    pub to: Option<String>,
    /// Période prédéfinie : mois (mois écoulé), 3mois ou 6mois (mois complets avant aujourd'hui)
    #[arg(long)]
    pub preset: Option<String>,
    /// Date du jour pour --preset (AAAA-MM-JJ) ; par défaut aujourd'hui à Paris
    #[arg(long)]
    pub today: Option<String>,
}

/// French rendering of a date argument's error.
pub fn parse_date(option: &str, value: &str) -> anyhow::Result<Date> {
    let v = value.trim();
    let parsed = if let Some((d, rest)) = v.split_once('/') {
        rest.split_once('/').and_then(|(m, y)| {
            let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
            Date::new(y, m, d).ok()
        })
    } else {
        v.parse::<Date>().ok()
    };
    match parsed {
        Some(d) => Ok(d),
        None => bail!(
            "date invalide pour {option} : « {value} » (attendu AAAA-MM-JJ ou JJ/MM/AAAA, \
             par exemple 2026-10-31)"
        ),
    }
}

impl PeriodArgs {
    pub fn resolve(&self, rules: &RuleSet) -> anyhow::Result<Period> {
        match (&self.preset, &self.from, &self.to) {
            (Some(code), None, None) => {
                let Some(preset) = rules.preset(code) else {
                    let known: Vec<&str> = rules.presets.iter().map(|p| p.code.as_str()).collect();
                    bail!(
                        "période prédéfinie « {code} » inconnue (valeurs possibles : {})",
                        known.join(", ")
                    );
                };
                let today = match &self.today {
                    Some(t) => parse_date("--today", t)?,
                    None => today_in_paris(),
                };
                Ok(preset.period(today)?)
            }
            (Some(_), _, _) => {
                bail!("donnez soit --preset, soit --from et --to, pas les deux")
            }
            (None, Some(from), Some(to)) => {
                let from = parse_date("--from", from)?;
                let to = parse_date("--to", to)?;
                Ok(Period::new(from, to)?)
            }
            (None, _, _) => bail!(
                "période manquante : donnez --from et --to (par exemple --from 2026-08-01 \
                 --to 2026-10-31) ou --preset mois|3mois|6mois"
            ),
        }
    }
}

/// Output format of the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tableau en français (par défaut)
    Table,
    /// Objet JSON du moteur d'indicateurs
    Json,
    /// CSV (séparateur « ; »), une ligne d'en-tête
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// FINESS géographique d'un établissement (répétable) ; par défaut tous
    #[arg(long)]
    pub finess: Vec<String>,
    /// Format de sortie
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Liste chaque dossier avec, pour chaque indicateur, compté ou non et pourquoi
    #[arg(long)]
    pub explain: bool,
}

/// The establishments chosen by FINESS (all of every organisation when none
/// is given), in the order of the store, with their organisations.
pub struct Selection {
    pub organisations: Vec<Organisation>,
    pub establishments: Vec<Establishment>,
}

impl Selection {
    pub fn organisation_of(&self, e: &Establishment) -> anyhow::Result<&Organisation> {
        self.organisations
            .iter()
            .find(|o| o.id == e.organisation_id)
            .with_context(|| format!("organisme de l'établissement {} introuvable", e.finess))
    }
}

pub async fn select(db: &Db, finess: &[String]) -> anyhow::Result<Selection> {
    let organisations = db.organisations().await?;
    if organisations.is_empty() {
        bail!("la base ne contient aucun organisme : lancez « carnet demo » ou « carnet import »");
    }
    let mut all = Vec::new();
    for o in &organisations {
        all.extend(db.establishments(&Scope::whole(o.id)).await?);
    }
    let establishments = if finess.is_empty() {
        all
    } else {
        let mut chosen = Vec::new();
        for f in finess {
            let wanted = f.split_whitespace().collect::<String>();
            match all.iter().find(|e| e.finess.as_str() == wanted) {
                Some(e) if chosen.iter().any(|c: &Establishment| c.id == e.id) => {}
                Some(e) => chosen.push(e.clone()),
                None => bail!(
                    "FINESS « {f} » inconnu : aucun établissement de la base n'a ce FINESS \
                     géographique (voir « carnet indicators » sans --finess pour la liste)"
                ),
            }
        }
        chosen
    };
    Ok(Selection {
        organisations,
        establishments,
    })
}

/// The rules to apply to the chosen establishments: the active rule set of
/// their organisation, the default being stored on first use (by `command`,
/// the audit actor). A report names one rule set, so establishments of
/// organisations whose rules differ cannot be counted together.
pub async fn rules_for(
    db: &Db,
    command: &'static str,
    selection: &Selection,
) -> anyhow::Result<RuleSet> {
    let mut organisations: Vec<OrganisationId> = if selection.establishments.is_empty() {
        selection.organisations.iter().map(|o| o.id).collect()
    } else {
        selection
            .establishments
            .iter()
            .map(|e| e.organisation_id)
            .collect()
    };
    organisations.sort();
    organisations.dedup();
    let ctx = system(command);
    let name = |id: OrganisationId| {
        selection
            .organisations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    let mut first: Option<(OrganisationId, carnet_store::StoredRuleSet)> = None;
    for organisation in organisations {
        let stored = db.rule_set(&ctx, organisation).await?;
        match &first {
            None => first = Some((organisation, stored)),
            Some((other, chosen)) if chosen.sha256 != stored.sha256 => bail!(
                "les établissements choisis relèvent d'organismes aux règles de comptage \
                 différentes (« {} » pour {}, « {} » pour {}) : choisissez-les avec --finess, \
                 organisme par organisme",
                chosen.rules.id,
                name(*other),
                stored.rules.id,
                name(organisation)
            ),
            Some(_) => {}
        }
    }
    first
        .map(|(_, stored)| stored.rules)
        .context("la base ne contient aucun organisme")
}

pub async fn report(
    db: &Db,
    rules: &RuleSet,
    period: Period,
    establishments: &[Establishment],
) -> anyhow::Result<IndicatorReport> {
    Ok(db.indicators(rules, period, establishments).await?)
}

pub async fn run(args: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    match print(args).await {
        // `carnet indicators --explain | head`: a reader that stops early is
        // not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

async fn print(args: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    let db = connect(&args.db.db).await?;
    let selection = select(&db, &args.finess).await?;
    let rules = rules_for(&db, "indicators", &selection).await?;
    let period = args.period.resolve(&rules)?;
    let mut out = std::io::stdout().lock();
    if args.explain {
        let explained = db
            .explain_indicators(&rules, period, &selection.establishments)
            .await?;
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&explained)?)?,
            Format::Csv => write_explain_csv(&mut out, &explained)?,
            Format::Table => {
                for e in &explained {
                    write_explain_table(&mut out, e)?;
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = report(&db, &rules, period, &selection.establishments).await?;
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Csv => write_csv(&mut out, &report)?,
        Format::Table => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            write_table(&mut out, &report, &rules, colour)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `text` cut or padded to `width` characters (not bytes: names are French).
fn cell(text: &str, width: usize, right: bool) -> String {
    let count = text.chars().count();
    let text: String = if count > width {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        text.to_owned()
    };
    let pad = " ".repeat(width.saturating_sub(text.chars().count()));
    if right {
        format!("{pad}{text}")
    } else {
        format!("{text}{pad}")
    }
}

/// A rate padded, in green (target met) or red (missed) on a terminal.
fn rate_cell(rate: &Rate, width: usize, colour: bool) -> String {
    let text = cell(&rate.display(), width, true);
    if !colour {
        return text;
    }
    let code = match rate.status {
        TargetStatus::Atteint => "32",
        TargetStatus::NonAtteint => "31",
        TargetStatus::NonCalculable => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

const COUNT_HEADERS: [&str; 6] = [
    "DUI actifs",
    "Pers. acc.",
    "DUI+PP",
    "DUI+agenda",
    "DMP",
    "MSSanté",
];
const RATE_HEADERS: [&str; 5] = ["% actifs", "% PP", "% agenda", "% DMP", "% MSS"];

fn write_table(
    out: &mut impl Write,
    report: &IndicatorReport,
    rules: &RuleSet,
    colour: bool,
) -> anyhow::Result<()> {
    let t = rules.targets;
    writeln!(
        out,
        "Indicateurs d'usage ESMS numérique, période {} (règles {})",
        report.period.label(),
        report.rule_set_id
    )?;
    writeln!(
        out,
        "Cibles : actifs {} %, PP {} %, agenda {} %, DMP {} %, MSSanté {} %{}",
        t.active,
        t.care_plan,
        t.appointment,
        t.dmp,
        t.mss,
        if colour {
            " (vert : atteinte, rouge : non atteinte)"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    let mut header = format!("{} {}", cell("FINESS", 9, false), cell("Nom", 34, false));
    for h in COUNT_HEADERS {
        header.push(' ');
        header.push_str(&cell(h, 10, true));
    }
    for h in RATE_HEADERS {
        header.push(' ');
        header.push_str(&cell(h, 8, true));
    }
    writeln!(out, "{header}")?;
    for e in &report.establishments {
        let f = &e.figures;
        let mut line = format!(
            "{} {}",
            cell(e.finess.as_str(), 9, false),
            cell(&e.name, 34, false)
        );
        for n in [
            f.active_records,
            f.accompanied_persons,
            f.active_with_care_plan,
            f.active_with_appointment,
            f.dmp_fed_persons,
            f.mss_messages,
        ] {
            line.push(' ');
            line.push_str(&cell(&n.to_string(), 10, true));
        }
        for (_, rate) in e.rates.table() {
            line.push(' ');
            line.push_str(&rate_cell(rate, 8, colour));
        }
        writeln!(out, "{line}")?;
    }
    let met = report
        .establishments
        .iter()
        .filter(|e| e.rates.table().iter().all(|(_, r)| r.meets_target()))
        .count();
    writeln!(out)?;
    writeln!(
        out,
        "{} établissement(s), dont {met} atteignant les 5 cibles.",
        report.establishments.len()
    )?;
    Ok(())
}

/// A CSV field, quoted when it holds the separator, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A rate for the CSV: French decimal, no unit, empty when not computable.
fn csv_rate(rate: &Rate) -> String {
    match rate.per_mille {
        Some(pm) => format!("{},{}", pm / 10, pm % 10),
        None => String::new(),
    }
}

fn write_csv(out: &mut impl Write, report: &IndicatorReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "finess;nom;debut;fin;dossiers_informatises;dossiers_ouverts;dui_actifs;\
         personnes_accompagnees;dui_avec_pp;dui_avec_agenda;dmp_alimentes;messages_mssante;\
         taux_actifs;taux_pp;taux_agenda;taux_dmp;taux_mssante;jeu_de_regles"
    )?;
    for e in &report.establishments {
        let f = &e.figures;
        let r = &e.rates;
        writeln!(
            out,
            "{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{}",
            csv_field(e.finess.as_str()),
            csv_field(&e.name),
            e.period.from(),
            e.period.to(),
            f.records,
            f.open_records,
            f.active_records,
            f.accompanied_persons,
            f.active_with_care_plan,
            f.active_with_appointment,
            f.dmp_fed_persons,
            f.mss_messages,
            csv_rate(&r.active),
            csv_rate(&r.care_plan),
            csv_rate(&r.appointment),
            csv_rate(&r.dmp),
            csv_rate(&r.mss),
            csv_field(&e.rule_set_id),
        )?;
    }
    Ok(())
}

fn write_explain_table(out: &mut impl Write, e: &Explained) -> anyhow::Result<()> {
    let x: &EstablishmentExplanation = &e.explanation;
    writeln!(
        out,
        "Établissement {} — {}, période {} (règles {})",
        x.finess,
        x.name,
        x.period.label(),
        x.rule_set_id
    )?;
    for r in &x.records {
        writeln!(out, "Dossier de la personne n° {}", r.person_id)?;
        for i in Indicator::ALL {
            writeln!(out, "  {} : {}", i.label(), r.verdict(i).label())?;
        }
    }
    writeln!(
        out,
        "Totaux ({} dossiers listés ; ils donnent les indicateurs) :",
        x.records.len()
    )?;
    for i in Indicator::ALL {
        writeln!(out, "  {} : {}", i.label(), x.count(i))?;
    }
    writeln!(
        out,
        "  Messages envoyés via la MSSanté (comptés par message) : {}",
        x.mss_messages
    )?;
    writeln!(
        out,
        "  Empreinte SHA-256 de la liste des DUI actifs : {}",
        e.result.active_records_sha256
    )?;
    writeln!(out)?;
    Ok(())
}

fn write_explain_csv(out: &mut impl Write, explained: &[Explained]) -> anyhow::Result<()> {
    let mut header = String::from("finess;personne");
    for i in Indicator::ALL {
        header.push_str(&format!(";{i:?}_compte;{i:?}_raison").to_lowercase());
    }
    writeln!(out, "{header}")?;
    for e in explained {
        for r in &e.explanation.records {
            let mut line = format!(
                "{};{}",
                csv_field(e.explanation.finess.as_str()),
                r.person_id
            );
            for i in Indicator::ALL {
                let v = r.verdict(i);
                let reason = v.reason.as_ref().map(|r| r.label()).unwrap_or_default();
                line.push_str(&format!(
                    ";{};{}",
                    if v.counted { "oui" } else { "non" },
                    csv_field(&reason)
                ));
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
