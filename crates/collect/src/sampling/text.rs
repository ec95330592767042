//! A stored sample as French text: what the auditor prints and works from.

use super::{OutcomeRecord, Sample, outcome_code};

fn when(at: jiff::Timestamp) -> String {
    // Paris time: the platform's users read French local time.
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    format!(
        "{} (heure de Paris)",
        at.to_zoned_datetime(tz).strftime("%d/%m/%Y %H:%M")
    )
}

/// "Normandie (28)" for an INSEE code the platform knows; the code alone otherwise.
fn region(code: &str) -> String {
    match crate::regions::by_code(code) {
        Some(r) => format!("{} ({})", r.name, r.code),
        None => code.to_owned(),
    }
}

fn outcome(r: &OutcomeRecord) -> String {
    format!(
        "{} ({}), par {} le {}{}",
        r.outcome.label(),
        outcome_code(r.outcome),
        r.by,
        when(r.at),
        r.note
            .as_deref()
            .map(|n| format!(" — « {n} »"))
            .unwrap_or_default()
    )
}

pub fn to_text(s: &Sample) -> String {
    let mut out = format!(
        "Échantillon d'audit n° {} — ESSMS déclarés pour {} ({})\n",
        s.id,
        s.month.label(),
        s.month
    );
    out.push_str(&format!(
        "Graine publiée : « {} » ; taille demandée : {} ; ESSMS tirés : {} sur {} déclarés avec au \
         moins un DUI actif\n",
        s.seed,
        s.requested,
        s.establishments.len(),
        s.population
    ));
    out.push_str(&format!(
        "Tiré par {} le {}\n",
        s.drawn_by,
        when(s.drawn_at)
    ));
    out.push_str(&format!("Algorithme : {}\n", s.algorithm));
    out.push_str("\nStrates (régions) :\n");
    for st in &s.strata {
        out.push_str(&format!(
            "  - {} ({}) : {} tiré(s) sur {}\n",
            st.label, st.code, st.allocated, st.population
        ));
    }
    out.push_str("\nESSMS tirés :\n");
    for e in &s.establishments {
        out.push_str(&format!(
            "\n{}. FINESS {} — projet {} — région {} — {} DUI actifs déclarés (version n° {})\n",
            e.position,
            e.finess,
            e.galis,
            e.region.as_deref().map_or_else(
                || "aucune ARS (Saint-Pierre-et-Miquelon)".to_owned(),
                region
            ),
            e.actifs,
            e.version_id
        ));
        out.push_str(&format!("   rang : SHA-256 = {}\n", e.rank_sha256));
        for c in &e.checks {
            let Some(latest) = c.latest() else {
                continue;
            };
            out.push_str(&format!(
                "   - [{}] {} : {}\n",
                c.code,
                c.label,
                outcome(latest)
            ));
            let earlier = &c.history[..c.history.len() - 1];
            for r in earlier.iter().rev() {
                out.push_str(&format!("       précédemment : {}\n", outcome(r)));
            }
        }
    }
    out
}
