//! Hostile and broken files are refused quickly with a French message, without
//! exhausting memory: crafted with the zip crate and rust_xlsxwriter.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use carnet_collect::{Limits, Refusal, read_workbook};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::support::*;

fn refusal(bytes: &[u8], limits: &Limits) -> Refusal {
    let started = Instant::now();
    let result = read_workbook(bytes, None, limits);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusal took too long"
    );
    match result {
        Err(r) => r,
        Ok(checked) => panic!("accepted:\n{}", checked.report.to_text()),
    }
}

/// Rewrites a generated workbook, adding entries after the real ones.
fn with_extra_entries(base: &[u8], extra: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut source = zip::ZipArchive::new(Cursor::new(base)).unwrap();
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let file = source.by_index_raw(i).unwrap();
        out.raw_copy_file(file).unwrap();
    }
    for (name, data, method) in extra {
        out.start_file(
            *name,
            SimpleFileOptions::default().compression_method(*method),
        )
        .unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(refusal(b"", &Limits::default()), Refusal::Empty);
}

#[test]
fn a_text_file_is_not_an_xlsx() {
    let r = refusal(
        b"Reference GALIS;SIRET\n4107;73282932000074\n",
        &Limits::default(),
    );
    assert!(matches!(r, Refusal::NotXlsx { .. }), "{r:?}");
    assert!(r.to_string().contains("n'est pas un classeur Excel .xlsx"));
}

#[test]
fn an_old_xls_or_encrypted_file_is_refused_with_what_to_do() {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend([0u8; 512]);
    let r = refusal(&bytes, &Limits::default());
    assert_eq!(r, Refusal::LegacyOrEncrypted);
    assert!(r.to_string().contains(".xlsx"));
}

#[test]
fn a_zip_without_a_workbook_is_not_an_xlsx() {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    out.start_file("notes.txt", SimpleFileOptions::default())
        .unwrap();
    out.write_all(b"bonjour").unwrap();
    let bytes = out.finish().unwrap().into_inner();
    assert!(matches!(
        refusal(&bytes, &Limits::default()),
        Refusal::NotXlsx { .. }
    ));
}

#[test]
fn an_opendocument_spreadsheet_is_named_as_such() {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    out.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    out.write_all(b"<office:document-content/>").unwrap();
    let bytes = out.finish().unwrap().into_inner();
    assert_eq!(refusal(&bytes, &Limits::default()), Refusal::OpenDocument);
}

#[test]
fn a_truncated_workbook_is_damaged() {
    let bytes = collection_file(table(3));
    let r = refusal(&bytes[..bytes.len() / 2], &Limits::default());
    assert!(matches!(r, Refusal::Damaged { .. }), "{r:?}");
    assert!(r.to_string().contains("endommagé"));
}

#[test]
fn garbage_after_a_zip_signature_is_damaged_not_a_panic() {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert!(matches!(
        refusal(&bytes, &Limits::default()),
        Refusal::Damaged { .. }
    ));
}

#[test]
fn a_file_above_the_size_limit_is_refused_before_reading() {
    let limits = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let r = refusal(&collection_file(table(3)), &limits);
    assert!(matches!(r, Refusal::TooLarge { max: 1000, .. }), "{r:?}");
}

#[test]
fn a_zip_bomb_entry_is_refused_from_the_central_directory() {
    // 40 MiB of zeros deflate to about 40 kB: a ratio near 1 000.
    let zeros = vec![0u8; 40 * 1024 * 1024];
    let base = collection_file(table(1));
    let bytes = with_extra_entries(
        &base,
        &[("xl/media/image1.bin", &zeros, CompressionMethod::Deflated)],
    );
    drop(zeros);
    let r = refusal(&bytes, &Limits::default());
    assert!(matches!(r, Refusal::EntryTooLarge { .. }), "{r:?}");
    // Under a larger size limit, the ratio is what refuses it.
    let limits = Limits {
        max_entry_bytes: u64::MAX,
        max_uncompressed_bytes: u64::MAX,
        ..Limits::default()
    };
    let r = refusal(&bytes, &limits);
    assert!(matches!(r, Refusal::Ratio { .. }), "{r:?}");
    assert!(r.to_string().contains("bombe zip"));
}

#[test]
fn many_entries_are_refused() {
    let base = collection_file(table(1));
    let names: Vec<String> = (0..600).map(|i| format!("xl/custom/item{i}.xml")).collect();
    let extra: Vec<(&str, &[u8], CompressionMethod)> = names
        .iter()
        .map(|n| (n.as_str(), &b"<a/>"[..], CompressionMethod::Stored))
        .collect();
    let bytes = with_extra_entries(&base, &extra);
    assert!(matches!(
        refusal(&bytes, &Limits::default()),
        Refusal::TooManyEntries { count: _, max: 500 }
    ));
}

#[test]
fn the_sum_of_expanded_entries_is_limited() {
    let limits = Limits {
        max_uncompressed_bytes: 4096,
        ..Limits::default()
    };
    let r = refusal(&collection_file(table(3)), &limits);
    assert!(matches!(r, Refusal::ExpandsTooMuch { .. }), "{r:?}");
}

