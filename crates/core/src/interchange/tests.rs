use super::*;

#[test]
fn a_bad_finess_key_names_the_field() {
    let line = r#"{"type":"establishment","id":1,"organisation_id":1,"finess":"330780496","name":"EHPAD","category":"EHPAD","sector":"PA","time_zone":"Europe/Paris"}"#;
    let err = Line::parse(line).unwrap_err();
    assert_eq!(err.field, "finess");
    assert!(err.message.contains("clé de contrôle"), "{}", err.message);
}

#[test]
fn unknown_type_and_bad_json_are_refused() {
    assert_eq!(
        Line::parse(r#"{"type":"martian"}"#).unwrap_err().field,
        "type"
    );
    assert!(
        Line::parse("{not json")
            .unwrap_err()
            .message
            .starts_with("JSON invalide")
    );
}

#[test]
fn stay_ending_before_it_starts_is_refused() {
    let line = r#"{"type":"stay","id":1,"organisation_id":1,"person_id":1,"establishment_id":1,"start":"2024-05-01","end":"2024-04-30","end_kind":"SORTIE_DEFINITIVE","mode":"EXTERNAT"}"#;
    let parsed = Line::parse(line).unwrap();
    let errors = parsed.validate(false);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "end");
}

#[test]
fn lines_round_trip() {
    let line = r#"{"type":"stay","id":1,"organisation_id":1,"person_id":1,"establishment_id":1,"start":"2024-05-01","end":null,"end_kind":null,"mode":"EXTERNAT"}"#;
    assert_eq!(Line::parse(line).unwrap().to_json(), line);
}
