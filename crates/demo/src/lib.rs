//! The demo organisation: a realistic porteur built from a seed, streamed as
//! interchange lines (`carnet_core::interchange::Line`).
//!
//! Same parameters, seed and `today` → the same lines, byte for byte: every
//! establishment draws from its own ChaCha stream derived from the seed, so the
//! output never depends on the order of evaluation. Lines come establishment by
//! establishment, each block in dependency order (establishment, professionals,
//! persons, identity changes, stays, care plans, events, appointments, blobs,
//! documents, messages), so every reference points to an earlier line and the
//! large bench organisation streams in bounded memory.
//!
//! This crate never reads the clock: `today` is an argument (STYLE.md).

mod block;
mod catalogue;
mod ident;
mod names;
mod simulate;
mod texts;

use carnet_core::interchange::{FORMAT_NAME, FORMAT_VERSION, Header, Line};
use carnet_core::model::{Organisation, OrganisationId};
use jiff::civil::Date;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// What to generate. `standard()` is the demo, `large()` the bench.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoParams {
    pub organisation_name: String,
    /// Number of establishments; the catalogue of twenty is cycled beyond it.
    pub establishments: usize,
    /// Multiplier on each establishment's capacity (persons accompanied).
    pub capacity_scale: f64,
    /// Months of history before `today` (events, admissions, exits).
    pub months: i32,
    /// Multiplier on the number of events per record.
    pub event_rate: f64,
    /// Varied French texts, documents and messages; `false` keeps texts short
    /// (bench) while keeping every kind of line.
    pub rich_text: bool,
}

impl DemoParams {
    /// About 20 establishments and 1 500 persons over 18 months.
    pub fn standard() -> Self {
        Self {
            organisation_name: "Association Horizons Aquitaine".into(),
            establishments: catalogue::STANDARD.len(),
            capacity_scale: 0.65,
            months: 18,
            event_rate: 1.0,
            rich_text: true,
        }
    }

    /// At least 500 establishments, 50 000 persons and 20 million events.
    pub fn large() -> Self {
        Self {
            organisation_name: "Fédération Horizons France".into(),
            establishments: 520,
            capacity_scale: 0.85,
            months: 18,
            event_rate: 10.0,
            rich_text: false,
        }
    }
}

/// Mixes the seed with a stream number (splitmix64), so that each establishment
/// has an independent, reproducible random stream.
fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generates the demo organisation as interchange lines, streaming.
///
/// Records go up to the day before `today` (local days of each establishment);
/// agenda events are planned up to 30 days ahead. Write them as NDJSON with
/// `line.to_json()`, one per line; `demo: true` on the organisation admits the
/// demonstration INS OID.
pub fn generate(params: &DemoParams, seed: u64, today: Date) -> Demo {
    Demo {
        state: simulate::State::new(params.clone(), seed, today),
        buffer: VecDeque::new(),
        next_establishment: 0,
        started: false,
    }
}

/// The stream of lines; see [`generate`].
pub struct Demo {
    state: simulate::State,
    buffer: VecDeque<Line>,
    next_establishment: usize,
    started: bool,
}

impl Iterator for Demo {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        loop {
            if let Some(line) = self.buffer.pop_front() {
                return Some(line);
            }
            if !self.started {
                self.started = true;
                self.buffer.push_back(Line::Header(Header {
                    format: FORMAT_NAME.into(),
                    version: FORMAT_VERSION,
                }));
                if let Some(org) = self.state.organisation.clone() {
                    self.buffer.push_back(Line::Organisation(org));
                }
                continue;
            }
            if self.next_establishment >= self.state.params.establishments {
                return None;
            }
            let index = self.next_establishment;
            self.next_establishment += 1;
            self.state.establishment(index, &mut self.buffer);
        }
    }
}

pub(crate) const ORGANISATION_ID: OrganisationId = OrganisationId(1);

/// The porteur: valid SIREN, head-office SIRET and FINESS EJ, in demo mode.
pub(crate) fn organisation(params: &DemoParams, seed: u64) -> Option<Organisation> {
    let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, 0));
    let siren = ident::siren(&mut rng)?;
    let siret = ident::siret(&siren)?;
    Some(Organisation {
        id: ORGANISATION_ID,
        name: params.organisation_name.clone(),
        siren,
        siret,
        finess_ej: ident::finess(&mut rng, "33"),
        demo: true,
    })
}
