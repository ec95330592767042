//! SQL built from a record's column mapping, the same text for both dialects.

use crate::Result;
use crate::values::{AnyQuery, Value, bind_all};
use carnet_core::model::{OrganisationId, PersonId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

/// How a record of the model maps onto its table.
pub trait Record: Sized + Send {
    const TABLE: &'static str;
    /// Resource name in audit entries and messages.
    const KIND: &'static str;
    /// Every column but `id` and `organisation_id`, in the order of `values`.
    const COLUMNS: &'static [&'static str];
    /// The tenant column; the organisation itself is its own tenant (`id`).
    const ORGANISATION_COLUMN: &'static str = "organisation_id";
    fn id(&self) -> i64;
    fn set_id(&mut self, id: i64);
    fn organisation(&self) -> OrganisationId;
    fn person(&self) -> Option<PersonId>;
    fn values(&self) -> Vec<Value>;
    fn from_row(row: &AnyRow) -> Result<Self>;
}

pub(crate) fn select_sql<R: Record>() -> String {
    format!(
        "SELECT id, {} AS organisation_id, {} FROM {}",
        R::ORGANISATION_COLUMN,
        R::COLUMNS.join(", "),
        R::TABLE
    )
}

/// Whether the table has a tenant column distinct from its id.
fn has_tenant_column<R: Record>() -> bool {
    R::ORGANISATION_COLUMN != "id"
}

fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts a record; with `keep_id` the record's own id is used (import),
/// otherwise the database assigns one. Returns the id.
pub(crate) async fn insert<R: Record>(
    conn: &mut AnyConnection,
    record: &R,
    keep_id: bool,
) -> Result<i64> {
    let n = R::COLUMNS.len();
    let keep_id = keep_id || !has_tenant_column::<R>();
    let mut columns = Vec::with_capacity(n + 2);
    let mut values = Vec::with_capacity(n + 2);
    if keep_id {
        columns.push("id");
        values.push(Value::from(record.id()));
    }
    if has_tenant_column::<R>() {
        columns.push("organisation_id");
        values.push(Value::from(record.organisation().0));
    }
    columns.extend(R::COLUMNS);
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
        R::TABLE,
        columns.join(", "),
        placeholders(1, columns.len()),
    );
    values.extend(record.values());
    let query: AnyQuery<'_> = sqlx::query(AssertSqlSafe(sql));
    let row = bind_all(query, values).fetch_one(&mut *conn).await?;
    crate::values::RowExt::int(&row, "id")
}

/// Inserts a record attached to a person in an establishment only if that
/// person has a stay there (in the same organisation): the reference check and
/// the write in one statement. `None` when nothing was inserted.
pub(crate) async fn insert_if_stay<R: Record>(
    conn: &mut AnyConnection,
    record: &R,
) -> Result<Option<i64>> {
    let Some((sql, values)) = insert_if_stay_sql(record, "") else {
        return Ok(None);
    };
    let row = bind_all(sqlx::query(AssertSqlSafe(sql)), values)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| crate::values::RowExt::int(&r, "id"))
        .transpose()
}

/// The statement of `insert_if_stay` and its parameters (`$1` the
/// organisation, then the record's columns); `from` is put after the
/// selected values (e.g. ` FROM lock`, for a statement that must first take
/// a lock). `None` for a record without person or establishment.
pub(crate) fn insert_if_stay_sql<R: Record>(
    record: &R,
    from: &str,
) -> Option<(String, Vec<Value>)> {
    let position = |name: &str| R::COLUMNS.iter().position(|c| *c == name).map(|i| i + 2);
    let (Some(person), Some(establishment)) = (position("person_id"), position("establishment_id"))
    else {
        return None;
    };
    let sql = format!(
        "INSERT INTO {table} (organisation_id, {columns}) SELECT {values}{from} \
         WHERE EXISTS (SELECT 1 FROM stays WHERE organisation_id = $1 AND person_id = ${person} AND establishment_id = ${establishment}) \
         RETURNING id",
        table = R::TABLE,
        columns = R::COLUMNS.join(", "),
        values = placeholders(1, R::COLUMNS.len() + 1),
    );
    let mut values = Vec::with_capacity(R::COLUMNS.len() + 1);
    values.push(Value::from(record.organisation().0));
    values.extend(record.values());
    Some((sql, values))
}

/// Inserts many records with their own ids, several rows a statement.
pub(crate) async fn insert_many<R: Record>(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    records: &[R],
) -> Result<()> {
    let width = R::COLUMNS.len() + 2;
    // SQLite looks a named parameter up by walking the list of names, so
    // thousands of `$n` make a statement quadratic: it gets anonymous `?`.
    let rows_per_statement = match backend {
        crate::Backend::Sqlite => (4_000 / width).max(1),
        crate::Backend::Postgres => (30_000 / width).max(1),
    };
    for chunk in records.chunks(rows_per_statement) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| match backend {
                crate::Backend::Sqlite => format!("({})", vec!["?"; width].join(", ")),
                crate::Backend::Postgres => format!("({})", placeholders(1 + i * width, width)),
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} (id, organisation_id, {}) VALUES {}",
            R::TABLE,
            R::COLUMNS.join(", "),
            tuples.join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len() * width);
        for record in chunk {
            values.push(Value::from(record.id()));
            values.push(Value::from(record.organisation().0));
            values.extend(record.values());
        }
        bind_all(sqlx::query(AssertSqlSafe(sql)), values)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces every column of an existing record of the same organisation.
/// Returns false when there is no such record.
pub(crate) async fn update<R: Record>(conn: &mut AnyConnection, record: &R) -> Result<bool> {
    let n = R::COLUMNS.len();
    let sets: Vec<String> = R::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ${} AND {} = ${}",
        R::TABLE,
        sets.join(", "),
        n + 1,
        R::ORGANISATION_COLUMN,
        n + 2
    );
    let mut values = record.values();
    values.push(Value::from(record.id()));
    values.push(Value::from(record.organisation().0));
    let done = bind_all(sqlx::query(AssertSqlSafe(sql)), values)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One record of the organisation, if it exists.
pub(crate) async fn get<R: Record>(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    id: i64,
) -> Result<Option<R>> {
    let sql = format!(
        "{} WHERE id = $1 AND {} = $2",
        select_sql::<R>(),
        R::ORGANISATION_COLUMN
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .bind(organisation.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(R::from_row).transpose()
}

/// Records matching a condition written against the table's columns, with the
/// first parameters bound to `values`, keyset-paginated by id.
pub(crate) async fn list<R: Record>(
    conn: &mut AnyConnection,
    condition: &str,
    values: Vec<Value>,
    page: super::Page,
) -> Result<Vec<R>> {
    let n = values.len();
    let sql = format!(
        "{} WHERE {condition} AND id > ${} ORDER BY id LIMIT ${}",
        select_sql::<R>(),
        n + 1,
        n + 2
    );
    let mut values = values;
    values.push(Value::from(page.after));
    values.push(Value::from(page.limit));
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), values)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(R::from_row).collect()
}
