//! The flash report as French sections of lines, printed as is on the
//! terminal ([`to_text`]), and the formatting of its figures. The HTML page
//! (`html`) and the PDF (`pdf`) show the same figures in tables (`tables`),
//! under the same section titles.

use carnet_core::indicators::Rate;
use carnet_reports::{french_date, french_instant};

use super::Flash;
use crate::aggregate::{Aggregate, Five, Share, french_count, french_percent, french_signed};

/// What a section is about, for renderings that show some as tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Figures,
    Rates,
    Trajectory,
    History,
    Completeness,
    Timeliness,
}

/// A titled group of lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub title: String,
    pub lines: Vec<String>,
}

/// « Flash mensuel — Normandie (28) — mai 2024 ».
pub fn title(flash: &Flash) -> String {
    format!(
        "Flash mensuel ESMS numérique — {} ({}) — {}",
        flash.region.name,
        flash.region.code,
        flash.month.label()
    )
}

/// The five rates' French names, in the order of [`Five`].
pub const RATE_LABELS: [&str; 5] = [
    "Taux de dossiers actifs",
    "Taux de dossiers actifs avec projet personnalisé",
    "Taux de dossiers actifs avec événement d'agenda",
    "Taux d'utilisation du DMP",
    "Taux d'utilisation de la MSSanté",
];

pub(crate) fn target_list(flash: &Flash) -> [u32; 5] {
    let t = flash.targets;
    [t.active, t.care_plan, t.appointment, t.dmp, t.mss]
}

/// « 82,0 % » or « – » when not computable.
pub fn rate_text(rate: Option<Rate>) -> String {
    match rate.and_then(|r| r.per_mille) {
        Some(pm) => format!("{} %", french_percent(pm)),
        None => "–".to_owned(),
    }
}

/// « atteinte », « non atteinte » or « non calculable ».
pub fn status_text(rate: Option<Rate>) -> &'static str {
    match rate.map(|r| (r.per_mille, r.meets_target())) {
        Some((Some(_), true)) => "cible atteinte",
        Some((Some(_), false)) => "cible non atteinte",
        _ => "non calculable",
    }
}

/// « 3 sur 5 (60,0 %) » or « aucun ESSMS avec ce taux ».
pub fn share_text(share: Share) -> String {
    match share.per_mille() {
        Some(pm) => format!(
            "{} sur {} ({} %)",
            french_count(share.met),
            french_count(share.of),
            french_percent(pm)
        ),
        None => "aucun ESSMS avec ce taux".to_owned(),
    }
}

fn optional(n: Option<u64>) -> String {
    n.map_or_else(|| "– (non renseigné)".to_owned(), french_count)
}

/// « Part de la région dans les DUI actifs déclarés en France : 25,0 % »,
/// when the nation declared some.
pub fn nation_share(flash: &Flash) -> Option<String> {
    flash.share_of_nation_per_mille().map(|pm| {
        format!(
            "Part de la région dans les DUI actifs déclarés en France : {} %",
            french_percent(pm)
        )
    })
}

fn figures(flash: &Flash) -> Section {
    let mut lines = Vec::new();
    let expected = flash.expected.len() as u64;
    match &flash.region_month {
        None => lines.push(format!(
            "Aucun ESSMS de la région ne figure dans une déclaration en vigueur pour {}.",
            flash.month.label()
        )),
        Some(a) => {
            lines.push(format!(
                "Projets déclarants : {} (projets du registre suivis dans la région : {})",
                french_count(a.projects),
                french_count(expected)
            ));
            lines.push(format!(
                "ESSMS déclarés : {}",
                french_count(a.establishments)
            ));
            lines.push(format!("DUI actifs : {}", french_count(a.actifs)));
            lines.push(format!(
                "Personnes accompagnées : {}",
                french_count(a.accompanied)
            ));
            lines.push(format!("DMP alimentés : {}", optional(a.dmp)));
            lines.push(format!("Messages MSSanté envoyés : {}", optional(a.mss)));
            lines.push(format!(
                "DUI avec projet personnalisé : {}",
                optional(a.care_plan)
            ));
            lines.push(format!(
                "DUI avec au moins un événement d'agenda : {}",
                optional(a.appointment)
            ));
        }
    }
    lines.extend(nation_share(flash));
    Section {
        kind: SectionKind::Figures,
        title: "Établissements déclarés de la région".to_owned(),
        lines,
    }
}

