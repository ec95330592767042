//! The incremental activity index always agrees with the computation from raw
//! rows (DESIGN.md §4.3): random data written through the store's write paths
//! (inserts and updates), random time zones, instants around DST changes, month
//! ends and the leap day, random periods — on SQLite and PostgreSQL.

use crate::support::{self, ctx};
use carnet_core::indicators::{Period, RuleSet, compute, compute_period};
use carnet_core::model::*;
use carnet_store::{Db, ListFilter, Page, Scope};
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Instants that matter: around local midnights of DST days, month ends, 29/02.
fn instant(rng: &mut ChaCha8Rng) -> Timestamp {
    let anchors = [
        "2024-03-31T00:00:00Z", // Paris spring forward
        "2024-10-27T00:00:00Z", // Paris fall back
        "2024-02-29T00:00:00Z",
        "2024-02-28T22:00:00Z",
        "2024-04-30T21:59:59Z",
        "2024-05-31T20:00:00Z",
        "2024-06-30T22:00:00Z",
        "2024-12-31T23:00:00Z",
    ];
    let base: Timestamp = anchors[rng.random_range(0..anchors.len())].parse().unwrap();
    base + SignedDuration::from_mins(rng.random_range(-36 * 60..36 * 60))
}

fn day(rng: &mut ChaCha8Rng) -> Date {
    date(2024, 1, 1) + jiff::Span::new().days(rng.random_range(0..400))
}

async fn random_records(db: &Db, rng: &mut ChaCha8Rng) {
    let c = ctx();
    db.create_organisation(&c, support::organisation(1))
        .await
        .unwrap();
    let scope = Scope::whole(OrganisationId(1));
    // Paris, Réunion, Cayenne, Guadeloupe.
    let finess = ["330780495", "970400014", "970300015", "970100012"];
    for (i, f) in finess.iter().enumerate() {
        let f = carnet_core::Finess::with_computed_key(&f[..8])
            .unwrap()
            .to_string();
        db.create_establishment(&c, support::establishment(1, 10 + i as i64, &f))
            .await
            .unwrap();
    }
    for p in 0..12 {
        let e = 10 + rng.random_range(0..4);
        let mut stay = support::stay(1, e);
        stay.start = day(rng);
        if rng.random_bool(0.4) {
            stay.end = Some(stay.start + jiff::Span::new().days(rng.random_range(0..120)));
            stay.end_kind = Some(EndKind::SortieDefinitive);
        }
        let (person, stay) = db
            .create_person(
                &c,
                &scope,
                support::person(1, "Durand", &format!("P{p}")),
                Some(stay),
            )
            .await
            .unwrap();
        let stay = stay.unwrap();
        let mut events = Vec::new();
        for _ in 0..rng.random_range(0..6) {
            let mut event = support::event(1, person.id, e, "Note");
            event.at = instant(rng);
            event.kind = if rng.random_bool(0.3) {
                EventKind::Consultation
            } else {
                EventKind::Soin
            };
            events.push(db.create(&c, &scope, event).await.unwrap());
        }
        // Updates go through the rebuild path.
        if let Some(mut event) = events.pop() {
            event.at = instant(rng);
            db.update(&c, &scope, event).await.unwrap().unwrap();
        }
        for _ in 0..rng.random_range(0..3) {
            let start = instant(rng);
            let cancelled = rng.random_bool(0.4);
            let appointment = Appointment {
                id: AppointmentId(0),
                organisation_id: OrganisationId(1),
                person_id: person.id,
                establishment_id: EstablishmentId(e),
                kind: AppointmentKind::RendezVousMedical,
                title: "Consultation".into(),
                starts_at: start,
                ends_at: start + SignedDuration::from_mins(30),
                status: if rng.random_bool(0.5) {
                    AppointmentStatus::Termine
                } else {
                    AppointmentStatus::Planifie
                },
                reason: None,
                professional_id: None,
            };
            let mut created = db.create(&c, &scope, appointment).await.unwrap();
            if cancelled {
                created.status = AppointmentStatus::Annule;
                created.reason = Some("Hospitalisation".into());
                db.update(&c, &scope, created).await.unwrap().unwrap();
            }
        }
        if rng.random_bool(0.6) {
            let at = instant(rng);
            let status = [DmpStatus::NonEnvoye, DmpStatus::Accepte, DmpStatus::Rejete]
                [rng.random_range(0..3)];
            let document = Document {
                id: DocumentId(0),
                organisation_id: OrganisationId(1),
                person_id: person.id,
                establishment_id: EstablishmentId(e),
                type_code: DocumentType::DossierLiaisonUrgence,
                title: "DLU".into(),
                media_type: "text/plain".into(),
                sha256: String::new(),
                size: 0,
                added_at: at,
                added_by: None,
                dmp_status: status,
                dmp_status_at: (status != DmpStatus::NonEnvoye)
                    .then(|| at + SignedDuration::from_hours(rng.random_range(0..72))),
                dmp_objection: false,
            };
            db.create_document(&c, &scope, document, format!("DLU {p}").into_bytes())
                .await
                .unwrap();
        }
        if rng.random_bool(0.7) {
            let first = instant(rng);
            let plan = CarePlan {
                id: CarePlanId(0),
                organisation_id: OrganisationId(1),
                person_id: person.id,
                establishment_id: EstablishmentId(e),
                stay_id: stay.id,
                title: "Projet".into(),
                objectives: vec![],
                participants: vec![],
                person_agreement_on: None,
                structure_agreement_on: None,
                history: vec![CarePlanStatusChange {
                    status: CarePlanStatus::EnPreparation,
                    at: first,
                    by: None,
                }],
            };
            let plan = db.create_care_plan(&c, &scope, plan).await.unwrap();
            let next = [
                CarePlanStatus::EnCours,
                CarePlanStatus::EnPause,
                CarePlanStatus::Termine,
            ][rng.random_range(0..3)];
            let change = CarePlanStatusChange {
                status: next,
                at: first + SignedDuration::from_hours(rng.random_range(1..2000)),
                by: None,
            };
            db.change_care_plan_status(&c, &scope, plan.id, change)
                .await
                .unwrap();
        }
        if rng.random_bool(0.5) {
            let message = MssMessage {
                id: MessageId(0),
                organisation_id: OrganisationId(1),
                establishment_id: EstablishmentId(e),
                person_id: rng.random_bool(0.7).then_some(person.id),
                sender_id: None,
                sent_at: instant(rng),
                recipients: vec!["dr.martin@medecin.mssante.fr".into()],
                subject: "Liaison".into(),
                document_ids: vec![],
            };
            db.create(&c, &scope, message).await.unwrap();
        }
    }
    let stays: Vec<Stay> = db
        .list(
            &c,
            &scope,
            &ListFilter::default(),
            Page::new(None, Some(500)),
        )
        .await
        .unwrap();
    assert!(!stays.is_empty());
}

