"""The XLSX source: an Excel workbook, in the layout of `sources.table`.

Read with openpyxl in read-only mode (the sheet's XML is streamed, never the whole workbook in
memory) with `data_only`: a formula reads as the value Excel saved with it. The sheet is the
one named in the upload or, when none is, the workbook's only visible sheet (several: a clear
error listing them). The header is the first row that holds anything; empty rows are skipped;
rows are numbered as Excel shows them ("row 12" is row 12 in Excel).

Cells become the text `sources.table` reads: a real date (a date-formatted cell, in either of
Excel's date systems) is written `YYYY-MM-DD` from its calendar date, so no serial number and
no time zone can move it; whole numbers lose Excel's ".0"; TRUE/FALSE stay words. A formula
with no saved value (a file written by a program that does not calculate), an Excel error value
(#N/A, #REF!...), a cell right of the header's last column: each is a clear error naming the
cell. A password-protected workbook (an encrypted one is an OLE compound file, not a ZIP) and an
Excel 97-2003 `.xls` get an error saying how to save it readable.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from itertools import chain
from typing import Any, NoReturn

from peoplesync.errors import WorkbookFormatError
from peoplesync.sources.base import SourceBatch
from peoplesync.sources.table import Table, check_header, column_field, records_of

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, or encrypted OOXML
ZIP_MAGIC = b"PK\x03\x04"
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # <f>, <f t="shared" .../>, <x:f>
_SAVE_HINT = "Open it in Excel, then File > Save As > 'Excel Workbook (.xlsx)' or 'CSV UTF-8'."


def is_workbook(data: bytes) -> bool:
    """Whether the bytes are a spreadsheet file (a ZIP with a workbook, or an OLE compound
    file) rather than text: the kind is decided from the bytes, not the file's name."""
    if data.startswith(OLE_MAGIC):
        return True
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return True  # a broken ZIP: the workbook reader says so
    return "xl/workbook.xml" in names or "[Content_Types].xml" in names or "content.xml" in names


class XlsxSource:
    """An uploaded Excel workbook, as a `Source` (`sheet`: the one to read, by name)."""

    kind = "csv"  # a file upload, as the history and the people's source know it

    def __init__(
        self, data: bytes, *, name: str | None, redacted: frozenset[str], sheet: str | None = None
    ) -> None:
        self.data = data
        self.name = name
        self.redacted = redacted
        self.sheet = sheet

    def read(self, on_progress: Callable[[int], None] | None = None) -> SourceBatch:
        return parse_xlsx(self.data, redacted=self.redacted, sheet=self.sheet)


def parse_xlsx(
    data: bytes, *, redacted: frozenset[str] = frozenset(), sheet: str | None = None
) -> SourceBatch:
    with _Workbook(data, sheet) as book:
        return records_of(book.table(), kind="csv", redacted=redacted, no_rows=book.no_rows)


def sheet_names(data: bytes) -> list[str]:
    """The workbook's sheets, in order (for a form's choice)."""
    with _Workbook(data, None, choose=False) as book:
        return list(book.workbook.sheetnames)


