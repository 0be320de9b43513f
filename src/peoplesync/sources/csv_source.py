"""The CSV source: the platform's employee-file layout.

    Name, Preferred Name, Employee Id, Email, Date of Birth, Start Date, End Date, Manager Email,
    then any further columns as demographics (exact, case-sensitive header names).

Only the core columns present are "provided": a column left out of the file is never cleared in
the directory. Dates are ISO `YYYY-MM-DD`; anything else is an error on that row, not a guess.
UTF-8 with or without a BOM. A malformed file is one clear error with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from peoplesync.core.employee import FIELD_LABELS, SourceEmployee, SourceSnapshot
from peoplesync.core.issues import Issue, Severity
from peoplesync.errors import CsvFormatError

COLUMNS: Mapping[str, str] = {
    "Name": "name",
    "Preferred Name": "preferred_name",
    "Employee Id": "employee_id",
    "Email": "email",
    "Date of Birth": "birth_date",
    "Start Date": "start_date",
    "End Date": "end_date",
    "Manager Email": "manager",
}
REQUIRED = ("Name", "Email")
TEMPLATE_HEADER = tuple(COLUMNS)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_FIELDS = frozenset({"birth_date", "start_date", "end_date"})


@dataclass(frozen=True, slots=True)
class CsvImport:
    snapshot: SourceSnapshot
    issues: tuple[Issue, ...]  # per-cell problems (e.g. a date that is not YYYY-MM-DD)


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CsvFormatError(f"Cannot read {path}: {err.strerror or err}.") from None


def read_csv_file(path: Path, *, redacted: frozenset[str] = frozenset()) -> CsvImport:
    return parse_csv(read_file_bytes(path), redacted=redacted)


def parse_csv(data: bytes, *, redacted: frozenset[str] = frozenset()) -> CsvImport:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _header(reader)
    fields = {name: COLUMNS.get(name) for name in header}
    kept = [i for i, name in enumerate(header) if (fields[name] or name) not in redacted]
    records: list[SourceEmployee] = []
    issues: list[Issue] = []
    for line, row in _rows(reader, len(header)):
        rec, row_issues = _record(line, {header[i]: row[i] for i in kept})
        records.append(rec)
        issues.extend(row_issues)
    if not records:
        raise CsvFormatError("The file has a header but no employees.", line=2)
    provided = frozenset(f for n, f in fields.items() if f and f not in redacted)
    demographics = frozenset(n for n, f in fields.items() if f is None and n not in redacted)
    snapshot = SourceSnapshot(
        records=tuple(records), provided=provided, demographic_names=demographics, kind="csv"
    )
    return CsvImport(snapshot, tuple(issues))


def _decode(data: bytes) -> str:
    if not data.strip():
        raise CsvFormatError("The file is empty.", line=1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise CsvFormatError(
            "The file is not UTF-8 text.",
            line=line,
            hint="Save it as 'CSV UTF-8' (in Excel) or export it from Numbers or Google Sheets.",
        ) from None


def _header(reader: _Reader) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as err:
        raise CsvFormatError(f"The header row cannot be read ({err}).", line=1) from None
    problems = _header_problems(header)
    if problems:
        raise CsvFormatError(
            " ".join(problems),
            line=1,
            hint="The header must be: " + ", ".join(TEMPLATE_HEADER) + ", then demographics.",
        )
    return header


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    lowered = {c.casefold(): c for c in COLUMNS}
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"Column {position} has no header.")
        elif name not in COLUMNS and name.casefold() in lowered:
            problems.append(
                f"Column '{name}' should be spelt '{lowered[name.casefold()]}' "
                "(headers are case-sensitive)."
            )
    duplicates = sorted({n for n in header if n and header.count(n) > 1})
    if duplicates:
        problems.append("Columns appear twice: " + ", ".join(f"'{d}'" for d in duplicates) + ".")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append("Missing required columns: " + ", ".join(f"'{m}'" for m in missing) + ".")
    return problems


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


def _rows(reader: _Reader, width: int) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, its cells); blank lines skipped, ragged rows refused."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise CsvFormatError(f"The file cannot be read ({err}).", line=start) from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise CsvFormatError(
                f"This row has {len(row)} fields but the header has {width}.",
                line=start,
                hint="Check for a stray comma or an unclosed quote.",
            )
        yield start, row


def _record(line: int, cells: Mapping[str, str]) -> tuple[SourceEmployee, list[Issue]]:
    values: dict[str, object] = {}
    demographics: dict[str, str] = {}
    issues: list[Issue] = []
    location = f"row {line}"
    for column, raw in cells.items():
        value = raw.strip() or None
        field = COLUMNS.get(column)
        if field is None:
            if value is not None:
                demographics[column] = value
        elif field in _DATE_FIELDS:
            values[field] = _date(value, location, field, cells, issues)
        elif field == "manager":
            values["manager_email"] = value
        else:
            values[field] = value
    return SourceEmployee(location=location, demographics=demographics, **values), issues  # type: ignore[arg-type]


def _date(
    value: str | None, location: str, field: str, cells: Mapping[str, str], issues: list[Issue]
) -> date | None:
    if value is None:
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    name, email = cells.get("Name", "").strip(), cells.get("Email", "").strip()
    who = f"{name or '(no name)'}" + (f" <{email}>" if email else "")
    issues.append(
        Issue(
            severity=Severity.ERROR,
            code="invalid_date",
            message=f"{location} ({who}): {FIELD_LABELS[field]} '{value}' is not a date in "
            "YYYY-MM-DD form.",
            hint="Write dates as YYYY-MM-DD, e.g. 2024-03-31; ambiguous dates are not guessed.",
            location=location,
            field=field,
            who=who,
        )
    )
    return None
