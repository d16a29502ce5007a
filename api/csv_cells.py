"""CSV for spreadsheets: every CSV the service writes goes through here, so no cell runs as a formula."""

import csv
import io
from collections.abc import Iterable

# Excel and LibreOffice read a cell starting with one of these as a formula (tab and CR too, once trimmed):
# a member named "=HYPERLINK(...)" would become a link in the reader's sheet (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` as a spreadsheet shows it as text: a leading quote keeps a formula-like text from running.
    Numbers stay numbers (a negative score is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()
