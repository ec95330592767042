//! French text of proofs, for the terminal: one proof with its history
//! ([`to_text`]) and a list, one line per proof ([`list_text`]).

use carnet_reports::{french_date, french_instant};

use super::{Outcome, ProofState, Status};

fn outcome_upper(outcome: Outcome) -> String {
    outcome.label().to_uppercase()
}

/// One proof: what it is attached to, every check (the last in force) and
/// every review, then its status.
pub fn to_text(state: &ProofState) -> String {
    let p = &state.proof;
    let mut out = format!(
        "Preuve n° {} : « {} », projet {}, FINESS {}, période du {} au {}\n",
        p.id,
        p.file_name,
        p.galis,
        p.finess,
        french_date(p.period.start),
        french_date(p.period.end)
    );
    out.push_str(&format!(
        "  Déposée par « {} » le {} ; SHA-256 {} ; conservée au moins jusqu'au {}.\n",
        p.attached_by,
        french_instant(p.attached_at),
        p.file_sha256,
        french_date(p.retain_until)
    ));
    let last = state.checks.len().saturating_sub(1);
    for (i, c) in state.checks.iter().enumerate() {
        let when = if i == last { "" } else { " (remplacé)" };
        out.push_str(&format!(
            "  Contrôle automatique du {}{when} : {}\n",
            french_instant(c.at),
            outcome_upper(c.outcome)
        ));
        if let Some(signer) = &c.signer {
            out.push_str(&format!("    Signataire : {signer}\n"));
        }
        if let Some(id) = c.version_id {
            out.push_str(&format!(
                "    Comparée à la déclaration en vigueur (version enregistrée n° {id}).\n"
            ));
        }
        if !c.reasons.is_empty() {
            out.push_str("    Motifs :\n");
            for r in &c.reasons {
                out.push_str(&format!("      - {r}\n"));
            }
        }
        if !c.remarks.is_empty() {
            out.push_str("    Autres chiffres différents de la déclaration :\n");
            for r in &c.remarks {
                out.push_str(&format!("      - {r}\n"));
            }
        }
    }
    for r in &state.reviews {
        out.push_str(&format!(
            "  Vérification manuelle du {} par « {} » : {} — « {} »\n",
            french_instant(r.at),
            r.reviewer,
            r.decision.label(),
            r.comment
        ));
    }
    out.push_str(&format!("  État : {}\n", state.status().label()));
    if state.status() == Status::Checked(Outcome::ManualReview) {
        out.push_str(&format!(
            "  À faire : ouvrir le PDF, vérifier les mentions de SPEC §4.2, puis \
             carnet collect proofs review --id {} --decision conforme|non-conforme \
             --comment \"…\" --reviewer \"…\"\n",
            p.id
        ));
    }
    out
}

/// One line per proof, then a count by status.
pub fn list_text(states: &[ProofState]) -> String {
    if states.is_empty() {
        return String::from("Aucune preuve déposée.\n");
    }
    let mut out = format!("{} preuve(s) :\n", states.len());
    for s in states {
        let p = &s.proof;
        out.push_str(&format!(
            "  n° {:<5} projet {:<12} FINESS {}  du {} au {}  {:<40} « {} »\n",
            p.id,
            p.galis,
            p.finess,
            french_date(p.period.start),
            french_date(p.period.end),
            s.status().label(),
            p.file_name
        ));
    }
    out
}
