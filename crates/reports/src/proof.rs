//! The proof report (SPEC.md §4.2): one French PDF/A-3b page per establishment.
//!
//! The visible text is produced by [`visible_lines`], a pure function of [`ProofData`];
//! verification calls the same function and compares its output with the text found
//! on the signed page, so what a person reads and the embedded JSON cannot diverge
//! unnoticed. Only one font (DejaVu Sans, bundled) is used so that the page has a single
//! ToUnicode map, which keeps that comparison simple.

use jiff::Timestamp;
use jiff::civil::Date;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use crate::data::{PROOF_FORMAT, ProofData};
use crate::error::{Error, Result};

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
pub(crate) static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Name of the JSON attachment inside the PDF.
pub const ATTACHMENT_NAME: &str = "preuve-usage.json";

pub(crate) const PAGE_WIDTH: f32 = 595.0;
pub(crate) const PAGE_HEIGHT: f32 = 842.0;
pub(crate) const MARGIN: f32 = 42.0;
/// Baseline-to-baseline distance, in em.
pub(crate) const LINE_HEIGHT: f32 = 1.25;
/// Average advance of DejaVu Sans, in em, used to wrap lines conservatively.
const AVERAGE_ADVANCE: f32 = 0.58;

/// One line of the page: its text, font size and extra space above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub size: f32,
    pub space_before: f32,
}

/// The signature box drawn on the page, in PDF user space (origin bottom left):
/// `[x1, y1, x2, y2]`, where the signature widget is placed.
pub(crate) type SignatureRect = [f32; 4];

/// An unsigned proof: the PDF/A bytes and where the signature widget goes.
pub(crate) struct RenderedProof {
    pub pdf: Vec<u8>,
    /// Zero-based index of the page holding the signature box (the last one).
    pub signature_page: usize,
    pub signature_rect: SignatureRect,
}

/// The rules of SPEC.md §3, in the words shown on every proof.
const RULES: [&str; 6] = [
    "Dossiers ouverts : dossiers de personnes accompagnées pendant la période (au moins un séjour \
     ou accompagnement dans l'ESSMS chevauchant la période).",
    "DUI actifs : dossiers ouverts ayant au moins un événement métier daté dans la période (jours \
     inclus, heure locale de l'établissement) ; les opérations purement techniques (lecture, \
     import, migration, correction d'identité) ne comptent pas. La liste des types d'événements \
     comptés est celle du jeu de règles indiqué.",
    "Personnes accompagnées (file active) : personnes distinctes ayant au moins un séjour \
     chevauchant la période ; une personne n'est comptée qu'une fois par ESSMS.",
    "DUI avec projet personnalisé : DUI actifs dont un projet personnalisé était en préparation ou \
     en cours pendant la période. DUI avec agenda : DUI actifs ayant un événement d'agenda non \
     annulé dans la période.",
    "DMP alimentés : personnes distinctes ayant au moins un document accepté par le DMP dans la \
     période. Messages MSSanté : nombre de messages envoyés dans la période.",
    "Le nombre de DUI actifs est donné en valeur absolue, non rapporté à la file active.",
];

