//! The project registry, project-aware ingestion and the aggregates, on every
//! available backend (SQLite always, PostgreSQL when CARNET_TEST_POSTGRES_URL is set).

use carnet_collect::aggregate::{self, Level, Month, Options, Scope, Selection, Summary};
use carnet_collect::projects::{self, Desk, Kind, Milestone, Registry};
use carnet_collect::versions::Submission;
use carnet_collect::{Limits, Rule, read_workbook_in};
use carnet_core::Finess;
use carnet_store::Db;
use jiff::civil::date;

use crate::support::*;
use crate::versions::backends;

const HEADER: &str = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
petit_organisme;guichet;finess;notifie_prevu;notifie_reel;demarre_prevu;demarre_reel;\
parametrage_finalise_prevu;parametrage_finalise_reel;fin_va_prevu;fin_va_reel;fin_vsr_prevu;\
fin_vsr_reel;termine_prevu;termine_reel";

pub const SIRET_B: &str = "77572284600117";

/// A FINESS in Paris (Île-de-France), different for each `i`.
pub fn paris(i: usize) -> String {
    Finess::with_computed_key(&format!("750{:05}", 100 + i))
        .unwrap()
        .to_string()
}

/// One CSV line with the given identity and establishments, no milestone.
pub fn line(galis: &str, siret: &str, desk: &str, finess: &[String]) -> String {
    format!(
        "{galis};Projet {galis};{siret};2024;aap-2024;acquisition;non;{desk};{};;;;;;;;;;;;",
        finess.join(",")
    )
}

fn csv(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    text.push_str(HEADER);
    for l in lines {
        text.push_str("\r\n");
        text.push_str(l);
    }
    text.into_bytes()
}

pub async fn import(db: &Db, lines: &[String]) -> projects::ImportSummary {
    let parsed = projects::parse_csv(&csv(lines)).unwrap();
    projects::import(db, &parsed, "test", "2024-01-01T00:00:00Z".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn projects_csv_is_imported_listed_and_a_reimport_replaces_the_establishments() {
    let mut first = line("4107", SIRET, "75", &[finess(0), finess(1)]);
    // Milestones: notifié planned and actual, terminé planned (JJ/MM/AAAA).
    first = first.replacen(
        ";;;;;;;;;;;;",
        ";2024-03-01;04/03/2024;;;;;;;;;31/12/2025;",
        1,
    );
    let other = line("5001", SIRET_B, "national", &[paris(0), finess(2)]);
    for t in backends().await {
        let done = import(&t.db, &[first.clone(), other.clone()]).await;
        assert_eq!((done.created, done.updated), (2, 0), "{}", t.name);
        let all = projects::list(&t.db).await.unwrap();
        assert_eq!(all.len(), 2);
        let p = &all[0];
        assert_eq!(p.galis, "4107");
        assert_eq!(p.label.as_deref(), Some("Projet 4107"));
        assert_eq!(p.siret.to_string(), SIRET);
        assert_eq!((p.call_year, p.rule_set.as_str()), (2024, "aap-2024"));
        assert_eq!(p.kind, Kind::Acquisition);
        assert!(!p.small_organisation);
        assert_eq!(p.desk.label(), "Nouvelle-Aquitaine");
        assert_eq!(p.establishments.len(), 2);
        let notified = p.milestones[&Milestone::Notified];
        assert_eq!(notified.planned, Some(date(2024, 3, 1)));
        assert_eq!(notified.actual, Some(date(2024, 3, 4)));
        assert_eq!(
            p.milestones[&Milestone::Finished].planned,
            Some(date(2025, 12, 31))
        );
        assert_eq!(all[1].desk, Desk::National);
        let text = projects::to_text(&all);
        assert!(text.contains("4107 « Projet 4107 »"), "{text}");
        assert!(
            text.contains("notifié : prévu 01/03/2024, réel 04/03/2024"),
            "{text}"
        );

        // Re-import: upsert by GALIS, establishments replaced, 5001 kept.
        let again = line("4107", SIRET, "75", &[finess(3)]);
        let done = import(&t.db, &[again]).await;
        assert_eq!((done.created, done.updated), (0, 1), "{}", t.name);
        let all = projects::list(&t.db).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0]
                .establishments
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>(),
            vec![finess(3)]
        );
        assert!(all[0].milestones.is_empty());
        let registry = projects::registry(&t.db).await.unwrap();
        assert_eq!(registry.len(), 2);
        assert!(registry.get(" 4107 ").is_some());
    }
}

