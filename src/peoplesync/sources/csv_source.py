"""The CSV source: an employee file as text, in the layout of `sources.table`.

UTF-8 with or without a BOM; the separator is a comma, a semicolon (Excel in many European
locales) or a tab, recognised from the header (the one that reads the required columns; where
that is ambiguous, an error naming what it saw). UTF-16 ("Unicode Text") and the older one-byte
encodings (Mac Roman, Windows-1252) are refused with how to save the file as UTF-8. A malformed
file is one clear error with its line number; the rows' records and their issues come from
`sources.table`, shared with the XLSX source.

One reader (`read_table`) serves both the import (`CsvSource`) and the trimming of redacted
columns before an upload is queued (`without_columns`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn, Protocol

from peoplesync.errors import CsvFormatError
from peoplesync.sources.base import SourceBatch
from peoplesync.sources.table import (
    CONTROL,
    MAX_COLUMNS,
    TEMPLATE_HEADER,
    Table,
    check_header,
    column_field,
    missing_columns,
    records_of,
)

__all__ = [
    "MAX_COLUMNS",
    "TEMPLATE_HEADER",
    "CsvSource",
    "parse_csv",
    "read_file_bytes",
    "read_table",
    "without_columns",
]

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
UTF8_HINT = (
    "Save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; in Numbers, "
    "File > Export To > CSV with Text Encoding 'Unicode (UTF-8)'; or export it from Google "
    "Sheets (always UTF-8)."
)
_SNIFF = 1024 * 1024  # the header is found within the first megabyte
# A big file is checked a megabyte at a time, never in one long call: between two, the server's
# other threads get the interpreter (a 50 MB upload does not hold every other request).
_CHUNK = 1024 * 1024
# UTF-8 writes these code points as the same single bytes, and no other character uses them.
_CONTROL_BYTES = re.compile(CONTROL.pattern.encode())


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CsvFormatError(f"Cannot read {path}: {err.strerror or err}.") from None


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


def read_table(data: bytes) -> Table:
    """Decode the file (a megabyte at a time), find its separator and check its header; the
    rows follow as read."""
    head, text = _decode(data)
    separator = _separator(head)
    reader = csv.reader(text, strict=True, delimiter=separator)
    header = _header(reader, separator)
    return Table(header, _rows(reader, len(header)), may_hold_control=_has_control(data))


def _has_control(data: bytes) -> bool:
    return any(_CONTROL_BYTES.search(data, at, at + _CHUNK) for at in range(0, len(data), _CHUNK))


class CsvSource:
    """An uploaded CSV employee file, as a `Source`."""

    kind = "csv"

    def __init__(self, data: bytes, *, name: str | None, redacted: frozenset[str]) -> None:
        self.data = data
        self.name = name
        self.redacted = redacted

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        return parse_csv(self.data, redacted=self.redacted)


def parse_csv(data: bytes, *, redacted: frozenset[str] = frozenset()) -> SourceBatch:
    return records_of(read_table(data), kind="csv", redacted=redacted, no_rows=_no_rows)


def _no_rows() -> NoReturn:
    raise CsvFormatError("The file has a header but no employees.", line=2)


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


def _without(row: Sequence[object], drop: set[int]) -> list[object]:
    return [cell for i, cell in enumerate(row) if i not in drop]


# --- text and separator ------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, io.StringIO]:
    """The text (its first megabyte or more, and all of it), decoded a megabyte at a time."""
    if _is_utf16(data):
        raise CsvFormatError(
            "The file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8.", line=1, hint=UTF8_HINT
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    text = io.StringIO(newline="")
    try:
        head = decoder.decode(data[:_SNIFF], final=len(data) <= _SNIFF)
        text.write(head)
        for at in range(_SNIFF, len(data), _CHUNK):
            text.write(decoder.decode(data[at : at + _CHUNK], final=at + _CHUNK >= len(data)))
    except UnicodeDecodeError:
        _refuse_encoding(data)
    if not head.strip() and (len(data) <= _SNIFF or not text.getvalue().strip()):
        raise CsvFormatError("The file is empty.", line=1)
    text.seek(0)
    return head, text


def _refuse_encoding(data: bytes) -> NoReturn:
    try:  # in one piece, for the line of the first byte that is not UTF-8
        data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvFormatError(
            f"The file is not UTF-8 text: it looks like {_old_encoding(data)}.",
            line=data[: err.start].count(b"\n") + 1,
            hint=UTF8_HINT,
        ) from None
    raise AssertionError("UTF-8 in one piece but not in megabytes")  # the decoder's own promise


def _is_utf16(data: bytes) -> bool:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    head = data[:200]
    # ASCII text in UTF-16 has a NUL in every other byte; a stray NUL in UTF-8 text does not.
    return len(head) >= 8 and (
        head[1::2].count(0) > len(head) // 3 or head[0::2].count(0) > len(head) // 3
    )


def _old_encoding(data: bytes) -> str:
    """Which older encoding the bytes read as more plausibly (letters where the high bytes
    are): Mac Roman (old Macs, Excel for Mac's 'CSV') or Windows-1252 (Excel on Windows)."""
    high = bytes(b for b in data[:_SNIFF] if b >= 0x80)
    scores = {}
    for codec, label in (("mac_roman", "Mac Roman"), ("cp1252", "Windows-1252")):
        try:
            scores[label] = sum(ch.isalpha() for ch in high.decode(codec))
        except UnicodeDecodeError:
            scores[label] = -1
    if b"\r" in data and b"\n" not in data:
        scores["Mac Roman"] += len(high) + 1  # lines ended by CR alone: an old Mac's file
    mac, windows = scores["Mac Roman"], scores["Windows-1252"]
    if mac == windows:
        return "an older encoding (Mac Roman or Windows-1252)"
    return "Mac Roman, an older Mac encoding" if mac > windows else "Windows-1252 (ANSI)"


def _separator(text: str) -> str:
    """The separator that reads the required columns from the header line."""
    first = text[:_SNIFF].lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    fits = []
    for sep in SEPARATORS:
        if sep not in first:
            continue  # it splits nothing
        try:
            cells = next(csv.reader([first], delimiter=sep))
        except (csv.Error, StopIteration):
            continue
        if len(cells) > 1 and not missing_columns(c.strip() for c in cells):
            fits.append(sep)
    if len(fits) == 1:
        return fits[0]
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    seen = [f"{counts[s]} {SEPARATORS[s]}{'s' if counts[s] != 1 else ''}" for s in SEPARATORS]
    if len(fits) > 1:
        _refuse_separator(
            "The header reads as "
            + " and as ".join(f"{SEPARATORS[s]}-separated" for s in fits)
            + f" (it holds {', '.join(seen)}).",
        )
    most = max(counts.values())
    best = [s for s in SEPARATORS if counts[s] == most]
    if most == 0:
        other = _other_separator(first)
        if other is not None:
            _refuse_separator(
                f"The header is separated by '{other}', which peoplesync does not read."
            )
        return ","  # one column: the header check says which columns are missing
    if len(best) > 1:
        _refuse_separator(
            f"The separator is ambiguous: the header holds {', '.join(seen)}, and none of "
            "them reads the columns 'Name' and 'Email'."
        )
    return best[0]


def _other_separator(line: str) -> str | None:
    found = [ch for ch in line if ch in "|:^~/#!"]
    return max(set(found), key=found.count) if found else None


def _refuse_separator(message: str) -> NoReturn:
    raise CsvFormatError(
        message,
        line=1,
        hint="Separate the columns with commas, semicolons or tabs (one of them throughout); "
        "the header must be: " + ", ".join(TEMPLATE_HEADER) + ", then demographics.",
    )


def _header(reader: _Reader, separator: str) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as err:
        raise CsvFormatError(f"The header row cannot be read ({err}).", line=1) from None
    except StopIteration:
        raise CsvFormatError("The file is empty.", line=1) from None

    def refuse(message: str, hint: str) -> NoReturn:
        if separator != ",":
            message += f" (The file was read as {SEPARATORS[separator]}-separated.)"
        raise CsvFormatError(message, line=1, hint=hint)

    return check_header(header, refuse)


def _rows(reader: _Reader, width: int) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, its cells); blank lines skipped, ragged rows refused."""
    end = reader.line_num  # the last line read so far: a row starts on the next one
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if len(row) != width:
                if not "".join(row).strip():
                    continue
                raise CsvFormatError(
                    f"This row has {len(row)} fields but the header has {width}.",
                    line=start,
                    hint="Check for a stray separator or an unclosed quote.",
                )
            if row[0].strip() or "".join(row).strip():
                yield start, row
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise CsvFormatError(
                f"A cell holds more than {csv.field_size_limit():,} characters.",
                line=end + 1,
                hint="No employee field is this long: look for an unclosed quote, which makes "
                "the rest of the file one cell.",
            ) from None
        raise CsvFormatError(f"The file cannot be read ({err}).", line=end + 1) from None
