"""The CSV source: the platform's employee-file layout.

    Name, Preferred Name, Employee Id, Email, Date of Birth, Start Date, End Date, Manager Email,
    then any further columns as demographics (exact, case-sensitive header names).

The core columns are the field schema's CSV headers (`core.fields`). Only the core columns present
are "provided": a column left out of the file is never cleared in the directory. Dates are ISO
`YYYY-MM-DD`; anything else is an error on that row, not a guess. UTF-8 with or without a BOM. A
malformed file is one clear error with its line number.

One reader (`read_table`) serves both the import (`CsvSource`) and the trimming of redacted
columns before an upload is queued (`without_columns`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from peoplesync.core.employee import SourceEmployee, SourceSnapshot, Value, values_of
from peoplesync.core.fields import BY_NAME, CSV_COLUMNS, FIELDS, REQUIRED_CSV_COLUMNS, Kind
from peoplesync.core.issues import Issue, Severity
from peoplesync.errors import CsvFormatError
from peoplesync.sources.base import SourceBatch

TEMPLATE_HEADER = tuple(f.csv_header for f in sorted(FIELDS, key=lambda f: f.csv_position))
MAX_COLUMNS = 500  # the core columns and hundreds of demographics; more is not an employee file
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab and line ends
_LOWERED = {c.casefold(): c for c in CSV_COLUMNS}


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CsvFormatError(f"Cannot read {path}: {err.strerror or err}.") from None


def column_field(header: str) -> str:
    """What a column holds: a core field's name, or (any other header) a demographic's."""
    return CSV_COLUMNS.get(header) or header


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A file's checked header and its rows, read lazily: (first line of the row, its cells)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def read_table(data: bytes) -> CsvTable:
    """Decode the file and check its header; the rows follow as they are read."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _header(reader)
    return CsvTable(header, _rows(reader, len(header)))


class CsvSource:
    """An uploaded employee file, as a `Source`: always the whole company (a full import)."""

    kind = "csv"

    def __init__(self, data: bytes, *, name: str | None, redacted: frozenset[str]) -> None:
        self.data = data
        self.name = name
        self.redacted = redacted

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        return parse_csv(self.data, redacted=self.redacted)


def parse_csv(data: bytes, *, redacted: frozenset[str] = frozenset()) -> SourceBatch:
    table = read_table(data)
    fields = {name: column_field(name) for name in table.header}
    kept = [(i, name) for i, name in enumerate(table.header) if fields[name] not in redacted]
    records: list[SourceEmployee] = []
    issues: list[Issue] = []
    for line, row in table.rows:
        rec, row_issues = _record(line, {name: row[i] for i, name in kept})
        records.append(rec)
        issues.extend(row_issues)
    if not records:
        raise CsvFormatError("The file has a header but no employees.", line=2)
    kept_fields = {fields[name] for _, name in kept}
    provided = frozenset(f for f in kept_fields if f in BY_NAME)
    snapshot = SourceSnapshot(
        records=tuple(records),
        provided=provided,
        demographic_names=frozenset(kept_fields - provided),
        kind="csv",
    )
    return SourceBatch(snapshot, tuple(issues))


def without_columns(data: bytes, redacted: frozenset[str]) -> bytes:
    """The file without its redacted columns (unchanged when it has none, or cannot be read:
    the import then reports the problem with its line)."""
    if not redacted:
        return data
    try:
        table = read_table(data)
        drop = {i for i, h in enumerate(table.header) if column_field(h) in redacted}
        if not drop:
            return data
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_without(table.header, drop))
        writer.writerows(_without(row, drop) for _, row in table.rows)
    except CsvFormatError:
        return data
    return out.getvalue().encode()


def _without(row: list[str], drop: set[int]) -> list[str]:
    return [cell for i, cell in enumerate(row) if i not in drop]


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise CsvFormatError(
            "The file is not UTF-8 text.",
            line=line,
            hint="Save it as 'CSV UTF-8' (in Excel) or export it from Numbers or Google Sheets.",
        ) from None
    if not text.strip():
        raise CsvFormatError("The file is empty.", line=1)
    return text


def _header(reader: _Reader) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as err:
        raise CsvFormatError(f"The header row cannot be read ({err}).", line=1) from None
    except StopIteration:
        raise CsvFormatError("The file is empty.", line=1) from None
    if len(header) > MAX_COLUMNS:
        raise CsvFormatError(
            f"The header has {len(header):,} columns; peoplesync reads at most {MAX_COLUMNS}.",
            line=1,
            hint="Keep the employee columns and the demographics you use; check the separator.",
        )
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
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(f"Column {position} has no header.")
        elif name not in CSV_COLUMNS and name.casefold() in _LOWERED:
            problems.append(
                f"Column '{name}' should be spelt '{_LOWERED[name.casefold()]}' "
                "(headers are case-sensitive)."
            )
    times = Counter(n for n in header if n)
    duplicates = sorted(n for n, count in times.items() if count > 1)
    if duplicates:
        problems.append("Columns appear twice: " + ", ".join(f"'{d}'" for d in duplicates) + ".")
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in times]
    if missing:
        problems.append("Missing required columns: " + ", ".join(f"'{m}'" for m in missing) + ".")
    return problems


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
    values: dict[str, Value] = {}
    demographics: dict[str, str] = {}
    manager_email: str | None = None
    issues: list[Issue] = []
    location = f"row {line}"
    for column, raw in cells.items():
        value = raw.strip() or None
        if value is not None and (bad := _CONTROL.search(value)):
            issues.append(_control_issue(location, column, bad.group(), cells))  # blocks it
        name = CSV_COLUMNS.get(column)
        if name is None:
            if value is not None:
                demographics[column] = value
            continue
        kind = BY_NAME[name].kind
        if kind is Kind.DATE:
            values[name] = _date(value, location, name, cells, issues)
        elif kind is Kind.PERSON:
            manager_email = value
        else:
            values[name] = value
    record = SourceEmployee(location, None, values_of(values), None, manager_email, demographics)
    return record, issues


def _who(cells: Mapping[str, str]) -> str:
    name, email = cells.get("Name", "").strip(), cells.get("Email", "").strip()
    return f"{name or '(no name)'}" + (f" <{email}>" if email else "")


def _control_issue(location: str, column: str, char: str, cells: Mapping[str, str]) -> Issue:
    """A cell holding a control character (a NUL byte, a bell...): never stored, always named."""
    field = CSV_COLUMNS.get(column) or column
    who = _who({k: _CONTROL.sub("", v) for k, v in cells.items() if k in ("Name", "Email")})
    return Issue(
        severity=Severity.ERROR,
        code="control_character",
        message=f"{location} ({who}): {column} holds a control character (U+{ord(char):04X}), "
        "which is not text.",
        hint="Remove it from the cell (it often comes from a copy from another program), or "
        "save the file again as CSV UTF-8.",
        location=location,
        field=field,
        who=who,
    )


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
    who = _who(cells)
    issues.append(
        Issue(
            severity=Severity.ERROR,
            code="invalid_date",
            message=f"{location} ({who}): {BY_NAME[field].label} '{value}' is not a date in "
            "YYYY-MM-DD form.",
            hint="Write dates as YYYY-MM-DD, e.g. 2024-03-31; ambiguous dates are not guessed.",
            location=location,
            field=field,
            who=who,
        )
    )
    return None
