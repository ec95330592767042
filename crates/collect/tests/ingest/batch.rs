//! Many files at once (`carnet collect ingest FILE…`): checked on every core,
//! stored a batch per transaction, with the versions, texts and failures of
//! ingesting the files one after the other.

use std::path::PathBuf;

use carnet_collect::ingest::ingest_paths;
use carnet_collect::versions::{self, ArchiveError, Submission};
use carnet_collect::{Limits, Period, read_workbook};
use jiff::Timestamp;
use jiff::civil::date;

use crate::support::*;
use crate::versions::{backends, unique};

fn may_2024() -> Period {
    Period {
        start: date(2024, 5, 1),
        end: date(2024, 5, 31),
    }
}

/// A clean file of `n` establishments for project `galis`, May 2024.
fn workbook(galis: f64, n: usize) -> Vec<u8> {
    let mut rows = table(n);
    for row in rows.iter_mut().skip(1) {
        row[col('A')] = C::N(galis);
    }
    collection_file(rows)
}

/// Writes the workbooks into a fresh directory, in order.
fn on_disk(files: &[(&str, &[u8])]) -> (PathBuf, Vec<PathBuf>) {
    let dir = std::env::temp_dir().join(unique("carnet_collect_batch"));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    (dir, paths)
}

fn at() -> Timestamp {
    "2024-06-05T09:00:00Z".parse().unwrap()
}

async fn ingest_all(
    db: &carnet_store::Db,
    paths: &[PathBuf],
) -> Result<(String, bool), ArchiveError> {
    ingest_paths(Some(db), paths, "cli", at(), &Limits::default(), 10).await
}

