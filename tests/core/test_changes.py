"""A plan's creates (`CreatedChanges`: every value a new record has, read as the tuple of its
changes) and its demographics (merged case-insensitively, the first spelling seen wins)."""

from __future__ import annotations

from datetime import timedelta

import orjson

from peoplesync.core.changes import CreatedChanges, FieldChange, StoredCreate
from peoplesync.core.plan import ChangeKind, PlannedChange
from peoplesync.store.plans import decode_changes, encode_changes
from tests.core.test_plan import ACTIVE, item, run, status
from tests.factories.employees import TODAY, person, source_employee


def test_a_new_record_is_a_create_with_every_value_it_carries() -> None:
    result = run([source_employee(1, preferred_name="Ada")])

    assert result.items == (
        PlannedChange(
            ChangeKind.CREATE,
            "new-1",
            "Person 1 <person1@acme.example>",
            (
                FieldChange("source_id", None, "src-1"),
                FieldChange("employee_id", None, "E0001"),
                FieldChange("name", None, "Person 1"),
                FieldChange("preferred_name", None, "Ada"),
                FieldChange("email", None, "person1@acme.example"),
                FieldChange("birth_date", None, "1990-01-01"),
                FieldChange("start_date", None, "2020-01-06"),
                status(None, ACTIVE),
            ),
            record_index=0,
        ),
    )


def test_a_create_reads_as_the_tuple_of_its_changes_and_stores_as_encoded() -> None:
    """A create's changes are made from its record when read (not kept): they compare, hash,
    index, count and print as the tuple they stand for, and store as `encode_changes` would
    store that tuple."""
    manager, report = (
        source_employee(1),
        source_employee(
            2,
            manager_source_id="src-1",
            end_date=TODAY + timedelta(days=9),
            demographics={"Team": "Platform"},
        ),
    )
    result = run([manager, report], demographic_names=["Team", "Site"])

    changes = item(result, "new-2").changes
    expected = (
        FieldChange("source_id", None, "src-2"),
        FieldChange("employee_id", None, "E0002"),
        FieldChange("name", None, "Person 2"),
        FieldChange("email", None, "person2@acme.example"),
        FieldChange("birth_date", None, "1990-01-01"),
        FieldChange("start_date", None, "2020-01-06"),
        FieldChange("end_date", None, (TODAY + timedelta(days=9)).isoformat()),
        FieldChange("manager", None, "new-1"),
        FieldChange("Team", None, "Platform", demographic=True),  # no Site: none given
        status(None, ACTIVE),
    )
    assert isinstance(changes, CreatedChanges)
    assert changes == expected
    assert expected == tuple(changes)
    assert hash(changes) == hash(expected)
    assert len(changes) == len(expected)
    assert changes[7] == expected[7]
    assert changes[-2:] == expected[-2:]
    assert repr(changes) == repr(expected)
    assert changes != expected[:-1]
    assert encode_changes(changes) == encode_changes(expected)
    assert all(type(c) is FieldChange and type(c.demographic) is bool for c in changes)

    # Stored compactly (values by field, demographics by name, the status), read back as the
    # same changes in the same order, whether as FieldChanges or as the lists apply reads.
    stored = changes.stored()
    assert stored == {
        "values": {
            "source_id": "src-2",
            "employee_id": "E0002",
            "name": "Person 2",
            "email": "person2@acme.example",
            "birth_date": "1990-01-01",
            "start_date": "2020-01-06",
            "end_date": (TODAY + timedelta(days=9)).isoformat(),
            "manager": "new-1",
        },
        "demographics": {"Team": "Platform"},
        "status": ACTIVE.value,
        "keys": {"name": "person 2", "email": "person2@acme.example"},
    }
    assert decode_changes(orjson.loads(orjson.dumps(stored))) == expected
    back = StoredCreate(orjson.loads(orjson.dumps(stored)))
    assert [tuple(c) for c in back] == [(f, b, a, int(d)) for f, b, a, d in expected]
    assert back == encode_changes(expected)
    assert len(back) == len(expected)
    assert back[-1] == ["status", None, ACTIVE.value, 0]
    assert back != encode_changes(expected[:-1])
    # Read back with its keys in another order (PostgreSQL's JSONB sorts them by length), it
    # is still the same changes in the same order.
    shuffled = {
        "values": dict(sorted(stored["values"].items(), key=lambda kv: (len(kv[0]), kv[0]))),
        "demographics": {"Zone": "B", "Team": "Platform"},
        "status": ACTIVE.value,
    }
    assert [c[0] for c in StoredCreate(shuffled)] == [
        *stored["values"],
        "Team",
        "Zone",
        "status",
    ]


def test_a_create_spells_a_demographic_as_first_seen_in_record_order() -> None:
    """The spelling of a demographic value is fixed when planned, in record order, though a
    create's changes are made later: an update planned after a create takes its spelling."""
    records = [
        source_employee(1, demographics={"Team": "Platform"}),
        source_employee(2, demographics={"Team": "PLATFORM"}),
    ]
    result = run(records, [person(2)], demographic_names=["Team"])

    assert item(result, "p-2").changes == (FieldChange("Team", None, "Platform", True),)
    create = item(result, "new-1")
    assert [c.after for c in create.changes if c.demographic] == ["Platform"]


def test_demographic_values_are_merged_case_insensitively_first_spelling_wins() -> None:
    records = [
        source_employee(1, demographics={"Department": "Engineering"}),
        source_employee(2, demographics={"Department": "ENGINEERING"}),
        source_employee(3, demographics={"Department": "engineering"}),
    ]

    result = run(records)

    afters = [c.after for i in result.items for c in i.changes if c.field == "Department"]
    assert afters == ["Engineering"] * 3
    assert all(c.demographic for i in result.items for c in i.changes if c.field == "Department")


def test_the_directory_spelling_of_a_demographic_value_wins() -> None:
    directory = [person(1, demographics={"Department": "engineering"}), person(2)]
    records = [
        source_employee(1, demographics={"Department": "Engineering"}),
        source_employee(2, demographics={"Department": "ENGINEERING"}),
    ]

    result = run(records, directory)

    assert item(result, "p-1").kind is ChangeKind.UNCHANGED
    assert item(result, "p-2").changes == (
        FieldChange("Department", None, "engineering", demographic=True),
    )


def test_demographic_names_are_exact_not_merged() -> None:
    records = [source_employee(1, demographics={"Department": "Sales", "department": "Ops"})]

    result = run(records, [person(1, demographics={"Department": "Sales"})])

    assert item(result, "p-1").changes == (
        FieldChange("department", None, "Ops", demographic=True),
    )


def test_a_demographic_emptied_in_the_source_is_cleared() -> None:
    before = person(1, demographics={"Department": "Sales", "Site": "Paris"})

    result = run(
        [source_employee(1, demographics={"Site": "Paris"})],
        [before],
        demographic_names={"Department", "Site"},
    )

    assert item(result, "p-1").changes == (
        FieldChange("Department", "Sales", None, demographic=True),
    )


def test_a_demographic_the_source_does_not_carry_is_kept() -> None:
    before = person(1, demographics={"Legacy": "x", "Site": "Paris"})

    result = run([source_employee(1, demographics={"Site": "Paris"})], [before])

    assert item(result, "p-1").kind is ChangeKind.UNCHANGED
