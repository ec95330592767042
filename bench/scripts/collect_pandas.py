"""Peer (b) of the collection bench (issue 5): what an analyst does today,
pandas.read_excel(engine="openpyxl", sheet_name=None) over every workbook.
Usage: collect_pandas.py < paths (one per line).

The loop is timed here, after the interpreter has started and pandas is
imported (the Rust side's figure does not count starting its process either).
Output, one item a line: `seconds X`, `files N`, `sheets N`, `rows N` (rows of
every sheet as pandas reads them, header rows excluded), `versions TEXT`."""

import sys
import time

import openpyxl
import pandas as pd

paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
sheets = rows = 0
started = time.perf_counter()
for path in paths:
    book = pd.read_excel(path, engine="openpyxl", sheet_name=None)
    sheets += len(book)
    rows += sum(len(frame) for frame in book.values())
elapsed = time.perf_counter() - started

print(f"seconds {elapsed:.3f}")
print(f"files {len(paths)}")
print(f"sheets {sheets}")
print(f"rows {rows}")
print(
    f"versions Python {sys.version.split()[0]}, pandas {pd.__version__}, "
    f"openpyxl {openpyxl.__version__}"
)