class _Workbook:
    """One open workbook and its chosen sheet; closed at the end of the `with`."""

    def __init__(self, data: bytes, sheet: str | None, *, choose: bool = True) -> None:
        _refuse_non_xlsx(data)
        self.data = data
        self.workbook = _open(data, data_only=True)
        self.sheet = _choose(self.workbook, sheet) if choose else None
        self.header_row = 1

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.workbook.close()

    def table(self) -> Table:
        sheet = self.workbook[self.sheet]
        sheet.reset_dimensions()  # the stored size may be wrong (files from other programs)
        rows = _numbered(sheet.iter_rows(values_only=True))
        for number, cells in rows:
            self.header_row = number
            header = [_text(c, number, i).strip() for i, c in enumerate(cells)]
            while header and not header[-1]:
                header.pop()
            check_header(header, self.refuse_header)
            break
        else:
            raise WorkbookFormatError(f"The sheet '{self.sheet}' is empty.", sheet=self.sheet)
        if self._has_formulas():
            self._check_formulas(len(header))
        return Table(header, self._rows(rows, len(header)))

    def refuse_header(self, message: str, hint: str) -> NoReturn:
        raise WorkbookFormatError(message, row=self.header_row, sheet=self.sheet, hint=hint)

    def no_rows(self) -> NoReturn:
        raise WorkbookFormatError(
            "The sheet has a header but no employees.", row=self.header_row + 1, sheet=self.sheet
        )

    def _rows(
        self, rows: Iterator[tuple[int, tuple[Any, ...]]], width: int
    ) -> Iterator[tuple[int, list[str]]]:
        for number, cells in rows:
            texts = [_text(c, number, i) for i, c in enumerate(cells)]
            if len(texts) > width:
                extra = next((i for i in range(width, len(texts)) if texts[i].strip()), None)
                if extra is not None:
                    raise WorkbookFormatError(
                        f"Cell {_cell(number, extra)} holds a value right of the header's last "
                        f"column ({_column(width - 1)}).",
                        row=number,
                        sheet=self.sheet,
                        hint="Give the column a header, or clear the cell.",
                    )
                del texts[width:]
            if "".join(texts).strip():
                texts.extend([""] * (width - len(texts)))
                yield number, texts

    def _has_formulas(self) -> bool:
        """Whether the sheet's XML holds any formula (streamed, in C: a cheap look)."""
        part = _sheet_part(self.data, self.sheet or "")
        if part is None:
            return True  # cannot tell: check cell by cell
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive, archive.open(part) as xml:
            tail = b""
            while chunk := xml.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
        return False

    def _check_formulas(self, width: int) -> None:
        """Every formula cell under the header has a saved value, or an error names the first
        that has none. The sheet is read a second time, for its formulas, beside the values:
        a formula whose value is missing reads as an empty number cell, while an empty text
        result is a text cell."""
        formulas = _open(self.data, data_only=False)
        try:
            with_formulas = formulas[self.sheet]
            with_formulas.reset_dimensions()
            with_values = self.workbook[self.sheet]
            pairs = zip(with_formulas.iter_rows(), with_values.iter_rows(), strict=False)
            for number, (cells, saved) in enumerate(pairs, start=1):
                if number < self.header_row:
                    continue
                for i, cell in enumerate(cells[:width]):
                    value = saved[i] if i < len(saved) else None
                    if (
                        cell.data_type == "f"
                        and getattr(value, "value", None) is None
                        and getattr(value, "data_type", "n") not in ("s", "str")
                    ):
                        self._no_saved_value(number, i, cell.value)
        finally:
            formulas.close()

    def _no_saved_value(self, row: int, index: int, formula: Any) -> NoReturn:
        raise WorkbookFormatError(
            f"Cell {_cell(row, index)} holds a formula ({_formula_text(formula)}) with no saved "
            "value.",
            row=row,
            sheet=self.sheet,
            hint="Open the file in Excel (or LibreOffice), let it calculate, save it and upload "
            "it again; or paste the column as values.",
        )