fn rates(flash: &Flash, a: &Aggregate) -> Section {
    let targets = target_list(flash);
    let lines = rates_of(a.rates)
        .into_iter()
        .zip(a.shares.all())
        .zip(RATE_LABELS.iter().zip(targets))
        .map(|((rate, share), (label, target))| {
            format!(
                "{label} : {} (cible {target} %, {}) ; ESSMS à la cible : {}",
                rate_text(rate),
                status_text(rate),
                share_text(share)
            )
        })
        .collect();
    Section {
        kind: SectionKind::Rates,
        title: "Taux et part des établissements à la cible".to_owned(),
        lines,
    }
}

pub(crate) fn rates_of(five: Five<Option<Rate>>) -> [Option<Rate>; 5] {
    five.all()
}

fn trajectory(flash: &Flash) -> Section {
    let mut lines = Vec::new();
    match &flash.trajectory {
        Some(p) => {
            lines.push(format!(
                "DUI actifs déclarés en France : {} pour une cible de {} (écart {})",
                french_count(p.actifs),
                french_count(p.actifs_target),
                french_signed(p.actifs_gap)
            ));
            match (p.embarked_target, p.embarked_gap) {
                (Some(target), Some(gap)) => lines.push(format!(
                    "ESSMS embarqués en France : {} pour une cible de {} en fin d'année {} \
                     (écart {})",
                    french_count(p.embarked),
                    french_count(target),
                    p.month.year,
                    french_signed(gap)
                )),
                _ => lines.push(format!(
                    "ESSMS embarqués en France : {} (pas de cible pour {})",
                    french_count(p.embarked),
                    p.month.year
                )),
            }
        }
        None => lines.push("Trajectoire nationale indisponible pour ce mois.".to_owned()),
    }
    Section {
        kind: SectionKind::Trajectory,
        title: "Trajectoire nationale par rapport aux cibles du programme".to_owned(),
        lines,
    }
}

fn history(flash: &Flash) -> Section {
    let mut lines = Vec::new();
    if flash.history.is_empty() {
        lines.push("aucune déclaration de la région sur les douze derniers mois".to_owned());
    }
    for a in &flash.history {
        lines.push(format!(
            "{} : {} DUI actifs, {} personnes accompagnées, {} ESSMS déclarés, taux de \
             dossiers actifs {}",
            a.month.label(),
            french_count(a.actifs),
            french_count(a.accompanied),
            french_count(a.establishments),
            rate_text(a.rates.active)
        ));
    }
    Section {
        kind: SectionKind::History,
        title: format!("Évolution de la région ({})", flash.region.name),
        lines,
    }
}

fn completeness(flash: &Flash) -> Section {
    let mut lines = vec![format!(
        "Projets sans déclaration pour {} : {} sur {}",
        flash.month.label(),
        french_count(flash.missing.len() as u64),
        french_count(flash.expected.len() as u64)
    )];
    for m in &flash.missing {
        lines.push(match &m.label {
            Some(label) => format!("{} — {label}", m.galis),
            None => m.galis.clone(),
        });
    }
    Section {
        kind: SectionKind::Completeness,
        title: "Complétude".to_owned(),
        lines,
    }
}

fn timeliness(flash: &Flash) -> Section {
    let late = flash.late();
    let mut lines = vec![format!(
        "Déclarations reçues après le {} (date limite) : {} sur {}",
        french_date(flash.deadline),
        french_count(late.len() as u64),
        french_count(flash.receipts.len() as u64)
    )];
    for r in late {
        lines.push(format!(
            "{} : première version reçue le {}",
            r.galis,
            french_instant(r.first_received)
        ));
    }
    Section {
        kind: SectionKind::Timeliness,
        title: "Ponctualité".to_owned(),
        lines,
    }
}

/// The sections of the report, in order.
pub fn sections(flash: &Flash) -> Vec<Section> {
    let mut out = vec![figures(flash)];
    if let Some(a) = &flash.region_month {
        out.push(rates(flash, a));
    }
    out.push(trajectory(flash));
    out.push(history(flash));
    out.push(completeness(flash));
    out.push(timeliness(flash));
    out
}

/// The line under the title: what the figures are and when they were read.
pub fn subtitle(flash: &Flash) -> String {
    format!(
        "Déclarations en vigueur le {} (dernière version de chaque projet et période ; une \
         déclaration compte pour le mois du dernier jour de sa période). Règles : \
         docs/collecte-agregats.md.",
        french_instant(flash.produced_at)
    )
}

/// The report as French text for the terminal.
pub fn to_text(flash: &Flash) -> String {
    let mut out = format!("{}\n{}\n", title(flash), subtitle(flash));
    for s in sections(flash) {
        out.push_str(&format!("\n{}\n", s.title));
        for l in &s.lines {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out
}
