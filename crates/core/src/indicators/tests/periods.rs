//! Periods, months, presets and the rule set.

use super::*;
use jiff::civil::date;

// ---- periods and months ----------------------------------------------------

#[test]
fn month_mask_covers_exactly_the_period_days() {
    let feb = Month::new(2024, 2).unwrap();
    assert_eq!(feb.days(), 29);
    assert_eq!(
        feb.mask(date(2024, 1, 1), date(2024, 12, 31)),
        (1 << 29) - 1
    );
    assert_eq!(feb.mask(date(2024, 2, 29), date(2024, 3, 5)), 1 << 28);
    assert_eq!(feb.mask(date(2024, 2, 2), date(2024, 2, 3)), 0b110);
    assert_eq!(feb.mask(date(2024, 3, 1), date(2024, 3, 5)), 0);
    let jan = Month::new(2024, 1).unwrap();
    assert_eq!(jan.mask(date(2024, 1, 31), date(2024, 1, 31)), 1 << 30);
    assert_eq!(
        jan.mask(date(2023, 1, 1), date(2025, 1, 1)),
        (1u32 << 31) - 1
    );
}

#[test]
fn period_of_one_day_is_allowed_and_an_end_before_the_start_is_refused() {
    assert!(Period::new(date(2024, 2, 29), date(2024, 2, 29)).is_ok());
    let err = Period::new(date(2024, 3, 2), date(2024, 3, 1)).unwrap_err();
    assert!(err.to_string().contains("précède"));
    let json = r#"{"from":"2024-03-02","to":"2024-03-01"}"#;
    assert!(serde_json::from_str::<Period>(json).is_err());
    let ok: Period = serde_json::from_str(r#"{"from":"2024-03-01","to":"2024-03-31"}"#).unwrap();
    assert_eq!(ok, march_2024());
    assert_eq!(ok.label(), "du 01/03/2024 au 31/03/2024");
}

#[test]
fn period_months_span_year_boundaries() {
    let p = period(date(2023, 11, 15), date(2024, 2, 1));
    let months: Vec<String> = p.months().iter().map(|m| m.to_string()).collect();
    assert_eq!(months, ["2023-11", "2023-12", "2024-01", "2024-02"]);
    assert_eq!(
        "2024-02".parse::<Month>().unwrap(),
        Month::new(2024, 2).unwrap()
    );
    assert!("2024-13".parse::<Month>().is_err());
    assert!("24-01".parse::<Month>().is_err());
    for m in p.months() {
        assert_eq!(Month::from_ordinal(m.ordinal()).unwrap(), m);
    }
    assert_eq!(
        Month::from_ordinal(2024 * 12).unwrap().to_string(),
        "2024-01"
    );
}

#[test]
fn presets_are_full_calendar_months_before_the_month_of_today() {
    let rules = RuleSet::default();
    let today = date(2024, 3, 15);
    let month = rules.preset("mois").unwrap().period(today).unwrap();
    assert_eq!(month, period(date(2024, 2, 1), date(2024, 2, 29)));
    let three = rules.preset("3mois").unwrap().period(today).unwrap();
    assert_eq!(three, period(date(2023, 12, 1), date(2024, 2, 29)));
    let six = rules.preset("6mois").unwrap().period(today).unwrap();
    assert_eq!(six, period(date(2023, 9, 1), date(2024, 2, 29)));
    // Measured on the last day of a month: that month is not over yet.
    let on_last_day = rules
        .preset("mois")
        .unwrap()
        .period(date(2024, 1, 31))
        .unwrap();
    assert_eq!(on_last_day, period(date(2023, 12, 1), date(2023, 12, 31)));
    assert!(Period::last_full_months(today, 0).is_err());
}

// ---- rule set ----------------------------------------------------------------

#[test]
fn default_rule_set_has_the_2024_targets_and_no_pause() {
    let rules = RuleSet::default();
    let t = rules.targets;
    assert_eq!(
        [t.active, t.care_plan, t.appointment, t.dmp, t.mss],
        [90, 90, 90, 70, 70]
    );
    assert!(!rules.care_plan_paused_counts);
    assert!(rules.is_business(ActivitySource::Event(EventKind::Transmission)));
    assert!(!rules.is_business(ActivitySource::Event(EventKind::Consultation)));
    assert!(!rules.is_business(ActivitySource::Event(EventKind::ImportDonnees)));
    assert!(rules.is_business(ActivitySource::DocumentAdded));
    assert!(rules.validate().is_ok());
    let table = rules.business_table();
    assert_eq!(table.len(), EventKind::ALL.len() + 5);
}

#[test]
fn rule_set_round_trips_through_json_and_refuses_unknown_fields() {
    let rules = RuleSet::default();
    let json = serde_json::to_string(&rules).unwrap();
    assert!(json.contains("\"TRANSMISSION\""));
    let back: RuleSet = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rules);
    assert_eq!(back.sha256(), rules.sha256());
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["surprise"] = serde_json::Value::Bool(true);
    assert!(serde_json::from_value::<RuleSet>(value).is_err());
}

