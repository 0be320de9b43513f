"""The source mirror's record format round-trips every field."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from peoplesync.connections.mirror import MIRROR_FIELDS, record_from_json, record_to_json
from peoplesync.core.employee import SourceEmployee


def test_mirror_fields_follow_the_canonical_employee() -> None:
    assert tuple(f.name for f in fields(SourceEmployee)) == MIRROR_FIELDS


def test_a_record_round_trips() -> None:
    record = SourceEmployee(
        location="employee 9",
        source_id="m-9",
        employee_id="9",
        name="Ada Lovelace",
        preferred_name="Ada",
        email="ada@acme.example",
        birth_date=date(1990, 1, 2),
        start_date=date(2020, 3, 4),
        end_date=None,
        manager_source_id="m-1",
        manager_email=None,
        demographics={"Team": "Platform", "Job Title": "Engineer"},
    )
    assert record_from_json(record_to_json(record)) == record