/// The text of the page, line by line, in reading order.
pub fn visible_lines(data: &ProofData) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |text: String, size: f32, space_before: f32| {
        for (i, part) in wrap(&text, size).into_iter().enumerate() {
            let space = if i == 0 { space_before } else { 0.0 };
            lines.push(Line {
                text: part,
                size,
                space_before: space,
            });
        }
    };
    let f = &data.figures;
    let r = &data.rates;
    push(
        String::from("État des indicateurs d'usage du DUI"),
        18.0,
        0.0,
    );
    push(
        String::from("Programme ESMS numérique — preuve d'usage (état produit par le logiciel)"),
        10.0,
        2.0,
    );
    push(String::from("Établissement"), 12.0, 8.0);
    push(
        format!("FINESS géographique : {}", data.establishment_finess),
        10.0,
        4.0,
    );
    push(
        format!("Nom de l'ESSMS : {}", data.establishment_name),
        10.0,
        0.0,
    );
    push(
        format!("Organisme gestionnaire : {}", data.organisation_name),
        10.0,
        0.0,
    );
    push(
        format!("SIRET de l'organisme : {}", data.organisation_siret),
        10.0,
        0.0,
    );
    push(String::from("Mesure"), 12.0, 7.0);
    push(
        format!(
            "Période de mesure : du {} au {} (jours inclus)",
            french_date(data.period_from),
            french_date(data.period_to)
        ),
        10.0,
        4.0,
    );
    push(
        format!(
            "Date de production de l'état : {}",
            french_instant(data.produced_at)
        ),
        10.0,
        0.0,
    );
    push(format!("Jeu de règles : {}", data.rule_set), 10.0, 0.0);
    push(
        format!("Nombre de DUI actifs : {}", f.active_records),
        15.0,
        10.0,
    );
    push(String::from("Indicateurs (valeurs absolues)"), 12.0, 7.0);
    let figures = [
        ("Dossiers informatisés", f.records),
        ("Dossiers ouverts", f.open_records),
        ("Dossiers actifs (DUI actifs)", f.active_records),
        (
            "Personnes accompagnées (file active)",
            f.accompanied_persons,
        ),
        ("DUI avec projet personnalisé", f.records_with_care_plan),
        (
            "DUI avec au moins un événement d'agenda",
            f.records_with_appointment,
        ),
        ("DMP alimentés", f.dmp_fed),
        ("Messages envoyés via la MSSanté", f.mss_messages),
    ];
    let mut first = true;
    for (label, value) in figures {
        push(
            format!("{label} : {value}"),
            10.0,
            if first { 4.0 } else { 0.0 },
        );
        first = false;
    }
    push(String::from("Taux"), 12.0, 7.0);
    let rates = [
        ("Taux de dossiers actifs", &r.active),
        (
            "Taux de dossiers actifs avec projet personnalisé",
            &r.care_plan,
        ),
        (
            "Taux de dossiers actifs avec événement d'agenda",
            &r.appointment,
        ),
        ("Taux d'utilisation du DMP", &r.dmp),
        ("Taux d'utilisation de la MSSanté", &r.mss),
    ];
    let mut first = true;
    for (label, value) in rates {
        push(
            format!("{label} : {value}"),
            10.0,
            if first { 4.0 } else { 0.0 },
        );
        first = false;
    }
    push(String::from("Règles de comptage"), 12.0, 7.0);
    let mut first = true;
    for rule in RULES {
        push(rule.to_owned(), 8.5, if first { 4.0 } else { 1.0 });
        first = false;
    }
    push(
        String::from(
            "Empreinte SHA-256 de la liste des DUI actifs comptés (numéros de dossier en chiffres, \
             triés par ordre numérique croissant, un par ligne, chacun suivi d'un saut de ligne) :",
        ),
        9.0,
        6.0,
    );
    push(data.counted_records_sha256.clone(), 9.0, 0.0);
    push(DECLARATION_HEADING.to_owned(), 12.0, 7.0);
    push(
        format!("Personne déclarante : {}", data.declarant),
        10.0,
        4.0,
    );
    push(
        format!("Représentant légal : {}", data.legal_representative),
        10.0,
        0.0,
    );
    push(
        format!(
            "Données jointes au PDF : {ATTACHMENT_NAME} (format {PROOF_FORMAT}). Ce document est \
             signé électroniquement (PAdES, SHA-256) avec le certificat de l'organisme ; toute \
             modification invalide la signature."
        ),
        9.0,
        4.0,
    );
    lines
}