#[tokio::test]
async fn index_and_raw_computation_always_agree() {
    for seed in 0..3u64 {
        for t in support::backends().await {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let db = &t.db;
            random_records(db, &mut rng).await;
            assert_eq!(
                db.verify_activity().await.unwrap(),
                Vec::<String>::new(),
                "{} seed {seed}",
                t.name
            );
            let establishments = db
                .establishments(&Scope::whole(OrganisationId(1)))
                .await
                .unwrap();
            let raw = db.activity_from_raw(&establishments).await.unwrap();
            let rules = RuleSet::default();
            // Up to 100 days (one statement joins the months), and some
            // periods of more than 12 months (read month rows apart).
            for i in 0..30 {
                let from = day(&mut rng);
                let days = if i < 25 {
                    rng.random_range(0..100)
                } else {
                    rng.random_range(370..700)
                };
                let to = from + jiff::Span::new().days(days);
                let period = Period::new(from, to).unwrap();
                let indexed = db.activity(&establishments, period).await.unwrap();
                let a = compute(&rules, period, &indexed).unwrap();
                let b = compute(&rules, period, &raw).unwrap();
                assert_eq!(a, b, "{} seed {seed} {from}..{to}", t.name);
                // The compact input (summaries of whole months, day bitmaps
                // of the others) and the product's read path.
                let compact = db.period_activity(&establishments, period).await.unwrap();
                let c = compute_period(&rules, period, &compact).unwrap();
                assert_eq!(c, b, "{} seed {seed} {from}..{to} (compact)", t.name);
                let d = db
                    .indicators(&rules, period, &establishments)
                    .await
                    .unwrap();
                assert_eq!(d, b, "{} seed {seed} {from}..{to} (indicators)", t.name);
            }
        }
    }
}

