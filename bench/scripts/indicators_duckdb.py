"""Peer (b) of the indicators bench: DuckDB over the raw rows exported to
Parquet. Usage: indicators_duckdb.py DIR REPEAT THREADS < queries.sql

DIR holds one CSV per table (written by carnet-bench); they are converted to
Parquet once (timed apart), then the queries read from stdin (separated by
lines holding only ';') run REPEAT times over views on the Parquet files.
Output, one item a line: `convert_ms X`, `time_ms X` per run, then
`row Q ESTABLISHMENT N` for query number Q of the last run."""

import os
import sys
import time

import duckdb

directory, repeat, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
queries = [q.strip() for q in sys.stdin.read().split("\n;\n") if q.strip()]
tables = sorted(f[:-4] for f in os.listdir(directory) if f.endswith(".csv"))

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
started = time.perf_counter()
for t in tables:
    csv = os.path.join(directory, t + ".csv")
    parquet = os.path.join(directory, t + ".parquet")
    # Dates stay text, as in the databases; empty fields are NULL.
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv}', header = true, all_varchar = false, "
        f"types = {{'start_date': 'VARCHAR', 'end_date': 'VARCHAR'}}, nullstr = '')) "
        f"TO '{parquet}' (FORMAT parquet)"
        if t == "stays"
        else f"COPY (SELECT * FROM read_csv('{csv}', header = true, nullstr = '')) TO '{parquet}' (FORMAT parquet)"
    )
print(f"convert_ms {(time.perf_counter() - started) * 1000:.1f}")
con.close()

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
for t in tables:
    parquet = os.path.join(directory, t + ".parquet")
    con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{parquet}')")
results = []
for _ in range(repeat):
    started = time.perf_counter()
    results = [con.execute(q).fetchall() for q in queries]
    print(f"time_ms {(time.perf_counter() - started) * 1000:.1f}", flush=True)
for i, rows in enumerate(results):
    for establishment, n in rows:
        print(f"row {i} {establishment} {n}")
