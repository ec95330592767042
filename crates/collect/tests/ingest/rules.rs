//! One test per rule of SPEC.md §4.1 and §2.1, each on a small generated workbook.
//! Each asserts the exact set of findings, so a rule that fires too often fails too.

use carnet_collect::Rule;
use jiff::civil::date;

use crate::support::*;

fn with(mut rows: Vec<Vec<C>>, data_row: usize, letter: char, cell: C) -> Vec<Vec<C>> {
    rows[data_row + 1][col(letter)] = cell;
    rows
}

#[test]
fn a_clean_file_is_accepted_without_any_finding() {
    let checked = check_for(&collection_file(table(3)), &project(3));
    assert_findings(&checked, &[]);
    let declaration = checked.accept().unwrap();
    assert_eq!(declaration.rows.len(), 3);
    assert_eq!(declaration.galis, "4107");
    assert_eq!(declaration.siret.as_str(), SIRET);
    assert_eq!(declaration.period.start, date(2024, 5, 1));
    assert_eq!(declaration.period.end, date(2024, 5, 31));
    let first = &declaration.rows[0];
    assert_eq!(first.row, 2);
    assert_eq!(first.finess.as_str(), finess(0));
    assert_eq!((first.actifs, first.accompanied), (40, 50));
    assert_eq!(first.care_plan, Some(30));
}

#[test]
fn the_header_is_found_under_title_rows_and_columns_by_text_in_any_order() {
    let mut rows = vec![
        vec![t("PROJET GRAPPE GIRONDE - Recueil pour 05/2024")],
        vec![],
    ];
    // Reverse the columns and break the headers over lines.
    let mut header: Vec<C> = HEADERS
        .iter()
        .map(|h| t(h.replacen(' ', "\n", 2).to_uppercase()))
        .collect();
    header.reverse();
    rows.push(header);
    for i in 0..2 {
        let mut r = row(i);
        r.reverse();
        rows.push(r);
    }
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[]);
    assert_eq!(checked.rows[0].row, 4);
    assert_eq!(checked.rows[1].actifs, Some(40));
}

#[test]
fn mssante_spelt_without_space_is_the_same_column() {
    let mut rows = table(1);
    rows[0][col('F')] = t("Nombre de messages envoyés via la MSSanté");
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[]);
    assert_eq!(checked.rows[0].mss, Some(10));
}

#[test]
fn a_missing_mandatory_column_is_an_error_and_an_unknown_one_a_warning() {
    let mut rows = table(1);
    rows[0][col('G')] = t("Observations");
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[("G1", Rule::Column, W), ("A1", Rule::Column, E)],
    );
    assert!(
        finding(&checked, "A1")
            .message
            .contains("Nombre de DUI actifs")
    );
    assert!(checked.accept().is_err());
}

#[test]
fn a_column_twice_is_an_error_never_a_guess() {
    let mut rows = table(1);
    rows[0].push(t("Nombre de DUI actifs"));
    rows[1].push(C::N(12.0));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("M1", Rule::Column, E)]);
}

#[test]
fn the_data_sheet_is_found_by_a_variant_of_its_name() {
    let bytes = xlsx(&[
        ("Consignes", vec![]),
        ("LISTE MESURES D’USAGE 2024", table(1)),
    ]);
    let checked = check(&bytes);
    assert_findings(&checked, &[]);
    assert_eq!(checked.sheet, "LISTE MESURES D’USAGE 2024");
}

#[test]
fn a_data_sheet_under_another_name_is_read_with_a_warning() {
    let bytes = xlsx(&[("Consignes", vec![]), ("Feuil1", table(1))]);
    let checked = check(&bytes);
    assert_findings(&checked, &[("", Rule::DataSheet, W)]);
    assert_eq!(checked.rows.len(), 1);
}

#[test]
fn galis_must_be_the_same_on_every_row_and_the_projects() {
    let rows = with(table(2), 1, 'A', C::N(4108.0));
    let checked = check(&collection_file(rows.clone()));
    assert_findings(&checked, &[("A3", Rule::Galis, E)]);
    assert!(finding(&checked, "A3").message.contains("ligne 2"));

    let mut p = project(2);
    p.galis = "9999".to_owned();
    let checked = check_for(&collection_file(table(2)), &p);
    assert_findings(&checked, &[("A2", Rule::Galis, E), ("A3", Rule::Galis, E)]);
}

