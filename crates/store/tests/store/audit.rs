use crate::support::{self, ctx};
use carnet_core::model::*;
use carnet_store::{AuditAction, Outcome, Scope};

#[tokio::test]
async fn every_write_is_chained_and_verify_passes() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let entries =
            t.db.audit_for_person(OrganisationId(1), a.id, 100)
                .await
                .unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.action == "create" && e.resource == format!("person/{}", a.id)),
            "{}",
            t.name
        );
        assert_eq!(
            t.db.verify_audit(|| ()).await.unwrap(),
            vec![],
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn an_edited_entry_is_reported_by_its_row() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        t.db.read_person(&ctx(), &scope, a.id)
            .await
            .unwrap()
            .unwrap();
        let target =
            t.db.audit_for_person(OrganisationId(1), a.id, 1)
                .await
                .unwrap()
                .remove(0);
        assert_eq!(target.action, "read");
        sqlx::query("UPDATE audit_entries SET actor = 'user:999' WHERE id = $1")
            .bind(target.id)
            .execute(t.db.pool())
            .await
            .unwrap();
        let problems = t.db.verify_audit(|| ()).await.unwrap();
        assert_eq!(problems.len(), 1, "{}", t.name);
        assert_eq!(problems[0].entry_id, Some(target.id), "{}", t.name);
        assert!(
            problems[0].to_string().contains("modifié"),
            "{}",
            problems[0]
        );
    }
}

#[tokio::test]
async fn deleted_and_truncated_entries_are_reported() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        t.db.audit(
            &ctx(),
            OrganisationId(1),
            AuditAction::Read,
            None,
            "x",
            Outcome::Ok,
        )
        .await
        .unwrap();
        t.db.audit(
            &ctx(),
            OrganisationId(1),
            AuditAction::Read,
            None,
            "y",
            Outcome::Refused,
        )
        .await
        .unwrap();
        // Deleting the last entry leaves the chain consistent but shorter than its head.
        sqlx::query("DELETE FROM audit_entries WHERE resource = 'y'")
            .execute(t.db.pool())
            .await
            .unwrap();
        let problems = t.db.verify_audit(|| ()).await.unwrap();
        assert_eq!(problems.len(), 1, "{}", t.name);
        assert!(
            problems[0].message.contains("supprimées"),
            "{}",
            problems[0]
        );
        // Deleting one in the middle breaks the sequence.
        sqlx::query("DELETE FROM audit_entries WHERE organisation_id = 1 AND seq = 2")
            .execute(t.db.pool())
            .await
            .unwrap();
        let problems = t.db.verify_audit(|| ()).await.unwrap();
        assert!(problems[0].message.contains("manque"), "{}", problems[0]);
    }
}

#[tokio::test]
async fn two_processes_appending_to_one_database_keep_one_chain() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        // A second handle has its own cache of chain heads, like another process.
        let url = t.db.url().to_owned();
        let other = carnet_store::Db::connect(&url).await.unwrap();
        for i in 0..5 {
            let db = if i % 2 == 0 { &t.db } else { &other };
            db.audit(
                &ctx(),
                OrganisationId(1),
                AuditAction::Read,
                None,
                &format!("r{i}"),
                Outcome::Ok,
            )
            .await
            .unwrap();
            db.audit(
                &ctx(),
                OrganisationId(1),
                AuditAction::Read,
                None,
                &format!("s{i}"),
                Outcome::Ok,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            t.db.verify_audit(|| ()).await.unwrap(),
            vec![],
            "{}",
            t.name
        );
        other.close().await;
    }
}