#[tokio::test]
async fn files_stored_together_are_each_their_own_version_in_the_order_given() {
    let (first, other, second) = (workbook(GALIS, 3), workbook(4108.0, 2), workbook(GALIS, 4));
    let (dir, paths) = on_disk(&[
        ("a.xlsx", &first),
        ("b.xlsx", &other),
        ("refuse.xlsx", b"pas un classeur"),
        ("c.xlsx", &second),
    ]);
    for t in backends().await {
        let (text, all) = ingest_all(&t.db, &paths).await.unwrap();
        assert!(!all, "{text}");
        let a = text.find("a.xlsx").unwrap();
        let refused = text.find("refuse.xlsx").unwrap();
        let c = text.find("c.xlsx").unwrap();
        assert!(a < refused && refused < c, "{text}");
        assert!(
            text.contains("version 2 ; elle remplace la version 1"),
            "{text}"
        );

        let all = versions::versions(&t.db, "4107", may_2024()).await.unwrap();
        let names: Vec<&str> = all.iter().map(|v| v.file_name.as_str()).collect();
        assert_eq!(names.len(), 2, "{}", t.name);
        assert!(
            names[0].ends_with("a.xlsx") && names[1].ends_with("c.xlsx"),
            "{names:?}"
        );
        assert_eq!((all[0].version, all[1].version), (1, 2));
        for (version, bytes, n) in [(&all[0], &first, 3), (&all[1], &second, 4)] {
            let stored = versions::file(&t.db, &version.file_sha256).await.unwrap();
            assert_eq!(stored.as_ref(), Some(bytes), "{}", t.name);
            assert_eq!(versions::rows(&t.db, version.id).await.unwrap().len(), n);
            let report = versions::report(&t.db, version.id).await.unwrap().unwrap();
            // With a database the file is looked up in its (here empty) registry.
            let expected = carnet_collect::read_workbook_in(
                bytes,
                &carnet_collect::projects::Registry::default(),
                &Limits::default(),
            )
            .unwrap()
            .report;
            assert_eq!(report, expected);
        }
        let other = versions::versions(&t.db, "4108", may_2024()).await.unwrap();
        assert_eq!(other.len(), 1, "{}", t.name);
        assert!(versions::verify(&t.db).await.unwrap().is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_same_file_twice_in_one_batch_is_kept_once_and_makes_two_versions() {
    let bytes = workbook(GALIS, 2);
    let declaration = read_workbook(&bytes, None, &Limits::default())
        .unwrap()
        .accept()
        .unwrap();
    let (first, again) = (
        Submission {
            file_name: "recueil.xlsx",
            bytes: &bytes,
            sent_by: "porteur-4107",
            received_at: at(),
        },
        Submission {
            file_name: "recueil (1).xlsx",
            bytes: &bytes,
            sent_by: "porteur-4107",
            received_at: at(),
        },
    );
    for t in backends().await {
        let stored =
            versions::store_batch(&t.db, &[(&declaration, &first), (&declaration, &again)], 10)
                .await
                .unwrap();
        let numbers: Vec<i64> = stored.iter().map(|v| v.version).collect();
        assert_eq!(numbers, vec![1, 2], "{}", t.name);
        assert_eq!(stored[1].file_name, "recueil (1).xlsx");
        assert_eq!(stored[0].file_sha256, stored[1].file_sha256);
        assert_eq!(
            versions::versions(&t.db, "4107", may_2024()).await.unwrap(),
            stored
        );
        let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM collect_files")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
        assert_eq!(files, 1, "{}", t.name);
        for v in &stored {
            assert_eq!(versions::rows(&t.db, v.id).await.unwrap().len(), 2);
        }
        // A batch later continues the numbering.
        let next = versions::store(&t.db, &declaration, &first, 10)
            .await
            .unwrap();
        assert_eq!(next.version, 3, "{}", t.name);
        assert!(
            versions::store_batch(&t.db, &[], 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn more_files_than_one_batch_keep_their_order_and_versions() {
    let bytes = workbook(GALIS, 1);
    let names: Vec<String> = (0..300).map(|i| format!("recueil_{i:03}.xlsx")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), bytes.as_slice()))
        .collect();
    let (dir, paths) = on_disk(&files);
    for t in backends().await {
        let (text, all) = ingest_all(&t.db, &paths).await.unwrap();
        assert!(all);
        assert_eq!(text.matches("Enregistré : projet 4107").count(), 300);
        let stored = versions::versions(&t.db, "4107", may_2024()).await.unwrap();
        assert_eq!(stored.len(), 300, "{}", t.name);
        for (i, v) in stored.iter().enumerate() {
            assert_eq!(v.version, i as i64 + 1);
            assert!(
                v.file_name.ends_with(&names[i]),
                "{} {}",
                v.file_name,
                names[i]
            );
        }
        // The text says the versions in the order of the files.
        let said: Vec<usize> = (1..=300)
            .map(|n| text.find(&format!("version {n}")).unwrap())
            .collect();
        assert!(said.windows(2).all(|w| w[0] < w[1]));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn when_a_batch_fails_the_files_before_the_failing_one_are_stored_as_one_at_a_time() {
    let (dir, paths) = on_disk(&[
        ("a.xlsx", &workbook(GALIS, 2)),
        ("b.xlsx", &workbook(4108.0, 2)),
        ("c.xlsx", &workbook(4109.0, 2)),
    ]);
    // SQLite alone: a trigger makes the database refuse project 4108.
    let t = backends().await.into_iter().next().unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_4108 BEFORE INSERT ON collect_versions \
         WHEN NEW.galis = '4108' BEGIN SELECT RAISE(ABORT, 'refusé par le test'); END",
    )
    .execute(t.db.pool())
    .await
    .unwrap();
    let outcome = ingest_all(&t.db, &paths).await;
    assert!(
        matches!(outcome, Err(ArchiveError::Database(_))),
        "{outcome:?}"
    );
    let stored = |galis: &'static str| {
        let db = t.db.clone();
        async move {
            versions::versions(&db, galis, may_2024())
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(stored("4107").await, 1);
    assert_eq!(stored("4108").await, 0);
    assert_eq!(stored("4109").await, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn empty_optional_counts_and_names_are_stored_as_read() {
    let mut rows = table(2);
    for letter in ['E', 'F', 'I', 'J'] {
        rows[1][col(letter)] = C::Blank;
    }
    let name = "EHPAD « Les Tilleuls » d'Arcachon \\ \"annexe\"";
    rows[2][col('D')] = t(name);
    let bytes = collection_file(rows);
    let (dir, paths) = on_disk(&[("vides.xlsx", &bytes)]);
    for t in backends().await {
        let (text, all) = ingest_all(&t.db, &paths).await.unwrap();
        assert!(all, "{text}");
        let version = versions::current(&t.db, "4107", may_2024())
            .await
            .unwrap()
            .unwrap();
        let stored = versions::rows(&t.db, version.id).await.unwrap();
        let declared = read_workbook(&bytes, None, &Limits::default())
            .unwrap()
            .accept()
            .unwrap()
            .rows;
        assert_eq!(stored, declared, "{}", t.name);
        let first = &stored[0];
        assert_eq!(
            (first.dmp, first.mss, first.care_plan, first.appointment),
            (None, None, None, None),
            "{}",
            t.name
        );
        assert_eq!(stored[1].name.as_deref(), Some(name));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