#[test]
fn rule_set_hash_changes_when_any_rule_changes() {
    let rules = RuleSet::default();
    let mut paused = rules.clone();
    paused.care_plan_paused_counts = true;
    assert_ne!(rules.sha256(), paused.sha256());
    let mut invalid = rules.clone();
    invalid.presets.push(invalid.presets[0].clone());
    assert!(invalid.validate().is_err());
    invalid = rules.clone();
    invalid.id = " ".to_owned();
    assert!(invalid.validate().is_err());
}

#[test]
fn marks_have_stable_codes_that_round_trip() {
    for mark in Mark::all() {
        assert_eq!(Mark::from_code(&mark.code()), Some(mark), "{mark:?}");
        let json = serde_json::to_string(&mark).unwrap();
        assert_eq!(serde_json::from_str::<Mark>(&json).unwrap(), mark);
    }
    assert_eq!(
        Mark::Activity(ActivitySource::Event(EventKind::Soin)).code(),
        "EVT:SOIN"
    );
    assert_eq!(Mark::from_code("EVT:INCONNU"), None);
}

#[test]
fn a_rule_set_file_is_read_and_each_mistake_names_its_field_in_french() {
    let rules = RuleSet::default();
    let json = serde_json::to_string_pretty(&rules).unwrap();
    assert_eq!(RuleSet::from_json(&json).unwrap(), rules);

    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut value = serde_json::to_value(&rules).unwrap();
        f(&mut value);
        RuleSet::from_json(&value.to_string())
            .unwrap_err()
            .to_string()
    };
    let err = edit(&|v| v["targets"]["dmp"] = 120.into());
    assert!(
        err.contains("targets.dmp") && err.contains("0 à 100"),
        "{err}"
    );
    let err = edit(&|v| v["targets"]["mss"] = "70".into());
    assert!(
        err.contains("targets.mss") && err.contains("type invalide"),
        "{err}"
    );
    let err = edit(&|v| v["presets"][1]["months"] = 0.into());
    assert!(
        err.contains("presets[1].months") && err.contains("1 à 12"),
        "{err}"
    );
    let err = edit(&|v| v["presets"][2]["months"] = 24.into());
    assert!(err.contains("presets[2].months"), "{err}");
    let err = edit(&|v| v["presets"][2]["code"] = "mois".into());
    assert!(
        err.contains("presets[2].code") && err.contains("deux fois"),
        "{err}"
    );
    let err = edit(&|v| v["presets"] = serde_json::json!([]));
    assert!(err.contains("« presets »"), "{err}");
    let err = edit(&|v| v["id"] = "règles 2025".into());
    assert!(err.contains("« id »"), "{err}");
    let err = edit(&|v| v["business_event_kinds"][0] = "INCONNU".into());
    assert!(err.contains("business_event_kinds[0]"), "{err}");
    let err = edit(&|v| v["cibles"] = 1.into());
    assert!(
        err.contains("champ inconnu") && err.contains("cibles"),
        "{err}"
    );
    let err = edit(&|v| {
        v.as_object_mut().unwrap().remove("label");
    });
    assert!(
        err.contains("label") && err.contains("obligatoire"),
        "{err}"
    );
    let err = RuleSet::from_json("{\"id\": ").unwrap_err().to_string();
    assert!(err.contains("JSON invalide à la ligne 1"), "{err}");
}
