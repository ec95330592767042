//! The monthly flash report of a region, on every available backend, with
//! figures computed by hand for a small registry; the PDF is read back with
//! poppler's `pdftotext`.

use carnet_collect::aggregate::{Month, Options};
use carnet_collect::flash::{self, Flash};
use carnet_collect::regions;
use carnet_store::Db;

use crate::platform::{SIRET_B, import, line, paris, row, send, workbook};
use crate::support::{SIRET, finess};
use crate::versions::{backends, unique};

const MAY: Month = Month {
    year: 2024,
    month: 5,
};

/// Registry: 4107 (finess 0 and 1) and 7001 (finess 3) and 5001 (finess 2)
/// in Nouvelle-Aquitaine (75); 6001 (Paris 0) in Île-de-France (11).
///
/// April: 4107 declares finess 0 (30 actifs / 50) and 1 (15 / 50).
/// May: 4107 declares finess 0 (40 actifs / 50 accompanied, PP 30, agenda
/// 20, DMP 5, MSS 10) and 1 (20 / 50, PP 18, agenda 20, DMP 5, MSS 10),
/// received 10 June (on time); 7001 declares finess 3 (45 / 50, PP 30,
/// agenda 20, DMP 5, MSS 10) on 17 June (late); 6001 declares Paris 0 (100 /
/// 100); 5001 declares nothing.
async fn registry_and_declarations(db: &Db) {
    import(
        db,
        &[
            line("4107", SIRET, "75", &[finess(0), finess(1)]),
            line("5001", SIRET_B, "75", &[finess(2)]),
            line("6001", SIRET_B, "11", &[paris(0)]),
            line("7001", SIRET_B, "75", &[finess(3)]),
        ],
    )
    .await;
    let april = workbook(
        "4107",
        SIRET,
        4,
        &[
            row(finess(0), Some(1), Some(1), 30, 50, Some(10), Some(10)),
            row(finess(1), Some(1), Some(1), 15, 50, Some(10), Some(10)),
        ],
    );
    send(db, &april, "2024-05-10T09:00:00Z").await;
    let may_a = workbook(
        "4107",
        SIRET,
        5,
        &[
            row(finess(0), Some(5), Some(10), 40, 50, Some(30), Some(20)),
            row(finess(1), Some(5), Some(10), 20, 50, Some(18), Some(20)),
        ],
    );
    send(db, &may_a, "2024-06-10T09:00:00Z").await;
    let may_c = workbook(
        "7001",
        SIRET_B,
        5,
        &[row(
            finess(3),
            Some(5),
            Some(10),
            45,
            50,
            Some(30),
            Some(20),
        )],
    );
    send(db, &may_c, "2024-06-17T09:00:00Z").await;
    let may_paris = workbook(
        "6001",
        SIRET_B,
        5,
        &[row(paris(0), None, None, 100, 100, None, None)],
    );
    send(db, &may_paris, "2024-06-03T09:00:00Z").await;
}

