//! Opening the workbook with calamine and reading a sheet into a sparse grid.
//!
//! This module owns the cell and time limits while reading. It streams cells
//! (`worksheet_cells_reader`) instead of asking calamine for a dense `Range`,
//! because a sheet with one cell in A1 and one in XFD1048576 would otherwise
//! allocate seventeen billion cells. It never interprets a value: a cell keeps
//! what Excel stored (text, number, date serial), and `cells.rs` decides.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::Instant;

use calamine::{DataRef, Reader, SheetType, Xlsx};

use crate::limits::{Limits, Refusal};

/// A cell as Excel stored it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// A number with a date format: the serial, in the workbook's epoch.
    Date(f64),
    Bool(bool),
    /// An Excel error such as `#REF!`.
    Error(String),
}

impl Value {
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// The non-empty cells of one sheet, by zero-based row then column.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grid {
    pub(crate) name: String,
    rows: BTreeMap<u32, BTreeMap<u32, Value>>,
}

static EMPTY: Value = Value::Empty;

impl Grid {
    pub(crate) fn get(&self, row: u32, col: u32) -> &Value {
        self.rows
            .get(&row)
            .and_then(|r| r.get(&col))
            .unwrap_or(&EMPTY)
    }

    /// Rows that hold at least one cell, in order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (u32, &BTreeMap<u32, Value>)> {
        self.rows.iter().map(|(r, cells)| (*r, cells))
    }
}

/// An opened workbook with its budget of cells and time.
pub(crate) struct Book<'a> {
    xlsx: Xlsx<Cursor<&'a [u8]>>,
    pub(crate) is_1904: bool,
    cells_left: usize,
    started: Instant,
    limits: Limits,
}

fn damaged(e: impl std::fmt::Display) -> Refusal {
    Refusal::Damaged {
        detail: e.to_string(),
    }
}

/// Excel's grid: 1 048 576 rows, 16 384 columns. A cell outside was not written
/// by a spreadsheet, and keeping row numbers inside it keeps `row + 1` exact.
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u32 = 16_383;

/// Runs calamine so that a bug of the parser on a hostile file becomes a
/// refusal instead of taking the whole server down with it.
fn guarded<T>(work: impl FnOnce() -> Result<T, Refusal>) -> Result<T, Refusal> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(Refusal::Damaged {
            detail: "structure interne incohérente".to_owned(),
        })
    })
}

impl<'a> Book<'a> {
    /// Opens the workbook. `check_container` must have passed: calamine reads the
    /// shared strings and styles here, whose sizes it bounded.
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, Refusal> {
        // The deadline is an operational guard, not domain time: it only stops
        // work on a hostile file, and no result depends on it.
        let started = Instant::now();
        let xlsx = guarded(|| Xlsx::new(Cursor::new(bytes)).map_err(damaged))?;
        let is_1904 = xlsx.has_1904_epoch();
        let book = Self {
            xlsx,
            is_1904,
            cells_left: limits.max_cells,
            started,
            limits: limits.clone(),
        };
        book.check_time()?;
        Ok(book)
    }

    fn check_time(&self) -> Result<(), Refusal> {
        if self.started.elapsed() > self.limits.max_duration {
            return Err(Refusal::TooSlow {
                seconds: self.limits.max_duration.as_secs(),
            });
        }
        Ok(())
    }

    /// Worksheet names in workbook order (chart and macro sheets left out).
    pub(crate) fn sheet_names(&self) -> Vec<String> {
        self.xlsx
            .sheets_metadata()
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .collect()
    }

    /// Reads every cell of a sheet, spending the cell and time budget.
    pub(crate) fn load(&mut self, name: &str) -> Result<Grid, Refusal> {
        guarded(|| self.load_unguarded(name))
    }

    fn load_unguarded(&mut self, name: &str) -> Result<Grid, Refusal> {
        let mut grid = Grid {
            name: name.to_owned(),
            rows: BTreeMap::new(),
        };
        let mut reader = self.xlsx.worksheet_cells_reader(name).map_err(damaged)?;
        let mut seen: usize = 0;
        while let Some(cell) = reader.next_cell().map_err(damaged)? {
            seen += 1;
            if seen > self.cells_left {
                return Err(Refusal::TooManyCells {
                    sheet: name.to_owned(),
                    max: self.limits.max_cells,
                });
            }
            if seen.is_multiple_of(1024) && self.started.elapsed() > self.limits.max_duration {
                return Err(Refusal::TooSlow {
                    seconds: self.limits.max_duration.as_secs(),
                });
            }
            let (row, col) = cell.get_position();
            if row > MAX_ROW || col > MAX_COL {
                return Err(Refusal::Damaged {
                    detail: format!(
                        "cellule hors de la grille d'Excel (ligne {row}, colonne {col})"
                    ),
                });
            }
            let value = match cell.get_value() {
                DataRef::Empty => continue,
                DataRef::Int(i) => Value::Number(*i as f64),
                DataRef::Float(f) => Value::Number(*f),
                DataRef::String(s) => Value::Text(s.clone()),
                DataRef::SharedString(s) => Value::Text((*s).to_owned()),
                DataRef::Bool(b) => Value::Bool(*b),
                DataRef::DateTime(d) if d.is_datetime() => Value::Date(d.as_f64()),
                DataRef::DateTime(d) => Value::Number(d.as_f64()),
                DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Text(s.clone()),
                DataRef::Error(e) => Value::Error(e.to_string()),
            };
            grid.rows.entry(row).or_default().insert(col, value);
        }
        drop(reader);
        self.cells_left -= seen;
        self.check_time()?;
        Ok(grid)
    }
}
