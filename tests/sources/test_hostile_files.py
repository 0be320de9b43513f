"""Files as careless admins and attackers make them get a clear answer naming the line or the
row and column, from the CLI too (issues 15 and 19): never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peoplesync.errors import CsvFormatError
from peoplesync.sources.csv_source import MAX_COLUMNS, parse_csv


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Line 1: The file is empty."),
        (b"\xef\xbb\xbf", "Line 1: The file is empty."),
        (b"\xef\xbb\xbf\n\n", "Line 1: The file is empty."),
        (b"Name,Email\n", "Line 2: The file has a header but no employees."),
        (
            (",".join(["Name", "Email", *(f"c{i}" for i in range(1_000))]) + "\n").encode(),
            f"Line 1: The header has 1,002 columns; peoplesync reads at most {MAX_COLUMNS}.",
        ),
    ],
)
def test_a_file_without_employees_says_so_with_its_line(data: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError) as refused:
        parse_csv(data)
    assert refused.value.message == message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_control_character_is_an_error_naming_row_and_column(char: str) -> None:
    data = f"Name,Email,Team\nAda,ada@a.example,Core{char}Team\nBob,bob@a.example,Core\n"
    batch = parse_csv(data.encode())
    (issue,) = batch.issues
    assert issue.blocking
    assert (issue.location, issue.field) == ("row 2", "Team")
    assert f"U+{ord(char):04X}" in issue.message
    assert "Ada <ada@a.example>" in issue.message


def test_tabs_and_line_breaks_in_a_quoted_cell_are_text() -> None:
    batch = parse_csv(b'Name,Email,Note\nAda,ada@a.example,"one\ttwo\nthree"\n')
    assert batch.issues == ()


@pytest.mark.parametrize(
    "data", [b"\xef\xbb\xbf", b"Name,Email\n" + b"Ada\x00,ada@a.example\n"], ids=["bom", "nul"]
)
def test_the_cli_answers_a_hostile_file_without_a_traceback(tmp_path: Path, data: bytes) -> None:
    env = {
        **os.environ,
        "PEOPLESYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "PEOPLESYNC_SECRET_KEY_FILE": str(tmp_path / "key"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "peoplesync", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            cwd=tmp_path,
        )

    assert cli("init").returncode == 0
    assert cli("accounts", "create", "Acme").returncode == 0
    file = tmp_path / "hostile.csv"
    file.write_bytes(data)
    done = cli("sync", "--csv", str(file), "--yes")
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode in (1, 3)  # blocked by the row's error, or the file refused
    assert "row 2" in done.stdout or "Line 1" in done.stdout + done.stderr


def test_a_cell_longer_than_the_reader_takes_says_so_with_its_line() -> None:
    data = b"Name,Email\nAda,ada@a.example\n" + b'"' + b"x" * 200_000 + b'",b@a.example\n'
    with pytest.raises(CsvFormatError) as refused:
        parse_csv(data)
    assert refused.value.message == "Line 3: A cell holds more than 131,072 characters."
    assert "unclosed quote" in (refused.value.hint or "")


def test_a_big_file_is_read_a_megabyte_at_a_time_to_the_same_answer() -> None:
    """A file is checked in pieces (a 50 MB upload never holds the server in one long call): a
    character cut by a piece's edge reads whole, and a fault after the first megabyte still
    names its line."""
    row = "Zoë Brontë,zoe.bronte@a.example,Équipe\n".encode()  # two-byte letters
    rows = 2 * 1024 * 1024 // len(row)
    header = b"Name,Email,Team\n"
    at = 1024 * 1024 - len(header)
    cut = next(pad for pad in range(len(row)) if (b" " * pad + row * rows)[at] & 0xC0 == 0x80)
    data = header + b" " * cut + row * rows
    assert data[1024 * 1024] & 0xC0 == 0x80  # the first megabyte ends inside a letter
    batch = parse_csv(data)
    records = batch.snapshot.records
    assert len(records) == rows
    assert not batch.issues
    assert {r.demographics["Team"] for r in records} == {"Équipe"}
    assert records[-1].location == f"row {rows + 1}"

    late = data + b"Ann,ann@a.example,Ops\x07\n"
    (issue,) = parse_csv(late).issues  # the control character is seen past the first megabyte
    assert (issue.location, issue.field) == (f"row {rows + 2}", "Team")

    bad = data + "Ann,ann@a.example,Op\xe9rations\n".encode("cp1252")
    with pytest.raises(CsvFormatError) as refused:
        parse_csv(bad)
    assert refused.value.line == rows + 2
    assert "not UTF-8" in refused.value.message

    with pytest.raises(CsvFormatError) as empty:
        parse_csv(b" \n" * 1024 * 1024)  # two megabytes of nothing
    assert empty.value.message == "Line 1: The file is empty."
