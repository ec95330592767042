use super::*;
use proptest::prelude::*;

fn arb_project() -> impl Strategy<Value = Project> {
    let row = (
        prop::sample::select(vec!["14", "35", "2A", "75"]),
        0u32..200,
        0u32..4,
        prop::option::of((0u64..5_000, 1u64..5_000)),
        prop::option::of(0u64..5_000_000),
    );
    (
        any::<bool>(),
        prop::collection::vec(row, 0..70),
        any::<bool>(),
    )
        .prop_map(|(acquisition, rows, amoa)| Project {
            kind: if acquisition {
                ProjectKind::Acquisition
            } else {
                ProjectKind::Upgrade
            },
            establishments: rows
                .into_iter()
                .map(|(dept, n, og, hours, quote)| ProjectEstablishment {
                    saad_hours: hours.map(|(a, b)| SaadHours {
                        eligible: a.min(b),
                        total: b,
                    }),
                    equipment_quote_cents: quote,
                    ..establishment(metro(dept, n), &metro("14", 90_000 + og))
                })
                .collect(),
            organisations: Vec::new(),
            amoa_requested: amoa,
            joins_funded_group: false,
        })
}

proptest! {
    #[test]
    fn totals_are_sums_of_lines_and_advance_plus_balance_is_total(
        p in arb_project(),
        modern in any::<bool>(),
    ) {
        let rules = if modern { rules_2024() } else { rules_2021() };
        let s = compute_subsidy(&rules, &p).unwrap();
        let lines: u64 = s.lines.iter().map(|l| l.amount_cents).sum();
        prop_assert_eq!(s.total_cents, lines);
        prop_assert_eq!(s.totals.iter().map(|t| t.amount_cents).sum::<u64>(), lines);
        prop_assert_eq!(s.advance_cents + s.balance_cents, s.total_cents);
        prop_assert!(s.advance_cents <= s.balance_cents);
        for line in &s.lines {
            prop_assert!(!line.rule.is_empty() && !line.basis.is_empty());
        }
        // Small-organisation equipment never exceeds the quote nor the ceiling.
        for line in s.lines.iter().filter(|l| l.component == "equipement_materiel") {
            let e = p.establishments.iter().find(|e| Some(&e.finess) == line.finess.as_ref()).unwrap();
            prop_assert!(line.amount_cents <= e.equipment_quote_cents.unwrap_or(0));
            prop_assert!(line.amount_cents <= 20_000 * EUR);
        }
    }
}
