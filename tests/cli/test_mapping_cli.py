"""`peoplesync mapping`: show, set, preview and reset a source's field mapping, as a subprocess
against a fresh SQLite file; the next import follows the mapping."""

from __future__ import annotations

import json
from pathlib import Path

from peoplesync.cli.demo import sample_path
from tests.cli.test_cli import peoplesync, ready

__all__ = ["ready"]


def test_a_column_mapped_from_the_command_line_arrives_under_its_demographic(ready: Path) -> None:
    first = peoplesync(ready, "sync", "--csv", str(sample_path("acme-1.csv")), "--yes", "--json")
    assert first.returncode == 0, first.stderr
    shown = json.loads(peoplesync(ready, "mapping", "show", "file", "--json").stdout)
    assert {f["field"]: f["demographic"] for f in shown["fields"]}["Department"] == "Department"
    assert "Location" in shown["demographics"]
    refused = peoplesync(ready, "mapping", "set", "file", "--map", "Department=Email")
    assert refused.returncode != 0
    assert "'Department': 'Email' is a core field" in refused.stderr + refused.stdout
    done = peoplesync(
        ready,
        "mapping",
        "set",
        "file",
        "--map",
        "Department=Team",
        "--map",
        "Job Title=",
        "--exclude",
        "Location=Lisbon",
    )
    assert done.returncode == 0, done.stderr
    preview = peoplesync(
        ready, "mapping", "preview", "file", "--file", str(sample_path("acme-2.csv")), "--json"
    )
    people = json.loads(preview.stdout)["people"]
    assert people[0]["values"] == {"Team": "Executive", "Location": "New York"}
    second = peoplesync(ready, "sync", "--csv", str(sample_path("acme-2.csv")), "--yes", "--json")
    assert second.returncode == 0, second.stderr
    shown = json.loads(peoplesync(ready, "mapping", "show", "file", "--json").stdout)
    assert "Team" in shown["demographics"]
    assert shown["exclude"] == {"field": "Location", "values": ["Lisbon"]}
    reset = peoplesync(ready, "mapping", "reset", "file")
    assert reset.returncode == 0, reset.stderr
    shown = json.loads(peoplesync(ready, "mapping", "show", "file", "--json").stdout)
    assert shown["exclude"] is None
