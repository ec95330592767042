use crate::support::{self, ctx};
use carnet_core::indicators::{Figures, Period};
use carnet_core::model::OrganisationId;
use carnet_store::{DeclarationKind, NewDeclaration};
use jiff::civil::date;

fn line(kind: DeclarationKind, finess: &str, month: i8, active: u64) -> NewDeclaration {
    let from = date(2026, month, 1);
    let to = from.last_of_month();
    NewDeclaration {
        kind,
        period: Period::new(from, to).unwrap(),
        finess: finess.to_owned(),
        establishment_name: format!("Établissement {finess}"),
        rule_set_id: "esms-numerique-2024.1".to_owned(),
        figures: Figures {
            records: active + 5,
            open_records: active + 2,
            active_records: active,
            accompanied_persons: active + 1,
            active_with_care_plan: active,
            active_with_appointment: active,
            dmp_fed_persons: 1,
            mss_messages: 3,
            e_prescription_imports: None,
            e_parcours_exchanges: None,
        },
        declarant: (kind == DeclarationKind::Proof).then(|| "Claire Martin, directrice".to_owned()),
        galis_reference: None,
        file_name: "f".to_owned(),
        file_sha256: "ab".repeat(32),
    }
}

#[tokio::test]
async fn declarations_are_kept_with_their_figures_and_audited() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        let org = OrganisationId(1);
        let ids =
            t.db.record_declarations(
                &ctx(),
                org,
                &[
                    line(DeclarationKind::Workbook, "750000001", 10, 40),
                    line(DeclarationKind::Workbook, "750000002", 10, 7),
                ],
            )
            .await
            .unwrap();
        assert_eq!(ids.len(), 2, "{}", t.name);
        // A new version for the same period never replaces the older one.
        t.db.record_declarations(
            &ctx(),
            org,
            &[line(DeclarationKind::Proof, "750000001", 9, 38)],
        )
        .await
        .unwrap();
        t.db.record_declarations(
            &ctx(),
            org,
            &[line(DeclarationKind::Proof, "750000001", 10, 41)],
        )
        .await
        .unwrap();

        let all = t.db.declarations(org, None).await.unwrap();
        assert_eq!(all.len(), 4, "{}", t.name);
        assert_eq!(all[0].period.from(), date(2026, 9, 1), "{}", t.name);
        let one = t.db.declarations(org, Some("750000001")).await.unwrap();
        let actives: Vec<u64> = one.iter().map(|d| d.figures.active_records).collect();
        assert_eq!(actives, vec![38, 40, 41], "{}", t.name);
        assert_eq!(one[2].kind, DeclarationKind::Proof, "{}", t.name);
        assert_eq!(
            one[2].declarant.as_deref(),
            Some("Claire Martin, directrice"),
            "{}",
            t.name
        );
        assert_eq!(one[2].produced_at, ctx().now, "{}", t.name);
        assert!(
            t.db.declarations(OrganisationId(2), None)
                .await
                .unwrap()
                .is_empty(),
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
