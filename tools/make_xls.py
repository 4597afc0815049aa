#!/usr/bin/env python3
"""Write fixtures/formats/book.xls: the records of
fixtures/formats/customers_utf8.csv as a legacy Excel 97-2003 (BIFF8)
workbook, for the XLS reader test. No Rust crate in reach writes XLS, so this
one fixture is made with the `xlwt` package (pip install xlwt). The values
come from the CSV, which examples/gen.rs generates; nothing is typed in here.

    python3 tools/make_xls.py
"""
import csv
import pathlib

import xlwt

root = pathlib.Path(__file__).resolve().parent.parent
src = root / "fixtures" / "formats" / "customers_utf8.csv"
dst = root / "fixtures" / "formats" / "book.xls"

book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("客户")
with src.open(encoding="utf-8", newline="") as f:
    for r, row in enumerate(csv.reader(f)):
        for c, cell in enumerate(row):
            sheet.write(r, c, cell)
book.save(str(dst))
print(f"wrote {dst}")
