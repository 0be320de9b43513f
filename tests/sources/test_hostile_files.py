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
