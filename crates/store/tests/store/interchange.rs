use crate::support::{self, ctx};
use carnet_core::model::*;
use carnet_store::Scope;
use carnet_store::interchange::ImportOutcome;

async fn export_string(db: &carnet_store::Db) -> String {
    let mut out = Vec::new();
    db.export(&mut out, |_| ()).await.unwrap();
    String::from_utf8(out).unwrap()
}

fn write_temp(content: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "carnet_import_{}_{}.ndjson",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::write(&path, content).unwrap();
    path
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn export_import_export_is_identical() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        t.db.create(
            &ctx(),
            &scope,
            support::event(1, a.id, 10, "Repas pris en entier, « bon appétit » !"),
        )
        .await
        .unwrap();
        let first = export_string(&t.db).await;
        let path = write_temp(&first);
        let target = support::sqlite().await;
        match target.db.import(&ctx(), &path, |_, _| ()).await.unwrap() {
            ImportOutcome::Imported { lines } => assert_eq!(lines as usize, first.lines().count()),
            ImportOutcome::Refused { errors, .. } => panic!("{errors:?}"),
        }
        assert_eq!(export_string(&target.db).await, first, "{}", t.name);
        assert!(target.db.verify_audit(|| ()).await.unwrap().is_empty());
        // And into the same backend as the source.
        if t.name == "postgres" {
            let pg = support::postgres(&support::postgres_url().unwrap()).await;
            assert!(matches!(
                pg.db.import(&ctx(), &path, |_, _| ()).await.unwrap(),
                ImportOutcome::Imported { .. }
            ));
            assert_eq!(export_string(&pg.db).await, first);
        }
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn a_bad_file_lists_every_error_and_writes_nothing() {
    let t = support::sqlite().await;
    let source = support::sqlite().await;
    support::two_organisations(&source.db).await;
    let good = export_string(&source.db).await;
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // A bad FINESS key, an unknown person, a stay ending before it starts, bad JSON.
    lines.push(r#"{"type":"establishment","id":99,"organisation_id":1,"finess":"330780496","name":"X","category":"EHPAD","sector":"PA","time_zone":"Europe/Paris"}"#.into());
    lines.push(r#"{"type":"stay","id":98,"organisation_id":1,"person_id":4242,"establishment_id":10,"start":"2024-01-01","end":null,"end_kind":null,"mode":"EXTERNAT"}"#.into());
    lines.push(r#"{"type":"stay","id":97,"organisation_id":1,"person_id":1,"establishment_id":10,"start":"2024-05-01","end":"2024-04-01","end_kind":"SORTIE_DEFINITIVE","mode":"EXTERNAT"}"#.into());
    lines.push("{oops".into());
    let path = write_temp(&lines.join("\n"));
    let n = lines.len() as u64;
    match t.db.import(&ctx(), &path, |_, _| ()).await.unwrap() {
        ImportOutcome::Refused { errors, total } => {
            assert_eq!(total, 4, "{errors:?}");
            assert_eq!(
                (errors[0].line, errors[0].field.as_str()),
                (n - 3, "finess")
            );
            assert!(errors[0].message.contains("clé"));
            assert_eq!(
                (errors[1].line, errors[1].field.as_str()),
                (n - 2, "person_id")
            );
            assert_eq!((errors[2].line, errors[2].field.as_str()), (n - 1, "end"));
            assert_eq!(errors[3].line, n);
            assert!(errors[3].message.contains("JSON"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        t.db.organisations().await.unwrap().is_empty(),
        "nothing written"
    );
    let _ = std::fs::remove_file(path);
}
