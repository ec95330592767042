//! A French SVG chart of the monthly usage of one establishment: DUI actifs
//! as bars (left axis) and the five rates of SPEC.md §3 as lines (right axis,
//! 0–100 %, dashed target lines). Written by hand as SVG text: no font, no
//! renderer, the same input gives the same bytes; the web pages embed it.

use std::fmt::Write;

/// One month of the chart, with figures already computed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMonth {
    /// Short French label, e.g. « oct. 2026 ».
    pub label: String,
    pub active_records: u64,
    /// The five rates in per mille (actifs, PP, agenda, DMP, MSSanté);
    /// `None` when not computable.
    pub rates_per_mille: [Option<u64>; 5],
}

/// French names and colours of the five rates, in the order of SPEC.md §3.
pub const RATE_SERIES: [(&str, &str); 5] = [
    ("Taux de dossiers actifs", "#1f77b4"),
    ("Taux avec projet personnalisé", "#2ca02c"),
    ("Taux avec événement d'agenda", "#9467bd"),
    ("Taux d'utilisation du DMP", "#d62728"),
    ("Taux d'utilisation de la MSSanté", "#ff7f0e"),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG document. `targets` are the five targets in whole percent.
pub fn monthly_chart_svg(title: &str, months: &[ChartMonth], targets: [u32; 5]) -> String {
    const W: f64 = 900.0;
    const H: f64 = 480.0;
    let (left, right, top, bottom) = (70.0, 830.0, 60.0, 360.0);
    let plot_h = bottom - top;
    let n = months.len().max(1) as f64;
    let slot = (right - left) / n;
    let max_active = months
        .iter()
        .map(|m| m.active_records)
        .max()
        .unwrap_or(0)
        .max(1);
    // A round top for the left axis: 1, 2 or 5 × 10^k.
    let mut step = 1u64;
    let top_value = loop {
        let found = [1, 2, 5]
            .iter()
            .map(|m| m * step * 5)
            .find(|v| *v >= max_active);
        if let Some(v) = found {
            break v;
        }
        step *= 10;
    };
    let y_count = |v: u64| bottom - plot_h * v as f64 / top_value as f64;
    let y_rate = |per_mille: u64| bottom - plot_h * (per_mille.min(1000) as f64) / 1000.0;

    let mut s = String::new();
    // Writing to a String cannot fail: the results are ignored on purpose.
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="12" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(s, r##"<rect width="{W}" height="{H}" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="30" font-size="16" text-anchor="middle">{}</text>"#,
        W / 2.0,
        escape(title)
    );
    // Axes and grid.
    for i in 0..=5u64 {
        let value = top_value * i / 5;
        let y = y_count(value);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{value}</text><text x="{:.1}" y="{:.1}">{} %</text>"##,
            left - 6.0,
            y + 4.0,
            right + 6.0,
            y + 4.0,
            i * 20
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="20" y="{:.1}" transform="rotate(-90 20 {:.1})" text-anchor="middle">DUI actifs</text>"#,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
    // Bars: DUI actifs.
    for (i, m) in months.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.2;
        let y = y_count(m.active_records);
        let _ = writeln!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#c6dbef"><title>{} : {} DUI actifs</title></rect>"##,
            slot * 0.6,
            bottom - y,
            escape(&m.label),
            m.active_records
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + slot * 0.3,
            bottom + 18.0,
            escape(&m.label)
        );
    }
    // Rates: lines with points, and the dashed target of each.
    for (k, (name, colour)) in RATE_SERIES.iter().enumerate() {
        let target_y = y_rate(u64::from(targets[k]) * 10);
        let _ = writeln!(
            s,
            r#"<line x1="{left}" y1="{target_y:.1}" x2="{right}" y2="{target_y:.1}" stroke="{colour}" stroke-dasharray="4 4" stroke-opacity="0.6"/>"#
        );
        let mut points = Vec::new();
        for (i, m) in months.iter().enumerate() {
            if let Some(pm) = m.rates_per_mille[k] {
                let x = left + slot * (i as f64 + 0.5);
                points.push((x, y_rate(pm), pm, &m.label));
            }
        }
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _, _)| format!("{x:.1},{y:.1}"))
            .collect();
        if points.len() > 1 {
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.join(" ")
            );
        }
        for (x, y, pm, label) in &points {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"><title>{} : {},{} % ({} cible {} %)</title></circle>"#,
                escape(label),
                pm / 10,
                pm % 10,
                escape(name),
                targets[k]
            );
        }
        // Legend.
        let ly = bottom + 45.0 + 16.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{} (cible {} %, en pointillés)</text>"#,
            ly - 4.0,
            left + 24.0,
            ly - 4.0,
            left + 30.0,
            ly,
            escape(name),
            targets[k]
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="24" height="10" fill="#c6dbef"/><text x="{:.1}" y="{:.1}">DUI actifs (barres, axe de gauche)</text>"##,
        left + 420.0,
        bottom + 37.0,
        left + 450.0,
        bottom + 45.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_one_svg_document_with_french_labels_and_every_month() {
        let months = vec![
            ChartMonth {
                label: "sept. 2026".to_owned(),
                active_records: 42,
                rates_per_mille: [Some(934), Some(800), None, Some(100), Some(750)],
            },
            ChartMonth {
                label: "oct. 2026".to_owned(),
                active_records: 45,
                rates_per_mille: [Some(950), Some(900), Some(910), Some(120), Some(700)],
            },
        ];
        let svg = monthly_chart_svg("Foyer <Les Tilleuls>", &months, [90, 90, 90, 70, 70]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Foyer &lt;Les Tilleuls&gt;"));
        assert!(svg.contains("sept. 2026 : 42 DUI actifs"));
        assert!(svg.contains("oct. 2026 : 95,0 %"));
        assert!(svg.contains("Taux d'utilisation de la MSSanté (cible 70 %"));
    }
}