#[test]
fn galis_as_text_or_number_is_the_same_reference() {
    let rows = with(table(2), 1, 'A', t("4107"));
    assert_findings(&check_for(&collection_file(rows), &project(2)), &[]);
}

#[test]
fn siret_must_be_the_same_on_every_row() {
    let rows = with(table(2), 1, 'B', t("77572284600117"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("B3", Rule::Siret, E)]);
}

#[test]
fn siret_must_match_the_one_declared_in_galis() {
    let mut p = project(1);
    p.siret = carnet_core::Siret::parse("77572284600117").unwrap();
    let checked = check_for(&collection_file(table(1)), &p);
    assert_findings(&checked, &[("B2", Rule::Siret, E)]);
}

#[test]
fn siret_with_a_wrong_key_is_an_error() {
    let rows = with(table(1), 0, 'B', t("73282932000079"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("B2", Rule::Siret, E)]);
    assert!(finding(&checked, "B2").message.contains("clé"));
}

#[test]
fn siret_written_with_spaces_is_read_and_said() {
    let rows = with(table(1), 0, 'B', t("732 829 320 00074"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("B2", Rule::Siret, W)]);
    let f = finding(&checked, "B2");
    assert_eq!(f.value.as_deref(), Some("732 829 320 00074"));
    assert!(f.message.contains("73282932000074"));
    assert!(checked.accept().is_ok());
}

#[test]
fn siret_typed_as_a_number_is_read_and_said() {
    let rows = with(table(1), 0, 'B', C::N(73282932000074.0));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("B2", Rule::Siret, W)]);
    assert!(finding(&checked, "B2").message.contains("nombre"));
}

#[test]
fn finess_must_be_unique_in_the_file() {
    let rows = with(table(2), 1, 'C', t(finess(0)));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C3", Rule::DuplicateFiness, E)]);
    assert!(finding(&checked, "C3").message.contains("ligne 2"));
}

#[test]
fn finess_with_a_wrong_key_is_an_error() {
    let rows = with(table(1), 0, 'C', t("330780496"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C2", Rule::Finess, E)]);
}

#[test]
fn finess_of_eight_digits_says_a_leading_zero_was_probably_lost() {
    let rows = with(table(1), 0, 'C', t("10000024"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C2", Rule::Finess, E)]);
    assert!(finding(&checked, "C2").message.contains("zéro initial"));
}

#[test]
fn finess_typed_as_a_number_is_read_and_said() {
    let rows = with(table(1), 0, 'C', C::N(finess(0).parse::<f64>().unwrap()));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C2", Rule::Finess, W)]);
    let f = finding(&checked, "C2");
    assert!(f.message.contains(&finess(0)), "{}", f.message);
}

#[test]
fn finess_typed_as_a_number_that_lost_its_zero_is_an_error() {
    let ain = carnet_core::Finess::with_computed_key("01000002").unwrap();
    let number: f64 = ain.as_str().parse().unwrap();
    let rows = with(table(1), 0, 'C', C::N(number));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C2", Rule::Finess, E)]);
    let f = finding(&checked, "C2");
    assert!(
        f.message.contains(&format!("0{}", &ain.as_str()[1..])),
        "{}",
        f.message
    );
}

#[test]
fn an_empty_finess_is_an_error() {
    let rows = with(table(2), 0, 'C', C::Blank);
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("C2", Rule::Mandatory, E)]);
}

#[test]
fn an_establishment_outside_the_project_is_an_error() {
    let checked = check_for(&collection_file(table(3)), &project(2));
    assert_findings(&checked, &[("C4", Rule::NotInProject, E)]);
}

#[test]
fn counts_must_be_integers_not_below_zero() {
    let rows = with(table(3), 0, 'E', C::N(-1.0));
    let rows = with(rows, 1, 'F', C::N(2.5));
    let rows = with(rows, 2, 'G', t("beaucoup"));
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[
            ("E2", Rule::Count, E),
            ("F3", Rule::Count, E),
            ("G4", Rule::Count, E),
        ],
    );
}

#[test]
fn a_comment_in_a_number_cell_is_read_and_said() {
    let rows = with(table(1), 0, 'H', t("51 (formation du 13 au 15 sept)"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("H2", Rule::CountWithComment, W)]);
    let f = finding(&checked, "H2");
    assert!(f.message.contains("lu 51"), "{}", f.message);
    assert!(f.message.contains("formation du 13 au 15 sept"));
    assert_eq!(checked.rows[0].accompanied, Some(51));
}

#[test]
fn an_ambiguous_number_is_never_guessed() {
    let rows = with(table(1), 0, 'H', t("51 ou 52"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("H2", Rule::Count, E)]);
    assert_eq!(checked.rows[0].accompanied, None);
}

#[test]
fn numbers_as_text_are_read_and_group_spaces_said() {
    let rows = with(table(2), 0, 'H', t("50"));
    let rows = with(rows, 1, 'F', t("1 234"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("F3", Rule::Count, W)]);
    assert_eq!(checked.rows[1].mss, Some(1234));
}

#[test]
fn pp_and_agenda_cannot_exceed_the_active_records() {
    let rows = with(table(2), 0, 'I', C::N(41.0));
    let rows = with(rows, 1, 'J', C::N(41.0));
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[("I2", Rule::Consistency, E), ("J3", Rule::Consistency, E)],
    );
}

