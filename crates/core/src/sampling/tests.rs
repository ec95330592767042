//! Published vectors: anyone redoing the draw by hand (or with `sha256sum`)
//! must find these exact samples. Never change them: a change means old
//! audit draws can no longer be checked.

use super::*;
use proptest::prelude::*;

const SEED: &str = "carnet-audit-2025-1";

fn finess(first_eight: &str) -> Finess {
    Finess::with_computed_key(first_eight).unwrap()
}

/// 6 ESSMS in Normandie (14), 3 in Bretagne (35), 1 in Corsica (2A).
fn declared() -> Vec<Finess> {
    let mut list: Vec<Finess> = (1..=6).map(|n| finess(&format!("140{n:05}"))).collect();
    list.extend((1..=3).map(|n| finess(&format!("350{n:05}"))));
    list.push(finess("2A000001"));
    list
}

#[test]
fn rank_hash_is_sha256_of_seed_colon_id() {
    // echo -n "carnet-audit-2025-1:140000035" | sha256sum
    assert_eq!(
        rank_hash(SEED, "140000035"),
        "130639d42b7f20e9ac52a73655059c1e3bd1e80278c6d24b76f83351d4ac888e"
    );
}

#[test]
fn published_establishment_vector() {
    let sample = draw_establishments(SEED, &declared(), 4).unwrap();
    // Quotas 4 × 6/10 = 2,4 ; 4 × 3/10 = 1,2 ; 4 × 1/10 = 0,4 → Corsica gets 1
    // and leaves; 3 seats over 9: Normandie 3 × 6/9 = 2, Bretagne 3 × 3/9 = 1.
    let strata: Vec<(&str, &str, u32, u32)> = sample
        .strata
        .iter()
        .map(|s| (s.code.as_str(), s.label.as_str(), s.population, s.allocated))
        .collect();
    assert_eq!(
        strata,
        [
            ("28", "Normandie", 6, 2),
            ("53", "Bretagne", 3, 1),
            ("94", "Corse", 1, 1)
        ]
    );
    let drawn: Vec<&str> = sample.drawn.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(drawn, ["140000035", "140000043", "350000030", "2A0000014"]);
    assert_eq!(sample.population, 10);
    assert_eq!(sample.requested, 4);
    assert_eq!(sample.algorithm, ALGORITHM);
    let first = &sample.drawn[0];
    assert_eq!(first.hash, rank_hash(SEED, "140000035"));
    assert_eq!(first.checklist.len(), ESTABLISHMENT_CHECKS.len());
    assert!(
        first
            .checklist
            .iter()
            .all(|c| c.outcome == CheckOutcome::ToCheck)
    );
    assert_eq!(first.checklist[4].code, "dui_actifs");
}

#[test]
fn same_seed_same_sample_whatever_the_order_and_duplicates() {
    let mut list = declared();
    let a = draw_establishments(SEED, &list, 5).unwrap();
    list.reverse();
    list.push(list[0].clone());
    let b = draw_establishments(SEED, &list, 5).unwrap();
    assert_eq!(a, b);
    let other = draw_establishments("carnet-audit-2025-2", &list, 5).unwrap();
    assert_ne!(a.drawn, other.drawn);
}

#[test]
fn published_record_vector() {
    let ids: Vec<String> = (1..=10).map(|i| format!("dossier-{i}")).collect();
    let sample = draw_records(SEED, &ids, 3).unwrap();
    let drawn: Vec<&str> = sample.drawn.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(drawn, ["dossier-8", "dossier-7", "dossier-9"]);
    assert_eq!(
        sample.drawn[0].hash,
        "3634984019267f69462ed15e6793ca95e17b2405045275050f37f06b2216a137"
    );
    assert_eq!(sample.drawn[0].checklist.len(), RECORD_CHECKS.len());
    assert_eq!(sample.strata.len(), 1);
}

#[test]
fn bad_inputs_are_named() {
    assert_eq!(
        draw_records(" ", &["a".to_owned()], 1)
            .unwrap_err()
            .to_string(),
        "la graine publiée du tirage est obligatoire"
    );
    assert_eq!(
        draw_records(SEED, &["a".to_owned(), String::new()], 1)
            .unwrap_err()
            .to_string(),
        "identifiant de dossier vide en position 2"
    );
}

#[test]
fn saint_pierre_et_miquelon_is_its_own_stratum() {
    let spm = finess("97050001");
    let sample = draw_establishments(SEED, &[spm, finess("14000001")], 2).unwrap();
    assert_eq!(sample.strata[0].code, "28");
    assert_eq!(sample.strata[1].code, "975");
    assert_eq!(
        sample.strata[1].label,
        "Saint-Pierre-et-Miquelon (hors ARS)"
    );
}

#[test]
fn proportional_allocation_with_documented_rounding() {
    // Quotas 9 and 1.
    assert_eq!(allocate(&[90, 10], 10), [9, 1]);
    // Quotas 4 / 3,5 / 2,5: integer parts 4, 3, 2; one seat left, fractional
    // parts 0,5 tie → the larger stratum (35).
    assert_eq!(allocate(&[40, 35, 25], 10), [4, 4, 2]);
    // Quotas 1,33 each: one seat left, full tie → smaller code (first).
    assert_eq!(allocate(&[5, 5, 5], 4), [2, 1, 1]);
    // Quotas 3,5 / 1,0 / 0,5: the third gets 1 and leaves; then 4 seats over
    // 9: 3,11 / 0,89 → the second gets 1 and leaves; 3 seats over 7 → 3.
    assert_eq!(allocate(&[7, 2, 1], 5), [3, 1, 1]);
    // Small strata get their one seat; empty strata none.
    assert_eq!(allocate(&[100, 1, 1, 0], 5), [3, 1, 1, 0]);
    // Fewer seats than strata: at least one per non-empty stratum wins.
    assert_eq!(allocate(&[10, 10, 10], 2), [1, 1, 1]);
    // More seats than items: everything.
    assert_eq!(allocate(&[2, 3], 10), [2, 3]);
    assert_eq!(allocate(&[], 3), Vec::<u32>::new());
}

proptest! {
    #[test]
    fn allocation_invariants(populations in prop::collection::vec(0u32..500, 0..20), size in 0u32..2_000) {
        let seats = allocate(&populations, size);
        let total: u32 = populations.iter().sum();
        let non_empty = populations.iter().filter(|&&p| p > 0).count() as u32;
        let expected = if size >= total { total } else { size.max(non_empty) };
        prop_assert_eq!(seats.iter().sum::<u32>(), expected);
        for (&a, &n) in seats.iter().zip(&populations) {
            prop_assert!(a <= n);
            prop_assert_eq!(a == 0, n == 0);
        }
    }
}
