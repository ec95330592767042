//! The flash report as a [`TextDocument`] for the PDF: under the title, each
//! section's heading and its blocks ([`super::tables::section_blocks`], the
//! very cells the HTML page shows).

use carnet_reports::{Block, Line, TextDocument};

use super::Flash;
use super::tables::section_blocks;
use super::text::{sections, subtitle, title};

/// The report for [`carnet_reports::text_document_pdf`].
pub fn document(flash: &Flash) -> TextDocument {
    let mut blocks = vec![
        Block::Line(Line {
            text: title(flash),
            // Most regions and months fit on one line; a long name wraps.
            size: 13.5,
            space_before: 0.0,
        }),
        Block::Line(Line {
            text: subtitle(flash),
            size: 8.5,
            space_before: 4.0,
        }),
    ];
    for section in sections(flash) {
        blocks.push(Block::Heading(section.title.clone()));
        blocks.extend(section_blocks(flash, &section));
    }
    TextDocument {
        title: title(flash),
        author: "Plateforme de collecte ESMS numérique (Carnet)".to_owned(),
        produced_at: flash.produced_at,
        blocks,
    }
}