/// Sets the declared uncompressed size of an entry, in the central directory
/// and in its local header, to lie about what it expands to.
fn lie_about_size(bytes: &mut [u8], entry: &str, size: u32) {
    let name = entry.as_bytes();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (sig, name_at, size_at) = match &bytes[i..i + 4] {
            b"PK\x01\x02" => ("central", 46, 24),
            b"PK\x03\x04" => ("local", 30, 22),
            _ => continue,
        };
        let len_at = if sig == "central" { 28 } else { 26 };
        let len = u16::from_le_bytes([bytes[i + len_at], bytes[i + len_at + 1]]) as usize;
        if len == name.len() && &bytes[i + name_at..i + name_at + len] == name {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "entry {entry} not found twice");
}

#[test]
fn an_entry_expanding_beyond_its_declared_size_is_damaged() {
    let mut bytes = collection_file(table(20));
    lie_about_size(&mut bytes, "xl/worksheets/sheet2.xml", 100);
    let r = refusal(&bytes, &Limits::default());
    assert!(matches!(r, Refusal::Damaged { .. }), "{r:?}");
}

#[test]
fn too_many_cells_are_refused() {
    let limits = Limits {
        max_cells: 100,
        ..Limits::default()
    };
    let r = refusal(&collection_file(table(20)), &limits);
    assert!(matches!(r, Refusal::TooManyCells { max: 100, .. }), "{r:?}");
}

#[test]
fn cells_far_apart_do_not_allocate_the_rectangle_between_them() {
    // A1 and XFD1048576: a dense range would be 17 billion cells.
    let bytes = {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(DATA_SHEET).unwrap();
        write_rows(sheet, &table(1));
        sheet.write_string(1_048_575, 16_383, "loin").unwrap();
        workbook.save_to_buffer().unwrap()
    };
    let started = Instant::now();
    let checked = read_workbook(&bytes, None, &Limits::default()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(checked.rows.len(), 1);
    // The far cell is a row without any recognised column: said, not dropped.
    assert_eq!(
        finding(&checked, "XFD1048576").rule,
        carnet_collect::Rule::Column
    );
}

#[test]
fn the_time_limit_refuses_a_slow_file() {
    let limits = Limits {
        max_duration: Duration::ZERO,
        ..Limits::default()
    };
    let r = refusal(&collection_file(table(3)), &limits);
    assert!(matches!(r, Refusal::TooSlow { .. }), "{r:?}");
}

#[test]
fn a_workbook_without_a_data_sheet_is_refused_naming_its_sheets() {
    let bytes = xlsx(&[("Consignes", vec![vec![t("rien")]]), ("Feuil2", vec![])]);
    let r = refusal(&bytes, &Limits::default());
    assert!(matches!(r, Refusal::NoDataSheet { .. }), "{r:?}");
    assert!(r.to_string().contains("« Consignes », « Feuil2 »"), "{r}");
}

#[test]
fn no_corruption_of_a_workbook_panics() {
    // Deterministic byte flips over the whole file, central directory included:
    // each must give a report or a refusal, never a panic.
    let base = collection_file(table(5));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..400 {
        let mut bytes = base.clone();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] ^= (state >> 32) as u8 | 1;
        }
        let _ = read_workbook(&bytes, None, &Limits::default());
    }
}

/// The entries of a zip, expanded.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut source = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut entries = Vec::new();
    for i in 0..source.len() {
        let mut file = source.by_index(i).unwrap();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        entries.push((file.name().unwrap().into_owned(), data));
    }
    entries
}

/// A zip of these entries, uncompressed.
fn stored_zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in entries {
        out.start_file(name.as_str(), stored).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_cell_outside_the_excel_grid_is_damaged() {
    let mut entries = entries(&collection_file(table(2)));
    let sheet = entries
        .iter_mut()
        .find(|(n, _)| n == "xl/worksheets/sheet2.xml")
        .unwrap();
    let xml = String::from_utf8(sheet.1.clone()).unwrap();
    assert!(xml.contains(r#"r="L3""#));
    sheet.1 = xml.replace(r#"r="L3""#, r#"r="L4294967295""#).into_bytes();
    let r = refusal(&stored_zip(&entries), &Limits::default());
    assert!(matches!(r, Refusal::Damaged { .. }), "{r:?}");
}

#[test]
fn no_corruption_of_the_xml_inside_panics() {
    let entries = entries(&collection_file(table(5)));
    let targets = [
        "xl/worksheets/sheet2.xml",
        "xl/sharedStrings.xml",
        "xl/workbook.xml",
        "xl/styles.xml",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..400 {
        let target = targets[round % targets.len()];
        let mut mutated = entries.clone();
        for (name, data) in &mut mutated {
            if name == target {
                for _ in 0..1 + next() % 4 {
                    let at = (next() % data.len() as u64) as usize;
                    // Printable bytes, and the characters that matter to XML.
                    let pool = b"<>/\"=&;0123456789-.Ee rctvs";
                    data[at] = pool[(next() % pool.len() as u64) as usize];
                }
            }
        }
        let _ = read_workbook(&stored_zip(&mutated), None, &Limits::default());
    }
}
