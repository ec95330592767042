//! The flash report as one self-contained, printable French HTML page: no
//! script, no external file (style inline, A4 print rules), every value
//! escaped. The web pages may serve it as is or render [`super::Flash`] in
//! their own templates.

use super::Flash;
use super::text::{
    RATE_LABELS, Section, SectionKind, rate_text, rates_of, sections, share_text, status_text,
    subtitle, target_list, title,
};
use crate::aggregate::french_count;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `text` and keeps numbers whole on a line: a space after a digit
/// and before a digit or « % » (« 410 000 », « 36,8 % ») becomes a no-break space.
fn html_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut glued = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between = c == ' '
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == '%');
        glued.push(if between { '\u{a0}' } else { c });
    }
    escape(&glued).replace('\u{a0}', "&nbsp;")
}

const STYLE: &str = "\
@page { size: A4; margin: 15mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5pt; color: #111; \
max-width: 190mm; margin: 1em auto; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; border-bottom: 1px solid #555; \
break-after: avoid; }
p.sous-titre { font-size: 9pt; color: #333; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; break-inside: avoid; }
th, td { border: 1px solid #888; padding: .2em .4em; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
.non-atteinte { font-weight: bold; }
ul { margin: .2em 0; padding-left: 1.3em; }
@media print { body { margin: 0; max-width: none; } }
";

fn row(cells: &[(String, bool)]) -> String {
    let mut out = String::from("<tr>");
    for (text, number) in cells {
        if *number {
            out.push_str(&format!("<td class=\"n\">{}</td>", html_text(text)));
        } else {
            out.push_str(&format!("<td>{}</td>", html_text(text)));
        }
    }
    out.push_str("</tr>\n");
    out
}

fn head(cells: &[&str]) -> String {
    let mut out = String::from("<thead><tr>");
    for c in cells {
        out.push_str(&format!("<th scope=\"col\">{}</th>", html_text(c)));
    }
    out.push_str("</tr></thead>\n");
    out
}

fn list_section(section: &Section) -> String {
    let mut out = format!("<h2>{}</h2>\n", html_text(&section.title));
    let mut lines = section.lines.iter();
    if let Some(first) = lines.next() {
        out.push_str(&format!("<p>{}</p>\n", html_text(first)));
    }
    let rest: Vec<&String> = lines.collect();
    if !rest.is_empty() {
        out.push_str("<ul>\n");
        for l in rest {
            out.push_str(&format!("<li>{}</li>\n", html_text(l)));
        }
        out.push_str("</ul>\n");
    }
    out
}

fn figures_table(flash: &Flash) -> String {
    let mut out = String::from("<h2>Établissements déclarés de la région</h2>\n");
    let Some(a) = &flash.region_month else {
        out.push_str(&format!(
            "<p>Aucun ESSMS de la région ne figure dans une déclaration en vigueur pour {}.</p>\n",
            html_text(&flash.month.label())
        ));
        return out;
    };
    let opt = |n: Option<u64>| n.map_or_else(|| "–".to_owned(), french_count);
    out.push_str("<table>\n");
    out.push_str(&head(&["Indicateur", "Valeur"]));
    out.push_str("<tbody>\n");
    let lines = [
        (
            "Projets déclarants".to_owned(),
            format!(
                "{} sur {} suivis",
                french_count(a.projects),
                french_count(flash.expected.len() as u64)
            ),
        ),
        ("ESSMS déclarés".to_owned(), french_count(a.establishments)),
        ("DUI actifs".to_owned(), french_count(a.actifs)),
        (
            "Personnes accompagnées".to_owned(),
            french_count(a.accompanied),
        ),
        ("DMP alimentés".to_owned(), opt(a.dmp)),
        ("Messages MSSanté envoyés".to_owned(), opt(a.mss)),
        ("DUI avec projet personnalisé".to_owned(), opt(a.care_plan)),
        (
            "DUI avec au moins un événement d'agenda".to_owned(),
            opt(a.appointment),
        ),
    ];
    for (label, value) in lines {
        out.push_str(&row(&[(label, false), (value, true)]));
    }
    out.push_str("</tbody></table>\n");
    if let Some(pm) = flash.share_of_nation_per_mille() {
        out.push_str(&format!(
            "<p>Part de la région dans les DUI actifs déclarés en France : {},{} %</p>\n",
            pm / 10,
            pm % 10
        ));
    }
    out.push_str("<h2>Taux et part des établissements à la cible</h2>\n<table>\n");
    out.push_str(&head(&[
        "Taux",
        "Valeur",
        "Cible",
        "Résultat",
        "ESSMS à la cible",
    ]));
    out.push_str("<tbody>\n");
    for (((rate, share), label), target) in rates_of(a.rates)
        .into_iter()
        .zip(a.shares.all())
        .zip(RATE_LABELS)
        .zip(target_list(flash))
    {
        let status = status_text(rate);
        let class = if status == "cible non atteinte" {
            " class=\"non-atteinte\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{target} %</td>\
             <td{class}>{}</td><td>{}</td></tr>\n",
            html_text(label),
            html_text(&rate_text(rate)),
            html_text(status),
            html_text(&share_text(share))
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

fn history_table(flash: &Flash) -> String {
    if flash.history.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<h2>Évolution de la région ({})</h2>\n<table>\n",
        html_text(flash.region.name)
    );
    out.push_str(&head(&[
        "Mois",
        "DUI actifs",
        "Personnes accompagnées",
        "ESSMS déclarés",
        "Taux de dossiers actifs",
    ]));
    out.push_str("<tbody>\n");
    for a in &flash.history {
        out.push_str(&row(&[
            (a.month.label(), false),
            (french_count(a.actifs), true),
            (french_count(a.accompanied), true),
            (french_count(a.establishments), true),
            (rate_text(a.rates.active), true),
        ]));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// The whole page.
pub fn to_html(flash: &Flash) -> String {
    let title = title(flash);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{}</h1>\n<p class=\"sous-titre\">{}</p>\n",
        html_text(&title),
        html_text(&title),
        html_text(&subtitle(flash))
    );
    out.push_str(&figures_table(flash));
    for section in sections(flash) {
        match section.kind {
            // Shown as tables.
            SectionKind::Figures | SectionKind::Rates => {}
            SectionKind::History if !flash.history.is_empty() => {
                out.push_str(&history_table(flash));
            }
            SectionKind::Trajectory => {
                out.push_str(&format!("<h2>{}</h2>\n<ul>\n", html_text(&section.title)));
                for l in &section.lines {
                    out.push_str(&format!("<li>{}</li>\n", html_text(l)));
                }
                out.push_str("</ul>\n");
            }
            SectionKind::History | SectionKind::Completeness | SectionKind::Timeliness => {
                out.push_str(&list_section(&section));
            }
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
