"""The source mirror's record format round-trips every field, and reads older, shorter records."""

from __future__ import annotations

from datetime import date

from peoplesync.core.employee import SourceEmployee
from peoplesync.core.fields import VALUE_NAMES
from peoplesync.store.mirror import record_from_json, record_to_json

RECORD = SourceEmployee.of(
    "employee 9",
    source_id="m-9",
    employee_id="9",
    name="Ada Lovelace",
    preferred_name="Ada",
    email="ada@acme.example",
    birth_date=date(1990, 1, 2),
    start_date=date(2020, 3, 4),
    end_date=date(2026, 3, 4),
    manager_source_id="m-1",
    demographics={"Team": "Platform", "Job Title": "Engineer"},
)


def test_a_record_round_trips() -> None:
    assert record_from_json(record_to_json(RECORD)) == RECORD


def test_the_stored_layout_is_every_core_value_between_the_fixed_parts() -> None:
    stored = record_to_json(RECORD)
    assert stored[:2] == ["employee 9", "m-9"]
    assert stored[2 : 2 + len(VALUE_NAMES)] == [
        v.isoformat() if isinstance(v, date) else v for v in RECORD.values
    ]
    assert stored[-3:] == ["m-1", None, {"Team": "Platform", "Job Title": "Engineer"}]


def test_a_record_stored_before_a_field_was_added_reads_without_its_value() -> None:
    stored = record_to_json(RECORD)
    older = [*stored[: 1 + len(VALUE_NAMES)], *stored[-3:]]  # the last core value missing
    read = record_from_json(older)
    assert read.values == (*RECORD.values[:-1], None)
    assert read.manager_source_id == "m-1"