/// Day as the French write it: 01/08/2026.
pub fn french_date(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// Instant shown in UTC, with seconds: "23/11/2026 à 17:45:12 UTC".
pub fn french_instant(at: Timestamp) -> String {
    let utc = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!(
        "{} à {:02}:{:02}:{:02} UTC",
        french_date(utc.date()),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// Width of `text` in points at `size`, shaped with the bundled font (as krilla
/// shapes it); falls back to an average advance if the font cannot be parsed.
pub(crate) fn text_width(text: &str, size: f32) -> f32 {
    static FACE: std::sync::OnceLock<Option<rustybuzz::Face<'static>>> = std::sync::OnceLock::new();
    let Some(face) = FACE.get_or_init(|| rustybuzz::Face::from_slice(FONT, 0)) else {
        #[allow(clippy::cast_precision_loss, reason = "a short line's length")]
        return text.chars().count() as f32 * size * AVERAGE_ADVANCE;
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    let shaped = rustybuzz::shape(face, &[], buffer);
    let units: i64 = shaped
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    #[allow(clippy::cast_precision_loss, reason = "font units of one line")]
    let units = units as f32;
    let per_em = u16::try_from(face.units_per_em()).unwrap_or(1000).max(1);
    units * size / f32::from(per_em)
}

/// Greedy word wrap on the shaped width; a word wider than a line is cut.
pub(crate) fn wrap(text: &str, size: f32) -> Vec<String> {
    wrap_to(text, size, PAGE_WIDTH - 2.0 * MARGIN)
}

/// [`wrap`] to `usable` points (a table cell's width).
pub(crate) fn wrap_to(text: &str, size: f32, usable: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size) <= usable {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            let mut next = current.clone();
            next.push(c);
            if !current.is_empty() && text_width(&next, size) > usable {
                out.push(std::mem::take(&mut current));
                next = c.to_string();
            }
            current = next;
        }
    }
    out.push(current);
    out
}

/// Renders the unsigned PDF/A-3b proof with its JSON attachment.
pub(crate) fn render(data: &ProofData) -> Result<RenderedProof> {
    render_with_attachment(data, serde_json::to_vec_pretty(data)?)
}

/// Renders the page from `data` and attaches `json` as is. Only [`render`] passes
/// matching bytes; tests use the seam to build a proof whose parts disagree.
pub(crate) fn render_with_attachment(data: &ProofData, json: Vec<u8>) -> Result<RenderedProof> {
    data.check()?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|e| Error::Pdf(format!("configuration PDF/A : {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let produced = pdf_date(data.produced_at);
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "État des indicateurs d'usage — FINESS {}",
                data.establishment_finess
            ))
            .creator(String::from("Carnet"))
            .producer(String::from("Carnet (krilla)"))
            .language(String::from("fr-FR"))
            .authors(vec![data.organisation_name.clone()])
            .creation_date(produced)
            .document_id(format!(
                "carnet-proof-{}-{}-{}-{}",
                data.establishment_finess,
                data.period_from,
                data.period_to,
                data.produced_at.as_second()
            )),
    );
    let embedded = document.embed_file(EmbeddedFile {
        path: ATTACHMENT_NAME.to_owned(),
        mime_type: MimeType::new("application/json"),
        description: Some(String::from(
            "Données de la preuve d'usage (indicateurs, période, jeu de règles, empreinte des dossiers comptés)",
        )),
        association_kind: AssociationKind::Data,
        data: json.into(),
        modification_date: Some(produced),
        compress: Some(true),
        location: None,
    });
    if embedded.is_none() {
        return Err(Error::Pdf(String::from("pièce jointe refusée")));
    }

    let font = Font::new(FONT.into(), 0).ok_or(Error::Font)?;
    let layout = layout(&visible_lines(data));
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or(Error::PdfStructure("format de page"))?;
    let last = layout.pages.len().saturating_sub(1);
    for (index, placed) in layout.pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (line, y) in placed {
            surface.draw_text(
                Point::from_xy(MARGIN, *y),
                font.clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        if index == last {
            draw_signature_box(&mut surface, &font, layout.signature_top)?;
        }
        surface.finish();
        page.finish();
    }
    let pdf = document
        .finish()
        .map_err(|e| Error::Pdf(format!("{e:?}")))?;
    let top = layout.signature_top;
    Ok(RenderedProof {
        pdf,
        signature_page: last,
        signature_rect: [
            MARGIN,
            PAGE_HEIGHT - (top + SIGNATURE_BOX_HEIGHT),
            PAGE_WIDTH - MARGIN,
            PAGE_HEIGHT - top,
        ],
    })
}

const SIGNATURE_BOX_HEIGHT: f32 = 48.0;
/// Lowest baseline or box edge allowed on a page.
const BOTTOM: f32 = PAGE_HEIGHT - 36.0;

/// Lines placed on pages (baseline y from the top), and the top of the signature box
/// on the last page.
struct Layout {
    pages: Vec<Vec<(Line, f32)>>,
    signature_top: f32,
}

/// Flows the lines over as many A4 pages as needed; a section never starts with its
/// continuation on the next page mid-line, and the signature box never splits.
fn layout(lines: &[Line]) -> Layout {
    // The declaration (declarant, representative) stays on the signature box's page.
    let tail_start = lines
        .iter()
        .position(|l| l.text == DECLARATION_HEADING)
        .unwrap_or(lines.len());
    let tail_height: f32 = lines[tail_start..]
        .iter()
        .map(|l| l.space_before + l.size * LINE_HEIGHT)
        .sum::<f32>()
        + 12.0
        + SIGNATURE_BOX_HEIGHT;
    let mut pages = vec![Vec::new()];
    let mut y = MARGIN;
    for (index, line) in lines.iter().enumerate() {
        let mut next = y + line.space_before + line.size * LINE_HEIGHT;
        let tail_overflows = index == tail_start && y + tail_height > BOTTOM;
        if next > BOTTOM || (tail_overflows && y > MARGIN) {
            pages.push(Vec::new());
            next = MARGIN + line.size * LINE_HEIGHT;
        }
        y = next;
        if let Some(page) = pages.last_mut() {
            page.push((line.clone(), y));
        }
    }
    let mut signature_top = y + 12.0;
    if signature_top + SIGNATURE_BOX_HEIGHT > BOTTOM {
        pages.push(Vec::new());
        signature_top = MARGIN;
    }
    Layout {
        pages,
        signature_top,
    }
}

/// The signature box: a frame with a caption; the signature field's widget (added when
/// signing) is placed exactly over it.
fn draw_signature_box(
    surface: &mut krilla::surface::Surface<'_>,
    font: &Font,
    top: f32,
) -> Result<()> {
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    let rect = Rect::from_xywh(MARGIN, top, width, SIGNATURE_BOX_HEIGHT)
        .ok_or(Error::PdfStructure("cadre de signature"))?;
    let mut path = PathBuilder::new();
    path.push_rect(rect);
    let path = path
        .finish()
        .ok_or(Error::PdfStructure("cadre de signature"))?;
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        width: 0.8,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    surface.set_fill(Some(krilla::paint::Fill::default()));
    surface.draw_text(
        Point::from_xy(MARGIN + 8.0, top + 18.0),
        font.clone(),
        10.0,
        SIGNATURE_CAPTION,
        false,
        TextDirection::Auto,
    );
    Ok(())
}

const DECLARATION_HEADING: &str = "Déclaration";

/// Caption of the signature box.
pub const SIGNATURE_CAPTION: &str =
    "Signature électronique du représentant légal (certificat de l'organisme)";

pub(crate) fn pdf_date(at: Timestamp) -> DateTime {
    let utc = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let clamp = |v: i8| u8::try_from(v).unwrap_or(0);
    DateTime::new(u16::try_from(utc.year()).unwrap_or(0))
        .month(clamp(utc.month()))
        .day(clamp(utc.day()))
        .hour(clamp(utc.hour()))
        .minute(clamp(utc.minute()))
        .second(clamp(utc.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
