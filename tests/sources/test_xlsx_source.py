"""Employee workbooks as admins make them (issue 13): real XLSX files written by openpyxl (and,
where openpyxl cannot, the way Excel writes them), each checking the records or the message."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from peoplesync.errors import CsvFormatError, WorkbookFormatError
from peoplesync.sources.csv_source import parse_csv
from peoplesync.sources.files import file_kind, open_file, without_columns
from peoplesync.sources.xlsx_source import parse_xlsx, sheet_names
from tests.factories.workbooks import (
    HEADER,
    encrypted_workbook,
    legacy_xls,
    with_saved_values,
    workbook,
)

ADA = ("Ada Lovelace", None, 1001, "ada@acme.example", date(2021, 3, 31), None)
MIDNIGHT = datetime(2020, 1, 6, tzinfo=None)  # noqa: DTZ001  # Excel's date cells are naive
BOB = ("Bob Stone", "Bobby", "E-2", "bob@acme.example", MIDNIGHT, "ada@acme.example")


def refused(data: bytes, sheet: str | None = None) -> str:
    with pytest.raises(WorkbookFormatError) as found:
        parse_xlsx(data, sheet=sheet)
    return found.value.admin_message()


def test_a_workbook_reads_as_records_numbered_as_excel_shows_its_rows() -> None:
    data = workbook([HEADER, ADA, [], [None] * 6, BOB])
    batch = parse_xlsx(data)
    ada, bob = batch.snapshot.records
    assert batch.issues == ()
    assert (ada.location, bob.location) == ("row 2", "row 5")  # rows 3 and 4 are empty
    assert (ada.name, ada.employee_id, ada.email) == ("Ada Lovelace", "1001", "ada@acme.example")
    assert ada.start_date == date(2021, 3, 31)
    assert (bob.preferred_name, bob.employee_id) == ("Bobby", "E-2")
    assert bob.start_date == date(2020, 1, 6)  # a datetime cell at midnight: its calendar date
    assert bob.manager_email == "ada@acme.example"
    assert batch.snapshot.provided == {"name", "preferred_name", "employee_id", "email"} | {
        "start_date",
        "manager",
    }


@pytest.mark.parametrize("epoch_1904", [False, True], ids=["1900 dates", "1904 dates"])
def test_real_dates_read_as_the_same_calendar_dates_in_either_date_system(
    epoch_1904: bool,
) -> None:
    days = [date(1900, 3, 1), date(1999, 12, 31), date(2024, 2, 29), date(2038, 1, 19)]
    rows: list[tuple[object, ...]] = [("Name", "Email", "Date of Birth", "Start Date")]
    rows += [(f"P{i}", f"p{i}@acme.example", d, d) for i, d in enumerate(days)]
    batch = parse_xlsx(workbook(rows, epoch_1904=epoch_1904))
    assert [r.birth_date for r in batch.snapshot.records] == days
    assert [r.start_date for r in batch.snapshot.records] == days


def test_a_date_written_as_a_number_or_as_other_text_is_an_error_on_its_row() -> None:
    rows = [("Name", "Email", "Start Date"), ("Ada", "ada@acme.example", 45382)]
    rows.append(("Bob", "bob@acme.example", "31/03/2024"))
    batch = parse_xlsx(workbook(rows))
    assert [(i.location, i.field, i.code) for i in batch.issues] == [
        ("row 2", "start_date", "invalid_date"),
        ("row 3", "start_date", "invalid_date"),
    ]
    assert "'45382' is not a date" in batch.issues[0].message  # no serial-number guess


def test_formulas_read_as_the_values_excel_saved_with_them() -> None:
    rows = [("First", "Last", "Name", "Email"), ("Ada", "Lovelace", '=A2&" "&B2', "ada@a.example")]
    rows.append(("Bob", "Stone", '=A3&" "&B3', '=LOWER("BOB")&"@a.example"'))
    data = with_saved_values(
        workbook(rows), {"C2": "Ada Lovelace", "C3": "Bob Stone", "D3": "bob@a.example"}
    )
    ada, bob = parse_xlsx(data).snapshot.records
    assert (ada.name, bob.name, bob.email) == ("Ada Lovelace", "Bob Stone", "bob@a.example")
    assert ada.demographics == {"First": "Ada", "Last": "Lovelace"}


def test_a_formula_without_a_saved_value_is_an_error_naming_its_cell() -> None:
    rows = [("Name", "Email", "Team"), ("Ada", "ada@a.example", "Core")]
    rows.append(("Bob", "bob@a.example", '=UPPER("core")'))
    message = refused(workbook(rows))  # openpyxl saves formulas without values
    assert message.startswith(
        "Sheet 'Employees', row 3: Cell C3 holds a formula (=UPPER(\"core\")) with no saved value."
    )
    assert "let it calculate, save it" in message


def test_an_excel_error_value_is_an_error_naming_its_cell() -> None:
    rows = [("Name", "Email", "Team"), ("Ada", "ada@a.example", "#N/A")]
    assert "Cell C2 holds the Excel error #N/A" in refused(workbook(rows))


def test_several_sheets_need_the_sheet_named_and_a_named_one_is_read() -> None:
    data = workbook([HEADER, ADA], more_sheets={"Contractors": [HEADER, BOB]})
    message = refused(data)
    assert message.startswith(
        "The workbook has 2 sheets ('Employees', 'Contractors'); say which one holds the employees."
    )
    assert "--sheet" in message
    assert [r.name for r in parse_xlsx(data, sheet="Contractors").snapshot.records] == [BOB[0]]
    assert sheet_names(data) == ["Employees", "Contractors"]
    wrong = refused(data, sheet="Staff")
    assert wrong.startswith(
        "The workbook has no sheet named 'Staff'; its sheets are 'Employees', 'Contractors'."
    )


def test_a_hidden_second_sheet_leaves_the_visible_one_as_the_only_choice() -> None:
    data = workbook([HEADER, ADA], more_sheets={"Lists": [("Teams",), ("Core",)]}, hidden=["Lists"])
    assert [r.name for r in parse_xlsx(data).snapshot.records] == [ADA[0]]


def test_an_encrypted_workbook_says_it_is_password_protected() -> None:
    data = encrypted_workbook()
    assert data[:4] == b"\xd0\xcf\x11\xe0"
    assert file_kind(data) == "xlsx"  # from its bytes: not read as CSV text
    message = refused(data)
    assert message.startswith(
        "The workbook is password-protected (encrypted), so it cannot be read."
    )
    assert "clear the password" in message


def test_an_old_xls_workbook_says_how_to_save_it() -> None:
    message = refused(legacy_xls())
    assert message.startswith("The file is an Excel 97-2003 workbook (.xls)")
    assert "Excel Workbook (.xlsx)" in message


def test_the_kind_is_decided_from_the_bytes_not_the_name() -> None:
    data = workbook([HEADER, ADA])
    source = open_file(data, name="people.csv", redacted=frozenset())
    assert [r.name for r in source.read().snapshot.records] == [ADA[0]]
    text = b"Name,Email\nAda,ada@a.example\n"
    assert file_kind(text) == "csv"
    assert open_file(text, name="people.xlsx", redacted=frozenset()).read().snapshot.records


def test_the_header_rules_are_the_csv_rules() -> None:
    message = refused(workbook([("name", "Email", "Team", "Team"), ("Ada", "ada@a.example", 1, 2)]))
    assert "Column 'name' should be spelt 'Name' (headers are case-sensitive)." in message
    assert "Columns appear twice: 'Team'." in message
    with pytest.raises(CsvFormatError) as csv_refused:
        parse_csv(b"name,Email,Team,Team\nAda,ada@a.example,1,2\n")
    assert "Column 'name' should be spelt 'Name'" in csv_refused.value.message
    assert refused(workbook([("Name", "Email")])).endswith(
        "row 2: The sheet has a header but no employees."
    )
    assert refused(workbook([])) == "The sheet 'Employees' is empty."


def test_a_value_right_of_the_last_header_is_an_error_naming_its_cell() -> None:
    rows = [("Name", "Email"), ("Ada", "ada@a.example", "stray")]
    assert "Cell C2 holds a value right of the header's last column (B)." in refused(workbook(rows))


def test_redacted_columns_are_cut_keeping_the_row_numbers_and_the_values() -> None:
    rows = [
        ("Name", "Email", "Date of Birth", "Start Date"),
        ("Ada", "ada@a.example", date(1990, 1, 2), date(2021, 3, 31)),
    ]
    data = workbook([*rows, [], ("Bob", "bob@a.example", date(1991, 5, 6), "2020-01-06")])
    kept = without_columns(data, frozenset({"birth_date"}))
    cells = {c for row in openpyxl.load_workbook(io.BytesIO(kept)).active.values for c in row}  # type: ignore[union-attr]
    assert "Date of Birth" not in cells
    assert not any(isinstance(c, datetime) and c.year == 1990 for c in cells)
    assert "2021-03-31" in cells  # the kept cells, as the text the import reads
    before, after = parse_xlsx(data), parse_xlsx(kept)
    assert [r.location for r in after.snapshot.records] == ["row 2", "row 4"]
    assert [r.start_date for r in after.snapshot.records] == [date(2021, 3, 31), date(2020, 1, 6)]
    assert "birth_date" not in after.snapshot.provided
    assert [r.name for r in before.snapshot.records] == [r.name for r in after.snapshot.records]
