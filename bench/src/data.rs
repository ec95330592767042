//! The rows the bench writes: the demo organisation as an NDJSON file (for the
//! import), and a sample of its events (for the insert comparisons).
//!
//! The sample is taken from the generated stream itself, so every event points
//! to a person with a stay in the event's establishment: our write path accepts
//! it, and the raw driver inserts exactly the same columns.

use crate::progress::Ticker;
use anyhow::Context;
use carnet_core::interchange::{FORMAT_NAME, FORMAT_VERSION, Header, Line};
use carnet_core::model::{Event, EventId};
use carnet_demo::DemoParams;
use jiff::civil::Date;
use std::io::Write;
use std::path::Path;

/// What the generation produced.
pub struct Generated {
    pub lines: u64,
    pub events: u64,
    pub establishments: u64,
    pub persons: u64,
    pub bytes: u64,
    /// Lines and events written to the file (a prefix when limited).
    pub written_lines: u64,
    pub written_events: u64,
    pub seconds: f64,
    /// The first events of the stream, for the insert comparisons.
    pub sample: Vec<Event>,
}

/// Writes the organisation to `path`, one interchange line per line, keeping
/// the first `sample` events. With a `limit`, only the first lines are written
/// (every line refers only to earlier ones, so a prefix imports cleanly) but the
/// whole organisation is still generated and counted.
pub fn generate(
    params: &DemoParams,
    seed: u64,
    today: Date,
    path: &Path,
    sample: usize,
    limit: Option<u64>,
) -> anyhow::Result<Generated> {
    let started = std::time::Instant::now();
    let file =
        std::fs::File::create(path).with_context(|| format!("création de {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut generated = Generated {
        lines: 0,
        events: 0,
        establishments: 0,
        persons: 0,
        bytes: 0,
        written_lines: 0,
        written_events: 0,
        seconds: 0.0,
        sample: Vec::with_capacity(sample),
    };
    let mut ticker = Ticker::new("génération");
    for line in carnet_demo::generate(params, seed, today) {
        match &line {
            Line::Event(e) => {
                generated.events += 1;
                if generated.sample.len() < sample {
                    generated.sample.push(e.clone());
                }
            }
            Line::Establishment(_) => generated.establishments += 1,
            Line::Person(_) => generated.persons += 1,
            _ => {}
        }
        let json = line.to_json();
        generated.bytes += json.len() as u64 + 1;
        generated.lines += 1;
        if limit.is_none_or(|limit| generated.lines <= limit) {
            writeln!(out, "{json}")?;
            generated.written_lines += 1;
            if matches!(line, Line::Event(_)) {
                generated.written_events += 1;
            }
        }
        ticker.tick(generated.lines, "lignes");
    }
    out.flush()?;
    generated.seconds = started.elapsed().as_secs_f64();
    Ok(generated)
}

/// The same events with ids `first_id..`, so that a batch never collides with
/// rows already in the database.
pub fn renumbered(events: &[Event], first_id: i64) -> Vec<Event> {
    events
        .iter()
        .zip(first_id..)
        .map(|(e, id)| Event {
            id: EventId(id),
            ..e.clone()
        })
        .collect()
}

/// An interchange file holding only these events (after the header): what our
/// import path reads in the batched comparison.
pub fn write_events_file(path: &Path, events: &[Event]) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("création de {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let header = Line::Header(Header {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
    });
    writeln!(out, "{}", header.to_json())?;
    for e in events {
        writeln!(out, "{}", Line::Event(e.clone()).to_json())?;
    }
    out.flush()?;
    Ok(())
}
