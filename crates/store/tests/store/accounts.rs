//! Sessions, sign-in failures, the rights matrix and assigned persons.

use crate::support::{self, ctx};
use carnet_core::model::{DataCategory, OrganisationId, Role};
use carnet_core::rights::{Access, Matrix, Mode};
use carnet_store::{NewUser, Page, PersonFilter, Scope, SessionPolicy, User};
use jiff::SignedDuration;

async fn account(db: &carnet_store::Db, login: &str, role: Role) -> User {
    db.create_user(
        &ctx(),
        NewUser {
            organisation_id: OrganisationId(1),
            login: login.into(),
            display_name: login.into(),
            role,
            professional_id: None,
            establishment_ids: vec![],
            password_hash: Some("$argon2id$fictif".into()),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_after_their_absolute_lifetime_or_when_disabled() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        let user = account(&t.db, "ide", Role::Infirmier).await;
        let policy = SessionPolicy::default();
        let start = ctx().now;
        let (token, opened) = t.db.open_session(&ctx(), &user).await.unwrap();
        // Only the hash is stored.
        let stored: i64 = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM sessions WHERE id_hash = '{token}'"
        )))
        .fetch_one(t.db.pool())
        .await
        .unwrap();
        assert_eq!(stored, 0, "{}: the cookie value is not stored", t.name);

        let alive =
            t.db.session(&token, start + SignedDuration::from_mins(29), policy)
                .await
                .unwrap();
        assert_eq!(
            alive.map(|s| s.csrf),
            Some(opened.csrf.clone()),
            "{}",
            t.name
        );
        // Each request within 30 minutes keeps it alive, up to 12 hours.
        let mut now = start;
        for _ in 0..24 {
            now += SignedDuration::from_mins(29);
            assert!(
                t.db.session(&token, now, policy).await.unwrap().is_some(),
                "{} at {now}",
                t.name
            );
        }
        now += SignedDuration::from_mins(29);
        assert!(now.duration_since(start) > policy.absolute);
        assert!(
            t.db.session(&token, now, policy).await.unwrap().is_none(),
            "{}: absolute",
            t.name
        );
        // Gone for good, even at an earlier instant.
        assert!(t.db.session(&token, start, policy).await.unwrap().is_none());

        let (idle, _) = t.db.open_session(&ctx(), &user).await.unwrap();
        let later = start + SignedDuration::from_mins(31);
        assert!(
            t.db.session(&idle, later, policy).await.unwrap().is_none(),
            "{}: idle",
            t.name
        );

        let (live, _) = t.db.open_session(&ctx(), &user).await.unwrap();
        t.db.set_user_disabled(&ctx(), OrganisationId(1), user.id, true)
            .await
            .unwrap();
        assert!(
            t.db.session(&live, start, policy).await.unwrap().is_none(),
            "{}: disabled",
            t.name
        );
        assert!(
            t.db.session("inconnu", start, policy)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn failures_are_counted_per_key_within_the_window_and_cleared_on_success() {
    for t in support::backends().await {
        let now = ctx().now;
        let keys = ["login:ide".to_owned(), "addr:127.0.0.1".to_owned()];
        for i in 0..3 {
            t.db.record_sign_in_failure(&keys, now + SignedDuration::from_secs(i))
                .await
                .unwrap();
        }
        assert_eq!(t.db.sign_in_failures(&keys[0], now).await.unwrap(), 3);
        assert_eq!(t.db.sign_in_failures(&keys[1], now).await.unwrap(), 3);
        assert_eq!(
            t.db.sign_in_failures(&keys[0], now + SignedDuration::from_secs(2))
                .await
                .unwrap(),
            1
        );
        assert_eq!(t.db.sign_in_failures("login:autre", now).await.unwrap(), 0);
        t.db.clear_sign_in_failures(&keys[0]).await.unwrap();
        assert_eq!(
            t.db.sign_in_failures(&keys[0], now).await.unwrap(),
            0,
            "{}",
            t.name
        );
        assert_eq!(t.db.sign_in_failures(&keys[1], now).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn the_matrix_round_trips_and_an_intervenant_sees_only_assigned_persons() {
    for t in support::backends().await {
        let (p10, p11, _) = support::two_organisations(&t.db).await;
        let org = OrganisationId(1);
        assert!(
            t.db.rights(org)
                .await
                .unwrap()
                .cells()
                .eq(Matrix::defaults().cells())
        );
        let mut m = Matrix::defaults();
        m.set(Role::Accueil, DataCategory::Transmissions, Access::READ)
            .unwrap();
        t.db.set_rights(&ctx(), org, &m).await.unwrap();
        let back = t.db.rights(org).await.unwrap();
        assert!(back.cells().eq(m.cells()), "{}", t.name);
        assert!(back.allows(Role::Accueil, DataCategory::Transmissions, Mode::Read));
        assert_eq!(
            t.db.rights(OrganisationId(2)).await.unwrap(),
            Matrix::defaults()
        );

        let outsider = account(&t.db, "kine", Role::IntervenantExterieur).await;
        t.db.assign_person(&ctx(), &outsider, p11.id).await.unwrap();
        let mut scope: Scope = outsider.scope();
        scope.persons = Some(t.db.assigned_persons(&outsider).await.unwrap());
        let seen =
            t.db.list_persons(
                &ctx(),
                &scope,
                &PersonFilter::default(),
                Page::new(None, None),
            )
            .await
            .unwrap();
        assert_eq!(
            seen.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![p11.id],
            "{}",
            t.name
        );
        assert!(
            t.db.read_person(&ctx(), &scope, p10.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            t.db.read_person(&ctx(), &scope, p11.id)
                .await
                .unwrap()
                .is_some()
        );
    }
}
