//! EU audit samples on every available backend: drawn among the declarations
//! in force, reproducible, stored, shown; outcomes appended and listed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use carnet_collect::aggregate::Month;
use carnet_collect::sampling::{self, DrawRequest, Recording, SampleError};
use carnet_core::Finess;
use carnet_core::sampling::{CheckOutcome, ESTABLISHMENT_CHECKS, rank_hash};

use crate::platform::{paris, three_projects};
use crate::support::*;
use crate::versions::backends;

const JUNE: Month = Month {
    year: 2024,
    month: 6,
};

fn request<'a>(seed: &'a str, size: u32, month: Month, at: &str) -> DrawRequest<'a> {
    DrawRequest {
        seed,
        size,
        month,
        by: "auditeur-1",
        at: at.parse().unwrap(),
    }
}

#[tokio::test]
async fn a_draw_is_reproducible_stored_and_shown_and_outcomes_are_appended() {
    for t in backends().await {
        three_projects(&t.db).await;
        // June: 1001 declares a1 (46 actifs), 1003 declares c1 (90, Gironde)
        // and c2 (5, Paris): strata 11 (1 ESSMS) and 75 (2 ESSMS); a sample of
        // 2 gives one per region, the Gironde one by the smaller rank hash.
        let first = sampling::draw(&t.db, &request("ue-2024", 2, JUNE, "2024-07-20T08:00:00Z"))
            .await
            .unwrap();
        let again = sampling::draw(&t.db, &request("ue-2024", 2, JUNE, "2024-07-21T08:00:00Z"))
            .await
            .unwrap();
        assert_ne!(first.id, again.id, "{}", t.name);
        let drawn = |s: &sampling::Sample| -> Vec<(String, String, String, u64)> {
            s.establishments
                .iter()
                .map(|e| {
                    (
                        e.finess.to_string(),
                        e.galis.clone(),
                        e.rank_sha256.clone(),
                        e.actifs,
                    )
                })
                .collect()
        };
        assert_eq!(drawn(&first), drawn(&again), "{}", t.name);
        assert_eq!(first.population, 3);
        let (a1, c1, c2) = (finess(0), finess(2), paris(1));
        let gironde = if rank_hash("ue-2024", &a1) < rank_hash("ue-2024", &c1) {
            (a1.clone(), "1001".to_owned(), 46)
        } else {
            (c1.clone(), "1003".to_owned(), 90)
        };
        let expected = vec![
            (c2.clone(), "1003".to_owned(), rank_hash("ue-2024", &c2), 5),
            (
                gironde.0.clone(),
                gironde.1,
                rank_hash("ue-2024", &gironde.0),
                gironde.2,
            ),
        ];
        assert_eq!(drawn(&first), expected, "{}", t.name);
        assert_eq!(first.establishments[0].region.as_deref(), Some("11"));
        let strata: Vec<(&str, u32, u32)> = first
            .strata
            .iter()
            .map(|s| (s.code.as_str(), s.population, s.allocated))
            .collect();
        assert_eq!(strata, vec![("11", 1, 1), ("75", 2, 1)]);
        assert!(first.algorithm.starts_with("Tirage reproductible"));
        assert_eq!((first.seed.as_str(), first.requested), ("ue-2024", 2));
        assert_eq!(first.drawn_by, "auditeur-1");
        // Every check starts "à vérifier".
        for e in &first.establishments {
            assert_eq!(e.checks.len(), ESTABLISHMENT_CHECKS.len());
            for c in &e.checks {
                assert_eq!(c.history.len(), 1);
                assert_eq!(c.latest().unwrap().outcome, CheckOutcome::ToCheck);
            }
        }

        // Two outcomes on one check: the latest is in force, all are kept.
        let f = Finess::parse(&c2).unwrap();
        for (outcome, note, at) in [
            (
                CheckOutcome::NonCompliant,
                Some("état sans signature"),
                "2024-08-01T08:00:00Z",
            ),
            (
                CheckOutcome::Compliant,
                Some("état signé reçu"),
                "2024-08-02T08:00:00Z",
            ),
        ] {
            sampling::record(
                &t.db,
                first.id,
                &Recording {
                    finess: &f,
                    check: "signature",
                    outcome,
                    note,
                    by: "auditeur-2",
                    at: at.parse().unwrap(),
                },
            )
            .await
            .unwrap();
        }
        let shown = sampling::show(&t.db, first.id).await.unwrap().unwrap();
        let check = shown.establishments[0]
            .checks
            .iter()
            .find(|c| c.code == "signature")
            .unwrap();
        let history: Vec<(CheckOutcome, Option<&str>, &str)> = check
            .history
            .iter()
            .map(|r| (r.outcome, r.note.as_deref(), r.by.as_str()))
            .collect();
        assert_eq!(
            history,
            vec![
                (CheckOutcome::ToCheck, None, "auditeur-1"),
                (
                    CheckOutcome::NonCompliant,
                    Some("état sans signature"),
                    "auditeur-2"
                ),
                (
                    CheckOutcome::Compliant,
                    Some("état signé reçu"),
                    "auditeur-2"
                ),
            ],
            "{}",
            t.name
        );
        let text = sampling::to_text(&shown);
        assert!(text.contains("Échantillon d'audit n°"), "{text}");
        assert!(text.contains("Graine publiée : « ue-2024 »"), "{text}");
        assert!(
            text.contains("[signature] Signatures du déclarant et du représentant légal présentes et valides : conforme (conforme), par auditeur-2 le 02/08/2024 10:00 (heure de Paris) — « état signé reçu »"),
            "{text}"
        );
        assert!(text.contains("précédemment : non conforme"), "{text}");
        // The other sample is untouched.
        let other = sampling::show(&t.db, again.id).await.unwrap().unwrap();
        assert!(
            other.establishments[0]
                .checks
                .iter()
                .all(|c| c.history.len() == 1)
        );

        // Errors, in French, never a panic.
        let bad = |check: &'static str, finess: Finess, sample: i64| {
            let db = &t.db;
            async move {
                sampling::record(
                    db,
                    sample,
                    &Recording {
                        finess: &finess,
                        check,
                        outcome: CheckOutcome::Compliant,
                        note: None,
                        by: "x",
                        at: "2024-08-02T08:00:00Z".parse().unwrap(),
                    },
                )
                .await
                .unwrap_err()
            }
        };
        let e = bad("tampon", f.clone(), first.id).await;
        assert!(matches!(e, SampleError::UnknownCheck { .. }));
        assert!(e.to_string().contains("preuve_presente"), "{e}");
        let e = bad("signature", Finess::parse(&finess(7)).unwrap(), first.id).await;
        assert!(matches!(e, SampleError::NotDrawn { .. }), "{e}");
        let e = bad("signature", f.clone(), 9999).await;
        assert_eq!(e.to_string(), "échantillon n° 9999 inconnu");
        assert!(sampling::show(&t.db, 9999).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn only_the_latest_version_and_establishments_with_actifs_are_drawn() {
    let may = Month {
        year: 2024,
        month: 5,
    };
    for t in backends().await {
        three_projects(&t.db).await;
        // May: 1001 v2 replaces v1 (a1 45, a2 18 actifs); 1002's b1 has 0 actifs.
        let declared = sampling::declared(&t.db, may).await.unwrap();
        let got: Vec<(String, &str, u64)> = declared
            .iter()
            .map(|d| (d.finess.to_string(), d.galis.as_str(), d.actifs))
            .collect();
        assert_eq!(
            got,
            vec![(finess(0), "1001", 45), (finess(1), "1001", 18)],
            "{}",
            t.name
        );
        let all = sampling::draw(&t.db, &request("s", 10, may, "2024-07-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(all.establishments.len(), 2);
        let nothing = sampling::draw(
            &t.db,
            &request(
                "s",
                3,
                Month {
                    year: 2024,
                    month: 1,
                },
                "2024-07-01T00:00:00Z",
            ),
        )
        .await
        .unwrap_err();
        assert!(
            nothing.to_string().contains("aucun ESSMS déclaré"),
            "{nothing}"
        );
        let no_seed = sampling::draw(&t.db, &request(" ", 3, may, "2024-07-01T00:00:00Z"))
            .await
            .unwrap_err();
        assert!(no_seed.to_string().contains("graine"), "{no_seed}");
    }
}