async fn may_flash(db: &Db) -> Flash {
    let region = regions::by_code("75").unwrap();
    flash::flash(
        db,
        region,
        MAY,
        &Options::default(),
        "2024-06-20T08:00:00Z".parse().unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_flash_report_of_a_region_has_the_hand_checked_figures() {
    for t in backends().await {
        registry_and_declarations(&t.db).await;
        let f = may_flash(&t.db).await;
        let a = f.region_month.as_ref().unwrap();
        assert_eq!((a.projects, a.establishments), (2, 3), "{}", t.name);
        assert_eq!((a.actifs, a.accompanied), (105, 150));
        assert_eq!((a.care_plan, a.appointment), (Some(78), Some(60)));
        assert_eq!((a.dmp, a.mss), (Some(15), Some(30)));
        // 105/150 = 70,0 %; 78/105 = 74,2 %; 60/105 = 57,1 %; 15/150; 30/150.
        let per_mille: Vec<Option<u64>> = a
            .rates
            .all()
            .iter()
            .map(|r| r.and_then(|r| r.per_mille))
            .collect();
        assert_eq!(
            per_mille,
            [Some(700), Some(742), Some(571), Some(100), Some(200)]
        );
        // Active rate ≥ 90 %: only finess 3 (45/50). PP ≥ 90 %: only finess 1 (18/20).
        assert_eq!((a.shares.active.met, a.shares.active.of), (1, 3));
        assert_eq!((a.shares.care_plan.met, a.shares.care_plan.of), (1, 3));
        // Nation: 105 + 100 = 205 DUI actifs; the region holds 51,2 %.
        assert_eq!(f.nation_month.as_ref().unwrap().actifs, 205);
        assert_eq!(f.share_of_nation_per_mille(), Some(512));
        let p = f.trajectory.as_ref().unwrap();
        assert_eq!((p.actifs, p.actifs_gap), (205, 205 - 410_000));
        // Embarked: finess 0, 1, 3 and Paris 0; the 2024 target is 27 400.
        assert_eq!((p.embarked, p.embarked_target), (4, Some(27_400)));
        // History: April (45 actifs) then May.
        let history: Vec<(Month, u64)> = f.history.iter().map(|a| (a.month, a.actifs)).collect();
        assert_eq!(
            history,
            [
                (
                    Month {
                        year: 2024,
                        month: 4
                    },
                    45
                ),
                (MAY, 105)
            ]
        );
        assert_eq!(f.expected, ["4107", "5001", "7001"]);
        let missing: Vec<&str> = f.missing.iter().map(|m| m.galis.as_str()).collect();
        assert_eq!(missing, ["5001"]);
        assert_eq!(f.receipts.len(), 2);
        let late: Vec<&str> = f.late().iter().map(|r| r.galis.as_str()).collect();
        assert_eq!(late, ["7001"]);
        assert_eq!(f.deadline, jiff::civil::date(2024, 6, 15));

        let text = flash::text::to_text(&f);
        for expected in [
            "Flash mensuel ESMS numérique — Nouvelle-Aquitaine (75) — mai 2024",
            "DUI actifs : 105",
            "Personnes accompagnées : 150",
            "Taux de dossiers actifs : 70,0 % (cible 90 %, cible non atteinte) ; ESSMS à la cible : 1 sur 3 (33,3 %)",
            "Taux de dossiers actifs avec projet personnalisé : 74,2 %",
            "Part de la région dans les DUI actifs déclarés en France : 51,2 %",
            "DUI actifs déclarés en France : 205 pour une cible de 410 000 (écart -409 795)",
            "ESSMS embarqués en France : 4 pour une cible de 27 400 en fin d'année 2024 (écart -27 396)",
            "avril 2024 : 45 DUI actifs",
            "Projets sans déclaration pour mai 2024 : 1 sur 3",
            "5001 — Projet 5001",
            "Déclarations reçues après le 15/06/2024 (date limite) : 1 sur 2",
            "7001 : première version reçue le 17/06/2024",
        ] {
            assert!(text.contains(expected), "« {expected} » absent :\n{text}");
        }
        assert!(!text.contains("6001"), "{text}");
    }
}

#[tokio::test]
async fn the_flash_html_page_is_self_contained_and_escaped() {
    let all = backends().await;
    let t = &all[0];
    registry_and_declarations(&t.db).await;
    let f = may_flash(&t.db).await;
    let html = flash::html::to_html(&f);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("@page { size: A4"));
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    assert!(html.contains("<td class=\"n\">105</td>"), "{html}");
    // Numbers stay whole on a line.
    assert!(html.contains("<td class=\"n\">70,0&nbsp;%</td>"), "{html}");
    assert!(
        html.contains(
            "<tr><td>DUI actifs déclarés en France</td><td class=\"n\">205</td>\
             <td class=\"n\">410&nbsp;000</td><td class=\"n\">-409&nbsp;795</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains("<td class=\"non-atteinte\">cible non atteinte</td>"));
    assert!(html.contains("Évolution de la région (Nouvelle-Aquitaine)"));
    assert!(
        html.contains(
            "<tr><td>mai 2024</td><td class=\"n\">105</td><td class=\"n\">150</td>\
             <td class=\"n\">3</td><td class=\"n\">70,0&nbsp;%</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains("<p>Projets sans déclaration pour mai 2024 : 1 sur 3</p>"));
    assert!(
        html.contains("<tr><td>5001</td><td>Projet 5001</td></tr>"),
        "{html}"
    );
    assert_eq!(
        flash::html::escape("<a href=\"x\">l'é&</a>"),
        "&lt;a href=&quot;x&quot;&gt;l&#39;é&amp;&lt;/a&gt;"
    );
}

#[tokio::test]
async fn a_month_without_declaration_in_the_region_says_so() {
    let all = backends().await;
    let t = &all[0];
    registry_and_declarations(&t.db).await;
    let region = regions::by_code("28").unwrap();
    let f = flash::flash(
        &t.db,
        region,
        MAY,
        &Options::default(),
        "2024-06-20T08:00:00Z".parse().unwrap(),
    )
    .await
    .unwrap();
    assert!(f.region_month.is_none());
    let text = flash::text::to_text(&f);
    assert!(
        text.contains(
            "Aucun ESSMS de la région ne figure dans une déclaration en vigueur pour mai 2024."
        ),
        "{text}"
    );
    assert!(text.contains("Projets sans déclaration pour mai 2024 : 0 sur 0"));
    assert!(flash::pdf(&f).unwrap().starts_with(b"%PDF-"));
}

/// Whether `cells` appear in `line` left to right, none overlapping.
fn in_order(line: &str, cells: &[&str]) -> bool {
    let mut from = 0;
    for cell in cells {
        match line[from..].find(cell) {
            Some(at) => from += at + cell.len(),
            None => return false,
        }
    }
    true
}

#[tokio::test]
async fn the_flash_pdf_shows_the_figures_as_table_rows_for_pdftotext() {
    let all = backends().await;
    let t = &all[0];
    registry_and_declarations(&t.db).await;
    let f = may_flash(&t.db).await;
    let pdf = flash::pdf(&f).unwrap();
    let fonts = String::from_utf8_lossy(&pdf);
    assert!(fonts.contains("/FontFile2"), "police non intégrée");
    let dir = std::env::temp_dir().join(unique("carnet_flash"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flash.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) if std::env::var("CI").is_err() => {
            eprintln!("pdftotext absent (poppler-utils) : lecture du PDF sautée ({e})");
            return;
        }
        Err(e) => panic!("pdftotext absent (poppler-utils) : {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "Nouvelle-Aquitaine (75)",
        "mai 2024",
        "Part de la région dans les DUI actifs déclarés en France : 51,2 %",
        "Projets sans déclaration pour mai 2024 : 1 sur 3",
        "Déclarations reçues après le 15/06/2024 (date limite) : 1 sur 2",
    ] {
        assert!(text.contains(expected), "« {expected} » absent :\n{text}");
    }
    // Each row of a table is one line of text, its cells in column order,
    // with the hand-checked figures (the same strings as the HTML's cells).
    for cells in [
        &["Indicateur", "Valeur"][..],
        &["DUI actifs", "105"],
        &["Personnes accompagnées", "150"],
        &["DUI avec projet personnalisé", "78"],
        &["Taux", "Valeur", "Cible", "Résultat", "ESSMS à la cible"],
        &[
            "Taux de dossiers actifs",
            "70,0 %",
            "90 %",
            "cible non atteinte",
            "1 sur 3 (33,3 %)",
        ],
        &["Indicateur", "Valeur", "Cible", "Écart"],
        &[
            "DUI actifs déclarés en France",
            "205",
            "410 000",
            "-409 795",
        ],
        &[
            "Mois",
            "DUI actifs",
            "Personnes accompagnées",
            "ESSMS déclarés",
            "Taux de dossiers actifs",
        ],
        &["avril 2024", "45", "100", "2", "45,0 %"],
        &["mai 2024", "105", "150", "3", "70,0 %"],
        &["5001", "Projet 5001"],
        &["7001", "17/06/2024 à 09:00:00 UTC"],
    ] {
        assert!(
            text.lines().any(|l| in_order(l, cells)),
            "ligne de tableau {cells:?} absente :\n{text}"
        );
    }
    assert!(!text.contains("6001"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