#[test]
fn more_active_records_than_persons_is_a_warning() {
    let rows = with(table(1), 0, 'G', C::N(45.0));
    let rows = with(rows, 0, 'H', C::N(44.0));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("G2", Rule::Consistency, W)]);
}

#[test]
fn empty_mandatory_cells_are_errors_and_empty_optional_ones_are_not() {
    let rows = with(table(1), 0, 'G', C::Blank);
    let rows = with(rows, 0, 'A', C::Blank);
    let rows = with(rows, 0, 'E', C::Blank);
    let rows = with(rows, 0, 'I', C::Blank);
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[("A2", Rule::Mandatory, E), ("G2", Rule::Mandatory, E)],
    );
}

#[test]
fn dates_as_text_are_read() {
    let rows = with(table(1), 0, 'K', t("01/05/2024"));
    let rows = with(rows, 0, 'L', t("31/05/2024"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[]);
    assert_eq!(checked.rows[0].start, Some(date(2024, 5, 1)));
}

#[test]
fn a_date_that_does_not_exist_is_an_error() {
    let rows = with(table(1), 0, 'L', t("31/02/2024"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("L2", Rule::Date, E)]);
}

#[test]
fn an_excel_serial_in_a_number_cell_is_read_as_a_date_and_said() {
    let rows = with(table(1), 0, 'K', C::N(45413.0));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("K2", Rule::Date, W)]);
    assert!(finding(&checked, "K2").message.contains("01/05/2024"));
    assert_eq!(checked.rows[0].start, Some(date(2024, 5, 1)));
}

#[test]
fn an_end_before_the_start_is_an_error() {
    let rows = with(table(1), 0, 'L', C::D(2024, 4, 30));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("L2", Rule::Period, E)]);
}

#[test]
fn a_period_of_one_day_is_a_warning() {
    let rows = with(table(1), 0, 'L', C::D(2024, 5, 1));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("L2", Rule::Period, W)]);
    assert!(checked.accept().is_ok());
}

#[test]
fn several_periods_in_one_file_are_an_error() {
    let rows = with(table(2), 1, 'K', C::D(2024, 4, 1));
    let rows = with(rows, 1, 'L', C::D(2024, 4, 30));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("K3", Rule::Period, E)]);
}

#[test]
fn a_labelled_totals_row_is_left_out_and_said() {
    let mut rows = table(2);
    let mut total = vec![C::Blank, C::Blank, C::Blank, t("Total")];
    total.extend([10.0, 20.0, 80.0, 100.0, 60.0, 40.0].map(C::N));
    rows.push(total);
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("D4", Rule::TotalsRow, W)]);
    assert_eq!(checked.rows.len(), 2);
}

#[test]
fn an_unlabelled_totals_row_is_recognised_by_its_sums() {
    let mut rows = table(2);
    let mut total = vec![C::Blank; 4];
    total.extend([10.0, 20.0, 80.0, 100.0, 60.0, 40.0].map(C::N));
    rows.push(total);
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("A4", Rule::TotalsRow, W)]);
}

