//! The two shared sample workbooks (shared/fixtures, copied into tests/fixtures).

use carnet_collect::{Rule, Severity};
use jiff::civil::date;

use crate::support::*;

const CLEAN: &[u8] = include_bytes!("../fixtures/recueil_propre_2024_05.xlsx");
const AS_IN_PRACTICE: &[u8] = include_bytes!("../fixtures/recueil_comme_en_pratique_2024_T2.xlsx");

#[test]
fn the_clean_fixture_is_accepted_as_it_is() {
    let checked = check(CLEAN);
    assert_findings(&checked, &[]);
    let declaration = checked.accept().unwrap();
    assert_eq!(declaration.galis, "4107");
    assert_eq!(declaration.siret.as_str(), "73282932000074");
    assert_eq!(declaration.period.start, date(2024, 5, 1));
    assert_eq!(declaration.period.end, date(2024, 5, 31));
    assert_eq!(declaration.rows[0].finess.as_str(), "330100009");
    assert_eq!(declaration.rows[0].actifs, 77);
}

#[test]
fn the_fixture_as_exchanged_in_practice_is_accepted_with_every_oddity_said() {
    let checked = check(AS_IN_PRACTICE);
    assert_eq!(checked.sheet, "Liste des mesures d'usage");
    // Title row merged above the header: data start on row 3.
    assert_eq!(checked.rows.first().map(|r| r.row), Some(3));
    // 15 establishments; the totals row (row 18) is not one of them.
    assert_eq!(checked.rows.len(), 15);
    assert!(checked.rows.iter().all(|r| r.row < 18));
    let mut expected: Vec<(String, Rule, Severity)> = (3..=17)
        .map(|r| (format!("B{r}"), Rule::Siret, W))
        .collect();
    expected.push(("H6".to_owned(), Rule::CountWithComment, W));
    expected.push(("D18".to_owned(), Rule::TotalsRow, W));
    let expected: Vec<(&str, Rule, Severity)> = expected
        .iter()
        .map(|(c, r, s)| (c.as_str(), *r, *s))
        .collect();
    assert_findings(&checked, &expected);
    assert!(finding(&checked, "H6").message.contains("lu 81"));
    assert_eq!(checked.rows[3].accompanied, Some(81));
    let declaration = checked.accept().unwrap();
    assert_eq!(declaration.period.start, date(2024, 4, 1));
    assert_eq!(declaration.period.end, date(2024, 6, 30));
}

#[test]
fn the_fixture_against_a_project_missing_one_establishment() {
    let checked = check(CLEAN);
    let mut p = project(0);
    p.establishments = checked
        .rows
        .iter()
        .skip(1)
        .filter_map(|r| r.finess.clone())
        .collect();
    let checked = check_for(CLEAN, &p);
    let errors: Vec<_> = checked.report.errors().collect();
    assert_eq!(errors.len(), 1, "{}", checked.report.to_text());
    assert_eq!(errors[0].rule, Rule::NotInProject);
    assert_eq!(errors[0].cell.as_deref(), Some("C2"));
}

#[test]
#[ignore = "prints the report of the practice fixture, for reading"]
fn print_the_practice_fixture_report() {
    print!("{}", check(AS_IN_PRACTICE).report.to_text());
}

#[test]
#[ignore = "timing, run with --release: reads the practice fixture 2 000 times"]
fn time_two_thousand_reads() {
    let started = std::time::Instant::now();
    for _ in 0..2000 {
        let checked = check(AS_IN_PRACTICE);
        assert_eq!(checked.rows.len(), 15);
    }
    println!("2 000 lectures : {:?}", started.elapsed());
}

#[test]
#[ignore = "timing, run with --release: where the time of one read goes"]
fn time_the_parts_of_a_read() {
    use calamine::Reader;
    use std::time::Instant;
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        let a = zip::ZipArchive::new(std::io::Cursor::new(AS_IN_PRACTICE)).unwrap();
        assert!(a.len() > 3);
    }
    println!("zip central directory: {:?}", started.elapsed());
    let started = Instant::now();
    for _ in 0..n {
        let x: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(AS_IN_PRACTICE)).unwrap();
        assert!(!x.sheet_names().is_empty());
    }
    println!("calamine open: {:?}", started.elapsed());
    let started = Instant::now();
    for _ in 0..n {
        let mut x: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(AS_IN_PRACTICE)).unwrap();
        let mut r = x
            .worksheet_cells_reader("Liste des mesures d'usage")
            .unwrap();
        let mut k = 0;
        while let Some(_c) = r.next_cell().unwrap() {
            k += 1;
        }
        assert!(k > 100);
    }
    println!("calamine open + cells: {:?}", started.elapsed());
    let started = Instant::now();
    for _ in 0..n {
        check(AS_IN_PRACTICE);
    }
    println!("read_workbook: {:?}", started.elapsed());
}
