"""The real `peoplesync` command, run as a subprocess against a fresh SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from peoplesync.cli.demo import sample_path

HEADER = "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email\n"


def peoplesync(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PEOPLESYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("PEOPLESYNC_LOG_JSON", None)
    return subprocess.run(
        [sys.executable, "-m", "peoplesync", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    assert peoplesync(tmp_path, "init").returncode == 0
    assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0
    return tmp_path


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = peoplesync(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("init", "accounts", "sync", "history", "users", "demo"):
        assert command in result.stdout


def test_sync_json_reports_counts_and_run(ready: Path) -> None:
    result = peoplesync(ready, "sync", "--csv", str(sample_path("acme-1.csv")), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["state"] == "succeeded"
    assert data["counts"]["create"] == 16
    assert data["issues"] == []
    second = peoplesync(ready, "sync", "--csv", str(sample_path("acme-2.csv")), "--yes", "--json")
    counts = json.loads(second.stdout)["counts"]
    assert (counts["create"], counts["update"], counts["leave"], counts["rehire"]) == (2, 3, 1, 1)
    users = json.loads(peoplesync(ready, "users", "--status", "former", "--json").stdout)
    assert [p["email"] for p in users["people"]] == ["ethan.dubois@acme.example"]
    history = json.loads(peoplesync(ready, "history", "--json").stdout)
    assert [r["run_id"] for r in history] == [2, 1]


def test_users_finds_any_word_of_a_name(ready: Path) -> None:
    """`peoplesync users becker` finds Jonas Becker; accents and case are ignored."""
    synced = peoplesync(ready, "sync", "--csv", str(sample_path("acme-1.csv")), "--yes")
    assert synced.returncode == 0, synced.stderr
    for search, email in (("becker", "jonas.becker@acme.example"), ("HERNÁNDEZ", "sofia.")):
        found = json.loads(peoplesync(ready, "users", search, "--json").stdout)
        assert [p["email"][: len(email)] for p in found["people"]] == [email], search
    table = peoplesync(ready, "users", "becker")
    assert table.returncode == 0
    assert "Jonas Becker" in table.stdout


def test_validation_errors_exit_1_and_name_row_and_field(ready: Path) -> None:
    bad = ready / "bad.csv"
    bad.write_text(
        HEADER
        + "Ada Lovelace,,1,ada@example.com,,2020-01-01,,boss@example.com\n"
        + "Grace Hopper,,2,not-an-email,,2020-01-01,,\n",
        encoding="utf-8",
    )
    result = peoplesync(ready, "sync", "--csv", str(bad), "--yes")
    assert result.returncode == 1
    assert "row 2 (Ada Lovelace <ada@example.com>): Manager 'boss@example.com'" in result.stdout
    assert "row 3 (Grace Hopper <not-an-email>): Email" in result.stdout
    shown = json.loads(peoplesync(ready, "history", "show", "1", "--json").stdout)
    assert shown["state"] == "blocked"
    assert {i["field"] for i in shown["issues"]} == {"manager", "email"}


def test_malformed_file_is_a_clear_error_with_its_line(ready: Path) -> None:
    bad = ready / "ragged.csv"
    bad.write_text(HEADER + "Ada,,1,ada@example.com,,,,\nBob,,2,bob@example.com\n", "utf-8")
    result = peoplesync(ready, "sync", "--csv", str(bad), "--yes")
    assert result.returncode == 3
    assert "Line 3" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_terminal_the_answer_is_read_from_standard_input(ready: Path) -> None:
    """A script pipes its answer; no answer (the end of input) is a no, and the run ends
    cancelled, saying so, never left waiting to expire."""
    csv = str(sample_path("acme-1.csv"))
    for piped in ("", "n\n"):
        declined = peoplesync(ready, "sync", "--csv", csv, "--json", stdin=piped)
        assert declined.returncode == 4, declined.stderr
        assert json.loads(declined.stdout.split("\n", 1)[1])["state"] == "cancelled"
    assert json.loads(peoplesync(ready, "users", "--json").stdout)["total"] == 0
    history = json.loads(peoplesync(ready, "history", "--json").stdout)
    assert {r["state"] for r in history} == {"cancelled"}
    assert all(r["error"] == "Not imported: the import was declined." for r in history)
    accepted = peoplesync(ready, "sync", "--csv", csv, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(peoplesync(ready, "users", "--json").stdout)["total"] == 16


def test_unknown_account_is_exit_5(ready: Path) -> None:
    result = peoplesync(ready, "users", "--account", "Nope")
    assert result.returncode == 5
    assert "No account named 'Nope'" in result.stderr


def test_commands_refuse_an_uninitialised_database(tmp_path: Path) -> None:
    result = peoplesync(tmp_path, "users")
    assert result.returncode == 3
    assert "peoplesync init" in result.stderr


def test_demo_syncs_justworks_twice_with_every_kind_of_change(tmp_path: Path) -> None:
    result = peoplesync(tmp_path, "demo", "--script", "--size", "60", "--sandbox-port", "0")
    assert result.returncode == 0, result.stderr
    assert "Justworks: Connected." in result.stdout
    assert "Review: 60 creates" in result.stdout
    assert "1 creates, 2 updates, 1 rehires, 1 leavers" in result.stdout


def test_flagged_changes_need_an_explicit_confirmation(ready: Path) -> None:
    first = ready / "first.csv"
    first.write_text(
        HEADER
        + "Ada Lovelace,,1,ada@example.com,1990-01-01,2020-01-01,,\n"
        + "Grace Hopper,,2,grace@example.com,1985-05-05,2020-01-01,,ada@example.com\n",
        encoding="utf-8",
    )
    assert peoplesync(ready, "sync", "--csv", str(first), "--yes").returncode == 0
    changed = ready / "changed.csv"  # Ada's name and birth date change at once: suspicious
    changed.write_text(
        HEADER
        + "Ann Other,,1,ada@example.com,1999-09-09,2020-01-01,,\n"
        + "Grace Hopper,,2,grace@example.com,1985-05-05,2020-01-01,,ada@example.com\n",
        encoding="utf-8",
    )
    refused = peoplesync(ready, "sync", "--csv", str(changed), "--yes")
    assert refused.returncode == 1
    assert "Flagged by the safeguards" in refused.stdout
    assert "Not imported" in refused.stdout
    scripted = peoplesync(ready, "sync", "--csv", str(changed), "--yes", "--json")
    assert scripted.returncode == 1
    told = json.loads(scripted.stdout)  # a script hears what a person reads
    assert told["state"] == "cancelled"
    assert "--confirm-flagged" in told["error"]
    assert [f["code"] for f in told["findings"]] == ["identity_change"]
    assert told["next_step"]
    still = json.loads(peoplesync(ready, "users", "ada@", "--json").stdout)["people"]
    assert still[0]["name"] == "Ada Lovelace"
    pushed = peoplesync(
        ready, "sync", "--csv", str(changed), "--yes", "--confirm-flagged", "--json"
    )
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["state"] == "succeeded"
    now = json.loads(peoplesync(ready, "users", "ada@", "--json").stdout)["people"]
    assert now[0]["name"] == "Ann Other"


def test_the_demo_refuses_one_port_for_both_the_app_and_the_sandbox(tmp_path: Path) -> None:
    """`make run PORT=8765` asks for the sandbox HRIS's own port: a clear error, before the
    demo's folder is touched, not a traceback from the second bind."""
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "kept.txt").write_text("the last demo's file")
    result = peoplesync(tmp_path, "demo", "--folder", str(folder), "--port", "8765")
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "--port and --sandbox-port are both 8765" in said
    assert "--sandbox-port 8766" in said
    assert "Traceback" not in said
    assert (folder / "kept.txt").read_text() == "the last demo's file"
