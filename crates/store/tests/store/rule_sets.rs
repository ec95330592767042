use crate::support::{self, ctx};
use carnet_core::indicators::{Period, RuleSet};
use carnet_core::model::OrganisationId;
use carnet_store::{SavedRuleSet, Scope, StoreError};
use jiff::civil::date;

#[tokio::test]
async fn the_default_is_stored_on_first_use_and_each_change_is_a_new_audited_version() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        let org = OrganisationId(1);
        assert_eq!(t.db.active_rule_set(org).await.unwrap(), None, "{}", t.name);
        let first = t.db.rule_set(&ctx(), org).await.unwrap();
        assert_eq!(first.version, 1, "{}", t.name);
        assert_eq!(first.rules, RuleSet::default(), "{}", t.name);
        assert_eq!(first.sha256, RuleSet::default().sha256(), "{}", t.name);
        assert!(first.active);
        assert_eq!(first.created_by, "system:test");
        // Asking again reads it back; nothing new is stored.
        assert_eq!(t.db.rule_set(&ctx(), org).await.unwrap(), first);
        assert_eq!(t.db.rule_set_versions(org).await.unwrap().len(), 1);

        // The same rules again: unchanged, no new version.
        let same = t.db.save_rule_set(&ctx(), org, &first.rules).await.unwrap();
        assert!(matches!(same, SavedRuleSet::Unchanged(_)), "{}", t.name);

        let mut lower = RuleSet::esms_numerique_2024();
        lower.id = "regles-2025.1".to_owned();
        lower.targets.dmp = 50;
        let saved = t.db.save_rule_set(&ctx(), org, &lower).await.unwrap();
        let SavedRuleSet::Created(second) = saved else {
            panic!("{}: {saved:?}", t.name);
        };
        assert_eq!(second.version, 2);
        assert_eq!(
            t.db.active_rule_set(org).await.unwrap(),
            Some(second.clone())
        );
        let versions = t.db.rule_set_versions(org).await.unwrap();
        assert_eq!(versions.len(), 2, "{}", t.name);
        // The old version is kept as it was, only no longer active.
        assert_eq!(versions[0].rules, first.rules);
        assert!(!versions[0].active && versions[1].active, "{}", t.name);

        // One id never names two sets of rules.
        let mut changed = lower.clone();
        changed.targets.mss = 10;
        let err = t.db.save_rule_set(&ctx(), org, &changed).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert!(err.to_string().contains("regles-2025.1"), "{err}");
        // Invalid rules are refused with the field named.
        let mut invalid = lower.clone();
        invalid.id = "x".to_owned();
        invalid.targets.active = 150;
        let err = t.db.save_rule_set(&ctx(), org, &invalid).await.unwrap_err();
        assert!(err.to_string().contains("targets.active"), "{err}");
        // Going back to the default is a third version, with the old id.
        let back =
            t.db.save_rule_set(&ctx(), org, &RuleSet::default())
                .await
                .unwrap();
        assert_eq!(back.stored().version, 3);
        assert_eq!(back.stored().rules.id, "esms-numerique-2024.1");

        // The other organisation is untouched, and gets its own default.
        assert!(
            t.db.rule_set_versions(OrganisationId(2))
                .await
                .unwrap()
                .is_empty()
        );
        let other = t.db.rule_set(&ctx(), OrganisationId(2)).await.unwrap();
        assert_eq!(other.version, 1);

        // Seeds and saves are in the audit chain, one entry per version.
        let rows = sqlx::query(
            "SELECT resource FROM audit_entries WHERE organisation_id = 1 \
             AND resource LIKE 'rule_set/%' ORDER BY seq",
        )
        .fetch_all(t.db.pool())
        .await
        .unwrap();
        let resources: Vec<String> = rows.iter().map(|r| sqlx::Row::get(r, "resource")).collect();
        assert_eq!(
            resources,
            ["rule_set/1", "rule_set/2", "rule_set/3"],
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
async fn indicators_name_the_rule_set_they_were_computed_with() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        let org = OrganisationId(1);
        let establishments = t.db.establishments(&Scope::whole(org)).await.unwrap();
        let period = Period::new(date(2024, 6, 1), date(2024, 6, 30)).unwrap();
        let mut rules = RuleSet::esms_numerique_2024();
        rules.id = "essai.1".to_owned();
        rules.targets.active = 10;
        let stored = t.db.save_rule_set(&ctx(), org, &rules).await.unwrap();
        let active = t.db.rule_set(&ctx(), org).await.unwrap();
        assert_eq!(&active, stored.stored());
        let report =
            t.db.indicators(&active.rules, period, &establishments)
                .await
                .unwrap();
        assert_eq!(report.rule_set_id, "essai.1", "{}", t.name);
        assert_eq!(report.rule_set_sha256, active.sha256);
        assert_eq!(report.establishments.len(), 2);
        assert!(
            report
                .establishments
                .iter()
                .all(|e| e.rule_set_id == "essai.1" && e.rates.active.target_percent == 10)
        );
        let explained =
            t.db.explain_indicators(&active.rules, period, &establishments)
                .await
                .unwrap();
        assert_eq!(explained.len(), 2);
        for (x, r) in explained.iter().zip(&report.establishments) {
            assert_eq!(&x.result, r, "{}", t.name);
        }
    }
}