#[test]
fn every_bad_line_of_the_projects_csv_is_listed_with_line_column_value_and_rule() {
    let lines = vec![
        line("4107", SIRET, "75", &[finess(0)]),
        line("4108", "73282932000079", "75", &[finess(1)]),
        line("4109", SIRET, "Bretagne", &["330780496".to_owned()]),
        line("4107", SIRET, "99", &[finess(2), finess(2)]),
        line("4110", SIRET, "75", &[finess(4)])
            .replace("acquisition;non", "achat;peut-être")
            .replacen(";;;;;;;;;;;;", ";2024-02-30;;;;;;;;;;;", 1),
        line("", SIRET, "75", &["33010001".to_owned()]),
    ];
    let errors = projects::parse_csv(&csv(&lines)).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let at: Vec<(usize, Option<&str>)> = errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(
        at,
        vec![
            (3, Some("siret_porteur")),
            (4, Some("finess")),
            (5, Some("reference_galis")),
            (5, Some("guichet")),
            (5, Some("finess")),
            (6, Some("nature")),
            (6, Some("petit_organisme")),
            (6, Some("notifie_prevu")),
            (7, Some("reference_galis")),
            (7, Some("finess")),
        ],
        "{shown:#?}"
    );
    assert!(
        shown[0].starts_with(
            "ligne 3, colonne « siret_porteur », valeur « 73282932000079 » : SIRET invalide"
        ),
        "{}",
        shown[0]
    );
    assert!(shown[2].contains("déjà décrit ligne 2"), "{}", shown[2]);
    assert!(shown[4].contains("cité deux fois"), "{}", shown[4]);
    assert!(shown[7].contains("valeur « 2024-02-30 »"), "{}", shown[7]);
    assert!(shown[9].contains("zéro"), "{}", shown[9]);

    // A header with a missing and an unknown column.
    let bad_header = HEADER.replace("guichet", "bureau");
    let errors = projects::parse_csv(format!("{bad_header}\n").as_bytes()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 2, "{shown:?}");
    assert!(
        shown[0].contains("valeur « bureau » : colonne inconnue"),
        "{shown:?}"
    );
    assert!(
        shown[1].contains("colonne « guichet » : colonne absente"),
        "{shown:?}"
    );
    assert!(
        projects::parse_csv(b"\xff\xfe").unwrap_err()[0]
            .message
            .contains("UTF-8")
    );
}

fn registry_4107() -> Registry {
    Registry::new([project(2)])
}

#[test]
fn with_a_registry_the_file_is_checked_against_its_project() {
    let registry = registry_4107();
    let good = read_workbook_in(&collection_file(table(2)), &registry, &Limits::default()).unwrap();
    assert_findings(&good, &[]);

    let mut rows = table(2);
    rows[2][col('B')] = t(SIRET_B);
    let checked = read_workbook_in(&collection_file(rows), &registry, &Limits::default()).unwrap();
    assert_findings(&checked, &[("B3", Rule::Siret, E)]);
    assert!(finding(&checked, "B3").message.contains("GALIS"));

    let checked =
        read_workbook_in(&collection_file(table(3)), &registry, &Limits::default()).unwrap();
    assert_findings(&checked, &[("C4", Rule::NotInProject, E)]);

    let mut rows = table(2);
    for r in &mut rows[1..] {
        r[col('A')] = C::N(9999.0);
    }
    let checked = read_workbook_in(&collection_file(rows), &registry, &Limits::default()).unwrap();
    assert_findings(&checked, &[("A2", Rule::Galis, E)]);
    let f = finding(&checked, "A2");
    assert_eq!(f.value.as_deref(), Some("9999"));
    assert!(f.message.contains("inconnue du registre"), "{}", f.message);
    assert!(!checked.is_accepted());
}

