//! The demo organisation (the data of `carnet demo`) through the activity
//! index, on every backend.

use crate::support::{self, ctx};
use carnet_core::indicators::Period;
use jiff::civil::date;

/// The demo organisation imported into each backend: the activity index
/// gives the same figures on SQLite and PostgreSQL, and the same as the raw
/// computation, for a 3-month period.
#[tokio::test]
async fn demo_index_answers_the_same_on_every_backend() {
    use carnet_core::indicators::{RuleSet, compute, compute_period};
    use carnet_store::Scope;
    use carnet_store::interchange::ImportOutcome;
    use std::io::Write;

    let today = date(2026, 11, 23);
    let path =
        std::env::temp_dir().join(format!("carnet-demo-index-{}.ndjson", std::process::id()));
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for line in carnet_demo::generate(&carnet_demo::DemoParams::standard(), 7, today) {
            writeln!(out, "{}", line.to_json()).unwrap();
        }
        out.flush().unwrap();
    }
    let period = Period::new(date(2026, 8, 1), date(2026, 10, 31)).unwrap();
    let rules = RuleSet::default();
    let mut answers = Vec::new();
    for t in support::backends().await {
        let outcome = t.db.import(&ctx(), &path, |_, _| ()).await.unwrap();
        assert!(
            matches!(outcome, ImportOutcome::Imported { .. }),
            "{}",
            t.name
        );
        let organisation = t.db.organisations().await.unwrap().remove(0);
        let establishments =
            t.db.establishments(&Scope::whole(organisation.id))
                .await
                .unwrap();
        let indexed = compute(
            &rules,
            period,
            &t.db.activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        let raw = compute(
            &rules,
            period,
            &t.db.activity_from_raw(&establishments).await.unwrap(),
        )
        .unwrap();
        let compact = compute_period(
            &rules,
            period,
            &t.db.period_activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        assert_eq!(compact, indexed, "{}", t.name);
        let figures: Vec<_> = indexed
            .establishments
            .iter()
            .map(|e| {
                (
                    e.finess.to_string(),
                    e.figures,
                    e.active_records_sha256.clone(),
                )
            })
            .collect();
        let raw_figures: Vec<_> = raw
            .establishments
            .iter()
            .map(|e| {
                (
                    e.finess.to_string(),
                    e.figures,
                    e.active_records_sha256.clone(),
                )
            })
            .collect();
        assert_eq!(figures, raw_figures, "{}", t.name);
        answers.push((t.name, figures));
    }
    let _ = std::fs::remove_file(&path);
    for (name, figures) in &answers[1..] {
        assert_eq!(
            figures, &answers[0].1,
            "{name} differs from {}",
            answers[0].0
        );
    }
}
