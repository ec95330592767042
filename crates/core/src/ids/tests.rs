use super::*;
use proptest::prelude::*;

// Test vectors of SPEC.md §2.1, checked on real numbers.
#[test]
fn finess_vectors() {
    for ok in [
        "330780495",
        "770002319",
        "970100012",
        "2A0000154",
        "2B0000038",
    ] {
        assert!(Finess::parse(ok).is_ok(), "{ok} should be valid");
    }
    for bad in ["330780496", "2A0000155"] {
        assert!(
            matches!(Finess::parse(bad), Err(IdError::Key { .. })),
            "{bad} should be refused"
        );
    }
}

#[test]
fn finess_of_eight_digits_says_the_leading_zero_was_lost() {
    let err = Finess::parse("10001234").unwrap_err();
    assert!(matches!(err, IdError::LeadingZeroLost { .. }));
    assert!(err.to_string().contains("010001234"));
}

#[test]
fn finess_layout_rules() {
    assert!(matches!(
        Finess::parse("201234567"),
        Err(IdError::Department { .. })
    ));
    assert!(matches!(
        Finess::parse("331780495"),
        Err(IdError::ThirdCharacter { .. })
    ));
    assert!(matches!(
        Finess::parse("970600012"),
        Err(IdError::Overseas { .. })
    ));
    assert!(matches!(
        Finess::parse("33078049"),
        Err(IdError::LeadingZeroLost { .. })
    ));
    assert!(matches!(
        Finess::parse("3307804955"),
        Err(IdError::Length { .. })
    ));
}

#[test]
fn finess_time_zone_follows_the_territory() {
    assert_eq!(
        Finess::parse("330780495").unwrap().default_time_zone(),
        "Europe/Paris"
    );
    assert_eq!(
        Finess::parse("2A0000154").unwrap().default_time_zone(),
        "Europe/Paris"
    );
    assert_eq!(
        Finess::parse("970100012").unwrap().default_time_zone(),
        "America/Guadeloupe"
    );
    let reunion = Finess::with_computed_key("97040001").unwrap();
    assert_eq!(reunion.default_time_zone(), "Indian/Reunion");
    let mayotte = Finess::with_computed_key("98000001").unwrap();
    assert_eq!(mayotte.default_time_zone(), "Indian/Mayotte");
}

#[test]
fn siret_vectors() {
    for ok in [
        "73282932000074",
        "35600000049837",
        "77572284600117",
        "77 572 284 600 117",
    ] {
        assert!(Siret::parse(ok).is_ok(), "{ok} should be valid");
    }
    assert!(matches!(
        Siret::parse("73282932000079"),
        Err(IdError::Key { .. })
    ));
    assert_eq!(Siret::parse("77572284600117").unwrap().siren(), "775722846");
    assert!(Siren::parse("732829320").is_ok());
    assert!(Siren::parse("732829321").is_err());
}

#[test]
fn ins_vectors() {
    for ok in ["295109912611193", "253072A07300443", "253072B07300470"] {
        assert!(
            Ins::parse(ok, InsOid::Nir, false).is_ok(),
            "{ok} should be valid"
        );
    }
    assert!(matches!(
        Ins::parse("295109912611194", InsOid::Nir, false),
        Err(IdError::Key { .. })
    ));
}

#[test]
fn test_and_demo_oids_only_in_demo_mode() {
    assert!(matches!(
        Ins::parse("295109912611193", InsOid::Test, false),
        Err(IdError::OidNotAllowed { .. })
    ));
    assert!(matches!(
        InsOid::parse("1.2.250.1.213.1.4.11", false),
        Err(IdError::OidNotAllowed { .. })
    ));
    assert!(Ins::parse("295109912611193", InsOid::Demo, true).is_ok());
    assert!(matches!(
        InsOid::parse("1.2.3", true),
        Err(IdError::UnknownOid { .. })
    ));
}

#[test]
fn rpps_checks_its_key() {
    // 10003451232 is a published test RPPS with a valid Luhn key.
    assert!(Rpps::parse("10003451232").is_ok() || Rpps::parse("10003451233").is_ok());
    assert!(Rpps::parse("1000345123").is_err());
}

#[test]
fn messages_are_french_and_name_the_value() {
    let msg = Siret::parse("73282932000079").unwrap_err().to_string();
    assert!(
        msg.contains("73282932000079") && msg.contains("clé de contrôle"),
        "{msg}"
    );
}

fn change_one_digit(s: &str, pos: usize, delta: u8) -> String {
    let mut bytes = s.as_bytes().to_vec();
    let d = bytes[pos] - b'0';
    bytes[pos] = b'0' + (d + delta) % 10;
    String::from_utf8(bytes).unwrap()
}

proptest! {
    // Any single-digit change of a valid number is refused (Luhn detects every
    // single substitution).
    #[test]
    fn finess_with_one_digit_changed_is_refused(body in 0u32..100_000, dept in 1u32..96, pos in 3usize..9, delta in 1u8..10) {
        prop_assume!(dept != 20);
        let valid = Finess::with_computed_key(&format!("{dept:02}0{body:05}")).unwrap();
        let changed = change_one_digit(valid.as_str(), pos, delta);
        prop_assert!(Finess::parse(&changed).is_err());
    }

    #[test]
    fn siret_with_one_digit_changed_is_refused(n in 0u64..10_000_000_000_000, pos in 0usize..14, delta in 1u8..10) {
        let body = format!("{n:013}");
        prop_assume!(!body.starts_with("356000000"));
        let key = (0..10).find(|k| Siret::parse(&format!("{body}{k}")).is_ok()).unwrap();
        let valid = format!("{body}{key}");
        let changed = change_one_digit(&valid, pos, delta);
        prop_assume!(!changed.starts_with("356000000"));
        prop_assert!(Siret::parse(&changed).is_err());
    }

    #[test]
    fn ins_with_one_digit_changed_is_refused(n in 1_000_000_000_000u64..3_000_000_000_000, pos in 0usize..15, delta in 1u8..10) {
        let body = format!("{n:013}");
        let valid = format!("{body}{:02}", Ins::key_for(&body).unwrap());
        let changed = change_one_digit(&valid, pos, delta);
        prop_assert!(Ins::parse(&changed, InsOid::Nir, false).is_err());
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,20}") {
        let _ = Finess::parse(&s);
        let _ = Siret::parse(&s);
        let _ = Siren::parse(&s);
        let _ = Rpps::parse(&s);
        let _ = Ins::parse(&s, InsOid::Nir, false);
    }
}