#[test]
fn with_an_empty_registry_the_rows_are_checked_among_themselves_with_a_warning() {
    let checked = read_workbook_in(
        &collection_file(table(3)),
        &Registry::default(),
        &Limits::default(),
    )
    .unwrap();
    assert!(checked.is_accepted());
    assert_findings(&checked, &[("", Rule::Registry, W)]);
    assert!(
        checked
            .report
            .to_text()
            .contains("registre des projets est vide")
    );
}

#[tokio::test]
async fn the_command_looks_the_galis_up_in_the_registry_of_the_database() {
    let dir = std::env::temp_dir().join(crate::versions::unique("carnet_collect_registry"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("bon.xlsx");
    let outside = dir.join("hors_projet.xlsx");
    std::fs::write(&good, collection_file(table(2))).unwrap();
    std::fs::write(&outside, collection_file(table(3))).unwrap();
    for t in backends().await {
        import(&t.db, &[line("4107", SIRET, "75", &[finess(0), finess(1)])]).await;
        let (text, all) = carnet_collect::ingest::ingest_paths(
            Some(&t.db),
            &[good.clone(), outside.clone()],
            "cli",
            "2024-06-05T09:00:00Z".parse().unwrap(),
            &Limits::default(),
            10,
        )
        .await
        .unwrap();
        assert!(!all, "{text}");
        assert!(text.contains("Enregistré : projet 4107"), "{text}");
        assert!(text.contains("cellule C4"), "{text}");
        assert!(text.contains("essms-hors-projet"), "{text}");
        assert!(!text.contains("registre des projets est vide"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// (FINESS, DMP, MSS, actifs, accompanied, PP, agenda); `None` leaves the cell empty.
pub type Figures = (
    String,
    Option<u64>,
    Option<u64>,
    u64,
    u64,
    Option<u64>,
    Option<u64>,
);

pub fn workbook(galis: &str, siret: &str, month: i8, rows: &[Figures]) -> Vec<u8> {
    let start = date(2024, month, 1);
    let end = start.last_of_month();
    let n = |v: Option<u64>| v.map_or(C::Blank, |v| C::N(v as f64));
    let mut table = vec![header()];
    for (f, dmp, mss, actifs, acc, pp, ag) in rows {
        table.push(vec![
            t(galis),
            t(siret),
            t(f.clone()),
            t("ESSMS"),
            n(*dmp),
            n(*mss),
            C::N(*actifs as f64),
            C::N(*acc as f64),
            n(*pp),
            n(*ag),
            C::D(2024, month as u8, 1),
            C::D(2024, month as u8, end.day() as u8),
        ]);
    }
    collection_file(table)
}

pub async fn send(db: &Db, bytes: &[u8], at: &str) {
    let registry = projects::registry(db).await.unwrap();
    let outcome = carnet_collect::ingest::ingest(
        Some(db),
        &Submission {
            file_name: "recueil.xlsx",
            bytes,
            sent_by: "test",
            received_at: at.parse().unwrap(),
        },
        Some(&registry),
        &Limits::default(),
        10,
    )
    .await
    .unwrap();
    assert!(outcome.accepted, "{}", outcome.text);
}

pub fn row(
    f: String,
    dmp: Option<u64>,
    mss: Option<u64>,
    actifs: u64,
    acc: u64,
    pp: Option<u64>,
    ag: Option<u64>,
) -> Figures {
    (f, dmp, mss, actifs, acc, pp, ag)
}

/// Three projects in two regions over May and June 2024 (see the expectations).
pub async fn three_projects(db: &Db) {
    let (a1, a2, b1, c1, c2) = (finess(0), finess(1), paris(0), finess(2), paris(1));
    import(
        db,
        &[
            line("1001", SIRET, "75", &[a1.clone(), a2.clone()]),
            line("1002", SIRET_B, "11", std::slice::from_ref(&b1)),
            line("1003", SIRET, "national", &[c1.clone(), c2.clone()]),
        ],
    )
    .await;
    // May: 1001 twice (the second replaces the first), 1002 with zeros, 1003 silent.
    let a_v1 = workbook(
        "1001",
        SIRET,
        5,
        &[
            row(a1.clone(), Some(5), Some(10), 40, 50, Some(30), Some(20)),
            row(a2.clone(), Some(2), Some(0), 10, 20, Some(10), Some(5)),
        ],
    );
    let a_v2 = workbook(
        "1001",
        SIRET,
        5,
        &[
            row(a1.clone(), Some(5), Some(10), 45, 50, Some(45), Some(40)),
            row(a2.clone(), Some(14), None, 18, 20, Some(18), Some(18)),
        ],
    );
    let b = workbook(
        "1002",
        SIRET_B,
        5,
        &[row(b1, Some(0), Some(0), 0, 0, Some(0), Some(0))],
    );
    send(db, &a_v1, "2024-06-05T08:00:00Z").await;
    send(db, &b, "2024-06-10T08:00:00Z").await;
    send(db, &a_v2, "2024-06-20T08:00:00Z").await;
    // June: 1001 late (16 July), 1003 on the 15th at 23:30 in Paris, 1002 silent.
    let a = workbook(
        "1001",
        SIRET,
        6,
        &[row(a1, Some(6), Some(12), 46, 50, Some(40), Some(30))],
    );
    let c = workbook(
        "1003",
        SIRET,
        6,
        &[
            row(c1, Some(70), Some(80), 90, 100, Some(81), Some(90)),
            row(c2, None, None, 5, 10, None, None),
        ],
    );
    send(db, &a, "2024-07-16T07:00:00Z").await;
    send(db, &c, "2024-07-15T21:30:00Z").await;
}

fn per_mille(summary: &Summary, scope: &Scope, month: Month) -> [Option<u64>; 5] {
    let all = match scope {
        Scope::Nation => &summary.nation,
        Scope::Region(_) => &summary.regions,
        Scope::Project(_) => &summary.projects,
    };
    let a = all
        .iter()
        .find(|a| &a.scope == scope && a.month == month)
        .unwrap_or_else(|| panic!("{scope:?} {month}"));
    a.rates.all().map(|r| r.and_then(|r| r.per_mille))
}

const MAY: Month = Month {
    year: 2024,
    month: 5,
};
const JUNE: Month = Month {
    year: 2024,
    month: 6,
};

#[tokio::test]
async fn aggregates_follow_the_hand_computed_example() {
    let aquitaine = carnet_collect::regions::by_code("75");
    let idf = carnet_collect::regions::by_code("11");
    for t in backends().await {
        three_projects(&t.db).await;
        let s = aggregate::summary(&t.db, &Options::default())
            .await
            .unwrap();
        assert_eq!(s.months, vec![MAY, JUNE], "{}", t.name);

        // May: 1001 v2 (not v1, not both) + 1002.
        let may = &s.nation[0];
        assert_eq!((may.projects, may.establishments), (2, 3));
        assert_eq!((may.actifs, may.accompanied), (63, 70));
        assert_eq!((may.dmp, may.mss), (Some(19), Some(10)));
        assert_eq!((may.care_plan, may.appointment), (Some(63), Some(58)));
        // 63/70; PP 63/63; agenda 58/63; DMP 19/70; MSS 10/50 (a2 left it empty).
        assert_eq!(
            per_mille(&s, &Scope::Nation, MAY),
            [Some(900), Some(1000), Some(920), Some(271), Some(200)]
        );
        assert!(may.rates.active.unwrap().meets_target());
        let shares: Vec<(u64, u64)> = may.shares.all().iter().map(|s| (s.met, s.of)).collect();
        assert_eq!(shares, vec![(2, 2), (2, 2), (1, 2), (1, 2), (0, 1)]);

        // A region whose only establishment accompanies nobody: every rate absent.
        assert_eq!(per_mille(&s, &Scope::Region(idf), MAY), [None; 5]);
        assert_eq!(
            per_mille(&s, &Scope::Project("1002".to_owned()), MAY),
            [None; 5]
        );
        assert_eq!(
            per_mille(&s, &Scope::Region(aquitaine), MAY),
            [Some(900), Some(1000), Some(920), Some(271), Some(200)]
        );

        // June: 1001 + 1003, 1003 across both regions.
        let june = &s.nation[1];
        assert_eq!((june.actifs, june.accompanied), (141, 160));
        assert_eq!(
            per_mille(&s, &Scope::Nation, JUNE),
            [Some(881), Some(889), Some(882), Some(506), Some(613)]
        );
        assert_eq!(per_mille(&s, &Scope::Region(aquitaine), JUNE)[0], Some(906));
        assert_eq!(
            per_mille(&s, &Scope::Region(idf), JUNE),
            [Some(500), None, None, None, None]
        );

        // Trajectory: a1, a2 embarked in May (b1 has no DUI actif), c1, c2 in June.
        let tr: Vec<(u64, i64, u64, Option<i64>)> = s
            .trajectory
            .iter()
            .map(|p| (p.actifs, p.actifs_gap, p.embarked, p.embarked_gap))
            .collect();
        assert_eq!(
            tr,
            vec![
                (63, 63 - 410_000, 2, Some(2 - 27_400)),
                (141, 141 - 410_000, 4, Some(4 - 27_400)),
            ]
        );

        // Completeness and timeliness.
        let missing: Vec<(Month, &str)> = s
            .missing
            .iter()
            .map(|m| (m.month, m.galis.as_str()))
            .collect();
        assert_eq!(missing, vec![(MAY, "1003"), (JUNE, "1002")]);
        let late: Vec<(Month, &str, bool)> = s
            .receipts
            .iter()
            .map(|r| (r.month, r.galis.as_str(), r.late))
            .collect();
        assert_eq!(
            late,
            vec![
                (MAY, "1001", false),
                (MAY, "1002", false),
                (JUNE, "1001", true),
                (JUNE, "1003", false),
            ]
        );
        let text = aggregate::missing_text(&s, JUNE, None);
        assert!(
            text.contains("Projets sans déclaration pour juin 2024 : 1 sur 3"),
            "{text}"
        );
        assert!(
            text.contains("1002 (Projet 1002) — Île-de-France"),
            "{text}"
        );
        assert!(
            text.contains("1001 — reçue le 16/07/2024, échéance le 15/07/2024"),
            "{text}"
        );

        // A later deadline day: nothing late.
        let lenient = Options {
            deadline_day: 20,
            ..Options::default()
        };
        let s2 = aggregate::summary(&t.db, &lenient).await.unwrap();
        assert!(s2.receipts.iter().all(|r| !r.late));

        // One month only: June alone, May still counts for the establishments embarked.
        let june_only = Options {
            from: Some(JUNE),
            to: Some(JUNE),
            ..Options::default()
        };
        let s3 = aggregate::summary(&t.db, &june_only).await.unwrap();
        assert_eq!(s3.months, vec![JUNE]);
        assert_eq!(s3.trajectory[0].embarked, 4);
    }
}

#[tokio::test]
async fn exports_write_french_numbers_and_leave_absent_rates_empty() {
    let t = backends().await.remove(0);
    three_projects(&t.db).await;
    let s = aggregate::summary(&t.db, &Options::default())
        .await
        .unwrap();
    let regions = Selection {
        level: Level::Region,
        region: None,
    };
    let csv = String::from_utf8(aggregate::to_csv(&s, &regions)).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(
        lines[0].starts_with("Mois;Région;Projets déclarants;"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("Taux de dossiers actifs (%)"));
    assert!(
        lines.contains(&"2024-05;Île-de-France (11);1;1;0;0;0;0;0;0;;;;;;;;;;"),
        "{csv}"
    );
    assert!(
        lines.contains(&"2024-05;Nouvelle-Aquitaine (75);1;2;63;70;19;10;63;58;90,0;100,0;92,0;27,1;20,0;100,0;100,0;50,0;50,0;0,0"),
        "{csv}"
    );
    let table = aggregate::to_table(
        &s,
        &Selection {
            level: Level::Nation,
            region: None,
        },
    );
    assert!(table.contains("-409 937"), "{table}");
    assert!(table.contains("27,1 %"), "{table}");
    assert!(table.contains("Trajectoire nationale"), "{table}");
    let project_level = aggregate::to_table(
        &s,
        &Selection {
            level: Level::Project,
            region: Some("11".to_owned()),
        },
    );
    assert!(project_level.contains("1002"), "{project_level}");
    assert!(
        !project_level.contains("\n2024-05  1001"),
        "{project_level}"
    );
    let xlsx = aggregate::to_xlsx(&s, &regions).unwrap();
    assert_eq!(&xlsx[..2], b"PK");
    assert_eq!(aggregate::french_count(1_234_567), "1 234 567");
}
