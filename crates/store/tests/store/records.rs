use crate::support::{self, ctx};
use carnet_core::model::*;
use carnet_store::{ListFilter, Page, PersonFilter, Scope, StoreError};

#[tokio::test]
async fn a_person_is_found_by_name_without_accents() {
    for t in support::backends().await {
        support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        let filter = PersonFilter {
            name: Some("helene LEFEVRE".into()),
            ..Default::default()
        };
        let found =
            t.db.list_persons(&ctx(), &scope, &filter, Page::new(None, None))
                .await
                .unwrap();
        assert_eq!(found.len(), 1, "{}", t.name);
        assert_eq!(found[0].birth_family_name, "Lefèvre");
    }
}

#[tokio::test]
async fn another_organisation_never_sees_or_changes_a_record() {
    for t in support::backends().await {
        let (a, _, z) = support::two_organisations(&t.db).await;
        let s1 = Scope::whole(OrganisationId(1));
        let s2 = Scope::whole(OrganisationId(2));
        let e =
            t.db.create(&ctx(), &s1, support::event(1, a.id, 10, "Bonne nuit."))
                .await
                .unwrap();
        assert!(
            t.db.read_person(&ctx(), &s2, a.id).await.unwrap().is_none(),
            "{}",
            t.name
        );
        assert!(
            t.db.read::<Event>(&ctx(), &s2, e.id.0)
                .await
                .unwrap()
                .is_none()
        );
        let mut stolen = e.clone();
        stolen.organisation_id = OrganisationId(2);
        stolen.text = "modifié".into();
        assert!(t.db.update(&ctx(), &s2, stolen).await.unwrap().is_none());
        // Writing into organisation 2 a record pointing at organisation 1's person fails.
        let err =
            t.db.create(&ctx(), &s2, support::event(2, a.id, 20, "intrusion"))
                .await
                .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let listed: Vec<Event> =
            t.db.list(&ctx(), &s2, &ListFilter::default(), Page::new(None, None))
                .await
                .unwrap();
        assert!(listed.is_empty());
        let persons =
            t.db.list_persons(&ctx(), &s2, &PersonFilter::default(), Page::new(None, None))
                .await
                .unwrap();
        assert_eq!(persons.iter().map(|p| p.id).collect::<Vec<_>>(), vec![z.id]);
    }
}

#[tokio::test]
async fn a_user_of_one_establishment_does_not_see_a_person_of_another() {
    for t in support::backends().await {
        let (a, b, _) = support::two_organisations(&t.db).await;
        let only_10 = Scope {
            organisation: OrganisationId(1),
            establishments: Some(vec![EstablishmentId(10)]),
            persons: None,
        };
        assert!(
            t.db.read_person(&ctx(), &only_10, a.id)
                .await
                .unwrap()
                .is_some(),
            "{}",
            t.name
        );
        assert!(
            t.db.read_person(&ctx(), &only_10, b.id)
                .await
                .unwrap()
                .is_none()
        );
        let persons =
            t.db.list_persons(
                &ctx(),
                &only_10,
                &PersonFilter::default(),
                Page::new(None, None),
            )
            .await
            .unwrap();
        assert_eq!(persons.len(), 1);
        let err =
            t.db.create(&ctx(), &only_10, support::event(1, b.id, 11, "x"))
                .await
                .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
    }
}

#[tokio::test]
async fn invalid_records_are_refused_with_the_field() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        let mut stay = support::stay(1, 10);
        stay.person_id = a.id;
        stay.end = Some("2023-01-01".parse().unwrap());
        stay.end_kind = Some(EndKind::SortieDefinitive);
        match t.db.create(&ctx(), &scope, stay).await {
            Err(StoreError::Invalid(errors)) => assert_eq!(errors[0].field, "end"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn care_plan_history_and_one_plan_in_force_per_stay() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        let stays: Vec<Stay> =
            t.db.list(
                &ctx(),
                &scope,
                &ListFilter {
                    person: Some(a.id),
                    establishment: None,
                },
                Page::new(None, None),
            )
            .await
            .unwrap();
        let plan = CarePlan {
            id: CarePlanId(0),
            organisation_id: OrganisationId(1),
            person_id: a.id,
            establishment_id: EstablishmentId(10),
            stay_id: stays[0].id,
            title: "Projet 2024".into(),
            objectives: vec![Objective {
                text: "Marcher".into(),
                actions: vec![],
                evaluation: None,
            }],
            participants: vec![],
            person_agreement_on: None,
            structure_agreement_on: None,
            history: vec![CarePlanStatusChange {
                status: CarePlanStatus::EnPreparation,
                at: "2024-02-01T08:00:00Z".parse().unwrap(),
                by: None,
            }],
        };
        let created =
            t.db.create_care_plan(&ctx(), &scope, plan.clone())
                .await
                .unwrap();
        let err =
            t.db.create_care_plan(&ctx(), &scope, plan.clone())
                .await
                .unwrap_err();
        assert!(err.to_string().contains("déjà un projet"), "{err}");
        let change = CarePlanStatusChange {
            status: CarePlanStatus::EnCours,
            at: "2024-03-01T08:00:00Z".parse().unwrap(),
            by: None,
        };
        t.db.change_care_plan_status(&ctx(), &scope, created.id, change)
            .await
            .unwrap()
            .unwrap();
        let read =
            t.db.read_care_plan(&ctx(), &scope, created.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(read.history.len(), 2, "{}", t.name);
        assert_eq!(read.current_status(), Some(CarePlanStatus::EnCours));
    }
}

#[tokio::test]
async fn documents_are_stored_by_content_hash() {
    for t in support::backends().await {
        let (a, _, _) = support::two_organisations(&t.db).await;
        let scope = Scope::whole(OrganisationId(1));
        let doc = Document {
            id: DocumentId(0),
            organisation_id: OrganisationId(1),
            person_id: a.id,
            establishment_id: EstablishmentId(10),
            type_code: DocumentType::DossierLiaisonUrgence,
            title: "DLU".into(),
            media_type: "application/pdf".into(),
            sha256: String::new(),
            size: 0,
            added_at: "2024-06-01T10:00:00Z".parse().unwrap(),
            added_by: None,
            dmp_status: DmpStatus::NonEnvoye,
            dmp_status_at: None,
            dmp_objection: false,
        };
        let created =
            t.db.create_document(&ctx(), &scope, doc, b"%PDF-1.7 contenu".to_vec())
                .await
                .unwrap();
        assert_eq!(created.size, 16);
        let (_, content) =
            t.db.document_content(&ctx(), &scope, created.id)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(content, b"%PDF-1.7 contenu");
        assert!(
            t.db.document_content(&ctx(), &Scope::whole(OrganisationId(2)), created.id)
                .await
                .unwrap()
                .is_none()
        );
    }
}
