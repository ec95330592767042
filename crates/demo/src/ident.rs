//! Valid identifiers for the demo: the check key is computed, never guessed.
//! Only the demo generator builds identifiers this way; user input is parsed.

use carnet_core::ids::{Finess, Ins, InsOid, Rpps, Siren, Siret};
use rand::Rng;

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Tries the ten possible last digits; exactly one passes a Luhn check.
fn with_key<T>(body: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    (0..10).find_map(|k| parse(&format!("{body}{k}")))
}

pub fn siren(rng: &mut impl Rng) -> Option<Siren> {
    let body = format!("78{}", digits(rng, 6));
    with_key(&body, |s| Siren::parse(s).ok())
}

/// The head office's SIRET: SIREN + NIC 0001 + key.
pub fn siret(siren: &Siren) -> Option<Siret> {
    with_key(&format!("{siren}0001"), |s| Siret::parse(s).ok())
}

pub fn rpps(rng: &mut impl Rng) -> Option<Rpps> {
    let body = format!("10{}", digits(rng, 8));
    with_key(&body, |s| Rpps::parse(s).ok())
}

/// A FINESS in a département: "33", "2A", "974" (La Réunion → 9704…), "976" (Mayotte → 980…).
pub fn finess(rng: &mut impl Rng, department: &str) -> Option<Finess> {
    let prefix = match department {
        "976" => "980".to_owned(),
        d if d.len() == 3 => format!("970{}", &d[2..]),
        d => format!("{d}0"),
    };
    let body = format!("{prefix}{}", digits(rng, 8 - prefix.len()));
    Finess::with_computed_key(&body).ok()
}

/// A matricule INS with the demonstration OID: sex, year, month, birth place,
/// order number, key (SPEC.md §2.1).
pub fn ins(
    rng: &mut impl Rng,
    male: bool,
    birth: jiff::civil::Date,
    birth_place: &str,
) -> Option<Ins> {
    let body = format!(
        "{}{:02}{:02}{}{:03}",
        if male { 1 } else { 2 },
        birth.year() % 100,
        birth.month(),
        birth_place,
        rng.random_range(1..1000)
    );
    let key = Ins::key_for(&body)?;
    Ins::parse(&format!("{body}{key:02}"), InsOid::Demo, true).ok()
}
