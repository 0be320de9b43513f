"""An uploaded employee file, whichever its kind: CSV text or an Excel workbook.

The kind is decided from the bytes (a workbook is a ZIP or an OLE compound file), never from the
file's name alone: a CSV saved as "people.xlsx" still reads as CSV, and a workbook renamed
"people.csv" as a workbook. `without_columns` cuts the redacted columns before an upload is
queued, for both kinds, so a redacted value never reaches the queue.
"""

from __future__ import annotations

from peoplesync.errors import WorkbookFormatError
from peoplesync.sources import csv_source
from peoplesync.sources.base import Source
from peoplesync.sources.csv_source import CsvSource
from peoplesync.sources.xlsx_source import XlsxSource, is_workbook, trimmed_workbook


def file_kind(data: bytes) -> str:
    """'xlsx' or 'csv'."""
    return "xlsx" if is_workbook(data) else "csv"


def open_file(
    data: bytes, *, name: str | None, redacted: frozenset[str], sheet: str | None = None
) -> Source:
    if is_workbook(data):
        return XlsxSource(data, name=name, redacted=redacted, sheet=sheet)
    return CsvSource(data, name=name, redacted=redacted)


def without_columns(data: bytes, redacted: frozenset[str], *, sheet: str | None = None) -> bytes:
    """The file without its redacted columns (unchanged when it has none, or cannot be read:
    the import then reports the problem where it is)."""
    if not redacted:
        return data
    if not is_workbook(data):
        return csv_source.without_columns(data, redacted)
    try:
        return trimmed_workbook(data, redacted, sheet=sheet)
    except WorkbookFormatError:
        return data