#[tokio::test]
async fn import_builds_the_index() {
    let t = support::sqlite().await;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    random_records(&t.db, &mut rng).await;
    let mut out = Vec::new();
    t.db.export(&mut out, |_| ()).await.unwrap();
    let path = std::env::temp_dir().join(format!("carnet_activity_{}.ndjson", std::process::id()));
    std::fs::write(&path, out).unwrap();
    for target in support::backends().await {
        target.db.import(&ctx(), &path, |_, _| ()).await.unwrap();
        assert_eq!(
            target.db.verify_activity().await.unwrap(),
            Vec::<String>::new(),
            "{}",
            target.name
        );
    }
    let _ = std::fs::remove_file(path);
}

/// A database migrated from the row layout lists its establishments as
/// pending: they are answered from the raw rows until the index is rebuilt,
/// and the rebuilt index answers the same.
#[tokio::test]
async fn pending_establishments_are_answered_from_raw_rows_until_rebuilt() {
    for t in support::backends().await {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let db = &t.db;
        random_records(db, &mut rng).await;
        let establishments = db
            .establishments(&Scope::whole(OrganisationId(1)))
            .await
            .unwrap();
        let period = Period::new(date(2024, 2, 1), date(2024, 4, 30)).unwrap();
        let rules = RuleSet::default();
        let built = compute(
            &rules,
            period,
            &db.activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        // What migration 0006 does to a database holding establishments.
        sqlx::query("DELETE FROM activity_months")
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO activity_pending (establishment_id) SELECT id FROM establishments",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let pending = compute(
            &rules,
            period,
            &db.activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        assert_eq!(pending, built, "{}", t.name);
        let pending_compact = compute_period(
            &rules,
            period,
            &db.period_activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        assert_eq!(pending_compact, built, "{}", t.name);
        db.rebuild_activity().await.unwrap();
        let rebuilt = compute(
            &rules,
            period,
            &db.activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        assert_eq!(rebuilt, built, "{}", t.name);
        let rebuilt_compact = compute_period(
            &rules,
            period,
            &db.period_activity(&establishments, period).await.unwrap(),
        )
        .unwrap();
        assert_eq!(rebuilt_compact, built, "{}", t.name);
        assert_eq!(db.verify_activity().await.unwrap(), Vec::<String>::new());
    }
}

/// Writers of one establishment at the same time (the web server's case):
/// each write reads and rewrites the establishment's index blobs, so without
/// serialising them one write's marks or record could be lost. Persons are
/// admitted and given events concurrently, across a month that has no index
/// row yet; the index must then agree with the raw rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_of_one_establishment_lose_nothing() {
    for t in support::backends().await {
        let db = t.db.clone();
        let c = ctx();
        db.create_organisation(&c, support::organisation(1))
            .await
            .unwrap();
        db.create_establishment(&c, support::establishment(1, 10, "330780495"))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for p in 0..12 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let c = ctx();
                let scope = Scope::whole(OrganisationId(1));
                let (person, _) = db
                    .create_person(
                        &c,
                        &scope,
                        support::person(1, "Martin", &format!("C{p}")),
                        Some(support::stay(1, 10)),
                    )
                    .await
                    .unwrap();
                for i in 0..8i64 {
                    let mut event = support::event(1, person.id, 10, "Note");
                    // Days of June and July 2024, each person its own.
                    event.at = "2024-06-01T10:00:00Z".parse::<Timestamp>().unwrap()
                        + SignedDuration::from_hours(24 * (p + 12 * i) / 3);
                    db.create(&c, &scope, event).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            db.verify_activity().await.unwrap(),
            Vec::<String>::new(),
            "{}",
            t.name
        );
        let establishments = db
            .establishments(&Scope::whole(OrganisationId(1)))
            .await
            .unwrap();
        let raw = db.activity_from_raw(&establishments).await.unwrap();
        let period = Period::new(date(2024, 6, 1), date(2024, 7, 31)).unwrap();
        let rules = RuleSet::default();
        let expected = compute(&rules, period, &raw).unwrap();
        assert_eq!(expected.establishments[0].figures.records, 12);
        let indexed = db
            .indicators(&rules, period, &establishments)
            .await
            .unwrap();
        assert_eq!(indexed, expected, "{}", t.name);
    }
}