def _refuse_non_xlsx(data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise WorkbookFormatError(
                "The workbook is password-protected (encrypted), so it cannot be read.",
                hint="In Excel, File > Info > Protect Workbook > Encrypt with Password, clear "
                "the password and save; then upload it again.",
            )
        raise WorkbookFormatError(
            "The file is an Excel 97-2003 workbook (.xls), which peoplesync does not read.",
            hint=_SAVE_HINT,
        )


def _open(data: bytes, *, data_only: bool) -> Any:
    import openpyxl  # noqa: PLC0415  # a large import, needed only for a workbook
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as err:
        raise WorkbookFormatError(
            f"The file cannot be read as an Excel workbook ({type(err).__name__}).",
            hint=_SAVE_HINT,
        ) from None


def _choose(workbook: Any, sheet: str | None) -> str:
    names: list[str] = list(workbook.sheetnames)
    if sheet is not None and sheet.strip():
        wanted = sheet.strip()
        if wanted in names:
            return wanted
        raise WorkbookFormatError(
            f"The workbook has no sheet named '{wanted}'; its sheets are {_listed(names)}.",
            hint="Name one of these sheets exactly as it is spelt.",
        )
    visible = [n for n in names if workbook[n].sheet_state == "visible"]
    if len(visible) == 1:
        return visible[0]
    raise WorkbookFormatError(
        f"The workbook has {len(visible)} sheets ({_listed(visible)}); say which one holds the "
        "employees.",
        hint="Choose the sheet in the upload form (API: 'sheet'; CLI: --sheet NAME), or delete "
        "the other sheets.",
    )


def _listed(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _sheet_part(data: bytes, sheet: str) -> str | None:
    """The ZIP member holding the sheet's XML, from the workbook's own index."""
    from xml.etree import ElementTree  # noqa: PLC0415

    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314  # a bounded part
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
            names = set(archive.namelist())
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    rid = next(
        (
            s.get(f"{{{ns['r']}}}id")
            for s in book.iterfind("m:sheets/m:sheet", ns)
            if s.get("name") == sheet
        ),
        None,
    )
    target = next(
        (r.get("Target") for r in rels.iterfind("p:Relationship", ns) if r.get("Id") == rid), None
    )
    if not target:
        return None
    part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return part if part in names else None


def _numbered(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows with Excel's row numbers, empty rows left out."""
    for number, cells in enumerate(rows, start=1):
        if any(c is not None and c != "" for c in cells):
            yield number, cells


def _text(value: Any, row: int, index: int) -> str:
    """A cell's value as the text an admin sees for it (a date as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value in EXCEL_ERRORS:
            raise WorkbookFormatError(
                f"Cell {_cell(row, index)} holds the Excel error {value}.",
                row=row,
                hint="Fix the formula or the value in that cell, save and upload again.",
            )
        return value
    return _other_text(value)


def _other_text(value: Any) -> str:
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))  # Excel stores every number as a float: 1001, not 1001.0
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, datetime):
        # A date cell: its calendar date, as Excel shows it (no time zone is involved).
        midnight = value.time() == time(0)
        text = value.date().isoformat() if midnight else value.isoformat(sep=" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)  # int, timedelta
    return text


def _formula_text(formula: Any) -> str:
    text = formula if isinstance(formula, str) else getattr(formula, "text", None) or "a formula"
    return text if len(text) <= 60 else text[:57] + "..."


def _column(index: int) -> str:
    """Excel's letters for a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(row: int, index: int) -> str:
    return f"{_column(index)}{row}"


def trimmed_workbook(data: bytes, redacted: frozenset[str], *, sheet: str | None = None) -> bytes:
    """The chosen sheet alone, without its redacted columns, as a new workbook (unchanged when
    it has none). Rows keep their numbers and cells their text (dates as YYYY-MM-DD), so the
    import reads the same records, issues and row numbers from it."""
    import openpyxl  # noqa: PLC0415

    with _Workbook(data, sheet) as book:
        table = book.table()
        drop = {i for i, h in enumerate(table.header) if column_field(h) in redacted}
        if not drop:
            return data
        out = openpyxl.Workbook(write_only=True)
        target = out.create_sheet(book.sheet)
        keep = [i for i in range(len(table.header)) if i not in drop]
        written = 0
        for number, cells in chain([(book.header_row, table.header)], table.rows):
            for _ in range(written + 1, number):
                target.append([])
            target.append([_as_text(target, cells[i]) for i in keep])
            written = number
        buffer = io.BytesIO()
        out.save(buffer)
    return buffer.getvalue()


def _as_text(sheet: Any, text: str) -> Any:
    """A text cell for the trimmed copy (text that starts with '=' stays text, not a formula)."""
    if not text.startswith("="):
        return text
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell
