"""CSV files as Excel and Numbers save them around the world (issue 13): semicolons and tabs
are read, an unclear separator is named, and text that is not UTF-8 says how to save it so."""

from __future__ import annotations

from datetime import date

import pytest

from peoplesync.errors import CsvFormatError
from peoplesync.sources.csv_source import parse_csv, without_columns

SEMICOLONS = (
    "Name;Preferred Name;Employee Id;Email;Start Date;Manager Email;Équipe\r\n"
    "Zoë Müller;;E1;zoe@acme.example;2021-03-31;;Ventes\r\n"
    '"Dupont; Jean";Jean;E2;jean@acme.example;2020-01-06;zoe@acme.example;"R&D; Paris"\r\n'
)
TABS = (
    "Name\tEmail\tStart Date\tTeam\n"
    "Ada Lovelace\tada@acme.example\t2021-03-31\tCore, Platform\n"
    "\n"
    "Bob Stone\tbob@acme.example\t\tCore\n"
)


def message(data: bytes) -> str:
    with pytest.raises(CsvFormatError) as refused:
        parse_csv(data)
    return refused.value.admin_message()


def test_a_semicolon_file_from_a_european_excel_is_read() -> None:
    batch = parse_csv(SEMICOLONS.encode("utf-8-sig"))
    zoe, jean = batch.snapshot.records
    assert batch.issues == ()
    assert (zoe.name, zoe.email, zoe.start_date) == (
        "Zoë Müller",
        "zoe@acme.example",
        date(2021, 3, 31),
    )
    assert (jean.name, jean.preferred_name, jean.manager_email) == (
        "Dupont; Jean",
        "Jean",
        "zoe@acme.example",
    )
    assert jean.demographics == {"Équipe": "R&D; Paris"}
    assert jean.location == "row 3"


def test_a_tab_file_is_read_with_its_commas_as_text() -> None:
    batch = parse_csv(TABS.encode())
    ada, bob = batch.snapshot.records
    assert ada.demographics == {"Team": "Core, Platform"}
    assert (bob.location, bob.start_date) == ("row 4", None)  # line 3 is blank


def test_a_semicolon_file_missing_a_column_says_so_and_how_it_was_read() -> None:
    found = message(b"Name;Team\nAda;Core\n")
    assert found.startswith("Line 1: Missing required columns: 'Email'.")
    assert "(The file was read as semicolon-separated.)" in found


def test_a_ragged_semicolon_row_names_its_line() -> None:
    found = message(b"Name;Email\nAda;ada@acme.example\nBob;bob@acme.example;extra\n")
    assert found.startswith("Line 3: This row has 3 fields but the header has 2.")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"Name,Team;Email", "The separator is ambiguous: the header holds 1 comma, 1 semicolon"),
        (b"Name|Email|Team", "The header is separated by '|', which peoplesync does not read."),
    ],
)
def test_a_separator_that_cannot_be_told_is_named(header: bytes, expected: str) -> None:
    found = message(header + b"\nAda|ada@acme.example|Core\n")
    assert found.startswith(f"Line 1: {expected}")
    assert "commas, semicolons or tabs" in found


def test_a_header_that_reads_both_ways_is_ambiguous() -> None:
    found = message(b"Name;Email;Note,Name,Email\nAda;a@acme.example;x,Ada,a@acme.example\n")
    assert found.startswith(
        "Line 1: The header reads as comma-separated and as semicolon-separated"
    )


def test_utf16_text_says_how_to_save_as_utf8() -> None:
    for data in (
        "Name\tEmail\nAda\tada@acme.example\n".encode("utf-16"),  # Excel's "Unicode Text"
        "Name,Email\nAda,ada@acme.example\n".encode("utf-16-le"),  # without its BOM
    ):
        found = message(data)
        assert found.startswith("Line 1: The file is UTF-16 text")
        assert "CSV UTF-8 (Comma delimited)" in found


@pytest.mark.parametrize(
    ("codec", "ending", "named"),
    [
        ("mac_roman", "\r", "Mac Roman, an older Mac encoding"),
        ("mac_roman", "\n", "Mac Roman, an older Mac encoding"),
        ("cp1252", "\r\n", "Windows-1252 (ANSI)"),
    ],
)
def test_an_older_encoding_is_named_with_how_to_save_as_utf8(
    codec: str, ending: str, named: str
) -> None:
    text = ending.join(["Name,Email", "Zoë Müller,zoe@acme.example", "Élodie Brûlé,e@a.example"])
    found = message((text + ending).encode(codec))
    assert f"The file is not UTF-8 text: it looks like {named}." in found
    assert "Text Encoding 'Unicode (UTF-8)'" in found


def test_redacted_columns_are_cut_from_a_semicolon_file() -> None:
    kept = without_columns(SEMICOLONS.encode(), frozenset({"start_date"}))
    batch = parse_csv(kept)
    assert "start_date" not in batch.snapshot.provided
    assert "2021-03-31" not in kept.decode()
    assert [r.name for r in batch.snapshot.records] == ["Zoë Müller", "Dupont; Jean"]
