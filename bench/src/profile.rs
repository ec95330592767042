//! Where our write path spends its time, statement by statement: sqlx reports
//! every statement it runs (target `sqlx::query`, with its elapsed time) to
//! `tracing`; this subscriber sums them by SQL text while profiling is on, and
//! is disabled otherwise, so the timed rounds pay nothing for it.
//!
//! This reads the store from outside: when its statements change, the profile
//! follows without any change here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber, subscriber::Interest};

/// Count and total seconds of one statement text.
pub type Totals = HashMap<String, (u64, f64)>;

#[derive(Clone, Default)]
pub struct Profiler {
    on: Arc<AtomicBool>,
    totals: Arc<Mutex<Totals>>,
}

impl Profiler {
    /// Installs the profiler as the global subscriber (once, at start).
    pub fn install() -> Profiler {
        let profiler = Profiler::default();
        if tracing::subscriber::set_global_default(profiler.clone()).is_err() {
            eprintln!("profil des requêtes indisponible (un autre abonné tracing est installé)");
        }
        profiler
    }

    pub fn start(&self) {
        if let Ok(mut totals) = self.totals.lock() {
            totals.clear();
        }
        self.on.store(true, Ordering::SeqCst);
    }

    pub fn stop(&self) -> Totals {
        self.on.store(false, Ordering::SeqCst);
        self.totals.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
    elapsed: f64,
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = value;
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.trim().to_owned(),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "summary" => self.summary = format!("{value:?}"),
            "db.statement" => {
                self.statement = format!("{value:?}").trim_matches('"').trim().to_owned()
            }
            _ => {}
        }
    }
}

impl Subscriber for Profiler {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == "sqlx::query" {
            // Asked again at each event: profiling is switched on and off.
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query" && self.on.load(Ordering::Relaxed)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let key = if fields.statement.is_empty() {
            fields.summary
        } else {
            fields.statement
        };
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Ok(mut totals) = self.totals.lock() {
            let entry = totals.entry(key).or_insert((0, 0.0));
            entry.0 += 1;
            entry.1 += fields.elapsed;
        }
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}
