//! Conversions between domain values and the columns of the schema
//! (instants as microseconds, dates as ISO text, booleans as 0/1, lists as JSON).

use crate::{Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ts(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(StoreError::corrupt)
}

pub(crate) fn date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|e| StoreError::corrupt(format!("date « {text} » : {e}")))
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

/// A stored code read back into its closed list.
pub(crate) fn code<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| StoreError::corrupt(format!("code « {text} » inconnu")))
}

/// Typed column access with a readable error naming the column.
pub(crate) trait RowExt {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
}

impl RowExt for AnyRow {
    fn int(&self, col: &str) -> Result<i64> {
        self.try_get(col)
            .map_err(|e| StoreError::corrupt(format!("colonne {col} : {e}")))
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.try_get(col)
            .map_err(|e| StoreError::corrupt(format!("colonne {col} : {e}")))
    }
    fn text(&self, col: &str) -> Result<String> {
        self.try_get(col)
            .map_err(|e| StoreError::corrupt(format!("colonne {col} : {e}")))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.try_get(col)
            .map_err(|e| StoreError::corrupt(format!("colonne {col} : {e}")))
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.try_get(col)
            .map_err(|e| StoreError::corrupt(format!("colonne {col} : {e}")))
    }
}

/// A value bound to a statement parameter.
#[derive(Debug, Clone)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(Some(i64::from(v)))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Int(Some(us(v)))
    }
}
impl From<Option<Timestamp>> for Value {
    fn from(v: Option<Timestamp>) -> Self {
        Value::Int(v.map(us))
    }
}
impl From<Date> for Value {
    fn from(v: Date) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<Option<Date>> for Value {
    fn from(v: Option<Date>) -> Self {
        Value::Text(v.map(|d| d.to_string()))
    }
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

pub(crate) fn bind_all<'q>(mut query: AnyQuery<'q>, values: Vec<Value>) -> AnyQuery<'q> {
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
        };
    }
    query
}