#[test]
fn a_row_without_finess_that_is_not_a_total_is_an_error() {
    let mut rows = table(2);
    let mut other = vec![C::Blank; 4];
    other.extend([1.0, 2.0, 3.0, 4.0, 2.0, 1.0].map(C::N));
    rows.push(other);
    let checked = check(&collection_file(rows));
    let s = summary(&checked);
    assert!(s.contains(&("C4".to_owned(), Rule::Mandatory, E)), "{s:?}");
    assert!(s.contains(&("K4".to_owned(), Rule::Mandatory, E)), "{s:?}");
}

#[test]
fn the_same_row_twice_is_one_error() {
    let mut rows = table(2);
    rows.push(row(1));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("A4", Rule::DuplicateRow, E)]);
    assert!(finding(&checked, "A4").message.contains("ligne 3"));
}

#[test]
fn the_same_row_twice_is_found_without_a_finess_column() {
    let mut rows = table(2);
    rows.push(row(1));
    for cells in &mut rows {
        cells.remove(col('C'));
    }
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[("A1", Rule::Column, E), ("A4", Rule::DuplicateRow, E)],
    );
}

#[test]
fn rows_alike_but_in_one_cell_are_not_the_same_row() {
    let mut rows = table(2);
    let mut again = row(1);
    again[col('L')] = C::D(2024, 5, 30);
    rows.push(again);
    let checked = check(&collection_file(rows));
    // Same FINESS, another period: two errors, no doubled row.
    assert!(
        summary(&checked)
            .iter()
            .all(|(_, rule, _)| *rule != Rule::DuplicateRow),
        "{}",
        checked.report.to_text()
    );
    assert!(summary(&checked).contains(&("C4".to_owned(), Rule::DuplicateFiness, E)));
}

#[test]
fn every_cell_is_checked_even_with_other_errors_and_no_project() {
    let rows = with(table(3), 0, 'C', t("330780496"));
    let rows = with(rows, 1, 'G', C::N(-5.0));
    let rows = with(rows, 2, 'L', t("32/05/2024"));
    let rows = with(rows, 2, 'B', t("732 829 320 00074"));
    let checked = check(&collection_file(rows));
    assert_findings(
        &checked,
        &[
            ("C2", Rule::Finess, E),
            ("G3", Rule::Count, E),
            ("B4", Rule::Siret, W),
            ("L4", Rule::Date, E),
        ],
    );
    assert!(checked.accept().is_err());
}

#[test]
fn the_report_names_sheet_cell_value_rule_and_severity_in_french() {
    let rows = with(table(7), 6, 'H', t("51 (formation du 13 au 15 sept)"));
    let rows = with(rows, 0, 'G', C::N(-1.0));
    let text = check(&collection_file(rows)).report.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "[erreur] feuille « Liste des mesures d'usage », cellule G2, valeur lue « -1 »"
        ),
        "{text}"
    );
    assert!(lines[1].starts_with("[avertissement] feuille « Liste des mesures d'usage », cellule H8, valeur lue « 51 (formation du 13 au 15 sept) »"), "{text}");
    assert!(
        lines[1].ends_with("(règle nombre-avec-commentaire)"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("Fichier refusé : 1 erreur(s), 1 avertissement(s)"),
        "{text}"
    );
}

#[test]
fn a_header_without_rows_is_an_error() {
    let checked = check(&collection_file(table(0)));
    assert_findings(&checked, &[("A1", Rule::Mandatory, E)]);
}

#[test]
fn an_establishment_of_the_project_without_a_row_is_a_warning() {
    let checked = check_for(&collection_file(table(2)), &project(3));
    assert_findings(&checked, &[("", Rule::MissingEstablishment, W)]);
    assert!(checked.report.findings[0].message.contains(&finess(2)));
    assert!(checked.accept().is_ok());
}

#[test]
fn a_value_in_a_column_without_header_is_said_once() {
    let mut rows = table(3);
    rows[1].push(t("à revoir"));
    rows[3].push(t("idem"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("M2", Rule::Column, W)]);
}

#[test]
fn a_finess_juridique_column_is_not_taken_for_the_establishments() {
    let mut rows = table(1);
    rows[0].push(t("FINESS juridique"));
    rows[1].push(t("330000001"));
    let checked = check(&collection_file(rows));
    assert_findings(&checked, &[("M1", Rule::Column, W)]);
    assert_eq!(
        checked.rows[0].finess.as_ref().map(|f| f.to_string()),
        Some(finess(0))
    );
}
