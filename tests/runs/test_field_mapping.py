"""Field mapping and exclusions for file uploads (issue 13, items 4 and 5), on SQLite and
PostgreSQL: map a column to an existing demographic by its exact name, preview it, import it
(the review shows demographic changes), map it again; an exclusion rule skips a new person and
makes an existing one leave with the reason "excluded"; a partial file's Manager Email may name
someone of the directory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from peoplesync.connections import mapping
from peoplesync.core.mapping import FieldMapping
from peoplesync.errors import InputError
from peoplesync.runs import mapping as use
from peoplesync.store.db import session_factory, unit_of_work
from peoplesync.store.models import ChangeLog, Person
from peoplesync.store.plans import load_plan
from peoplesync.store.snapshots import load_directory
from tests.factories.workbooks import workbook
from tests.runs.test_partial_imports import COMPANY, imported, new_account, statuses, syncs

NOW = datetime.now(UTC)
# The same people, with the team in a column named otherwise, and a type column.
SQUADS = (
    "Name,Employee Id,Email,Start Date,Manager Email,Squad,Type\n"
    "Ada Lovelace,E1,ada@acme.example,2020-01-06,,Core,Employee\n"
    "Bob Stone,E2,bob@acme.example,2020-02-03,ada@acme.example,Platform,Employee\n"
    "Cy Young,E3,cy@acme.example,2021-05-10,ada@acme.example,Sales,CONTRACTOR\n"
    "Dee Park,E4,dee@acme.example,2024-05-10,ada@acme.example,Sales,contractor\n"
)


def save(engine: Engine, account_id: int, targets: dict[str, str], **rule: object) -> None:
    exclusion = mapping.parse_exclusion(rule.get("field"), rule.get("values", ()))  # type: ignore[arg-type]
    with unit_of_work(session_factory(engine)) as session:
        use.save(session, account_id, "file", targets, exclusion, actor="admin", now=NOW)


def teams(engine: Engine, account_id: int, name: str) -> dict[str, str | None]:
    with unit_of_work(session_factory(engine)) as session:
        people = load_directory(session, account_id)
    return {str(p.email): p.demographics.get(name) for p in people}


def test_a_column_mapped_to_an_existing_demographic_previews_imports_and_maps_again(
    engine: Engine,
) -> None:
    use_, account_id = syncs(engine), new_account(engine)
    imported(use_, account_id, COMPANY.encode())  # Team: Core, Core, Sales
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        assert "Team" in mapping.demographic_names(session, account_id)
        proposed = use.proposed_of(
            mapping.load_mapping(session, account_id, "file"), {"Squad": "Team"}, None
        )
    found = use.preview_file(SQUADS.encode(), proposed, name="squads.csv", redacted=frozenset())
    assert found.error is None
    assert [p["values"] for p in found.people[:2]] == [
        {"Team": "Core", "Type": "Employee"},
        {"Team": "Platform", "Type": "Employee"},
    ]
    save(engine, account_id, {"Squad": "Team", "Team": "", "Type": ""})
    run = imported(use_, account_id, SQUADS.encode(), partial=True)
    with unit_of_work(factory) as session:
        rows = {r.label: [list(c) for c in r.changes] for r in load_plan(session, run.id)}
    # The review shows the mapped column as a change of the existing demographic.
    assert ["Team", "Core", "Platform", 1] in rows["Bob Stone <bob@acme.example>"]
    assert not any(c[0] in ("Squad", "Type") for changes in rows.values() for c in changes)
    assert teams(engine, account_id, "Team")["bob@acme.example"] == "Platform"
    # Mapped again, to a new demographic: it arrives; Team's values and history stay.
    save(engine, account_id, {"Squad": "Squad Name", "Type": ""})
    imported(use_, account_id, SQUADS.encode(), partial=True)
    assert teams(engine, account_id, "Squad Name")["cy@acme.example"] == "Sales"
    assert teams(engine, account_id, "Team")["bob@acme.example"] == "Platform"
    with unit_of_work(factory) as session:
        logged = session.scalars(
            select(ChangeLog.field).where(ChangeLog.account_id == account_id)
        ).all()
    assert {"Team", "Squad Name"} <= set(logged)


def test_a_mapping_that_names_a_core_field_or_one_demographic_twice_is_refused(
    engine: Engine,
) -> None:
    account_id = new_account(engine)
    with pytest.raises(InputError) as refused:
        save(engine, account_id, {"Squad": "Email", "Dept": "Team", "Group": "Team"})
    message = refused.value.message
    assert "'Squad': 'Email' is a core field" in message
    assert "'Dept' and 'Group' are both mapped to 'Team'" in message
    with pytest.raises(InputError, match="names no value"):
        save(engine, account_id, {}, field="Type", values=[" "])
    with unit_of_work(session_factory(engine)) as session:
        assert mapping.load_mapping(session, account_id, "file") == FieldMapping(passthrough=True)


def test_excluded_people_are_never_created_and_existing_ones_leave_as_excluded(
    engine: Engine,
) -> None:
    use_, account_id = syncs(engine), new_account(engine)
    imported(use_, account_id, COMPANY.encode())  # Ada, Bob, Cy
    save(engine, account_id, {"Squad": "Team", "Team": ""}, field="Type", values=["Contractor"])
    run = imported(use_, account_id, SQUADS.encode(), confirm=True)
    assert run.counts["create"] == 0  # Dee, a contractor, is not created
    assert run.counts["leave"] == 1
    assert "dee@acme.example" not in statuses(engine, account_id)
    assert statuses(engine, account_id)["cy@acme.example"] == "former"
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        leaver = next(r for r in load_plan(session, run.id) if r.kind == "leave")
        assert leaver.label == "Cy Young <cy@acme.example>"
        assert ["leave_reason", None, "excluded", 0] in [list(c) for c in leaver.changes]
        cy = session.scalar(
            select(Person.id).where(
                Person.account_id == account_id, Person.email == "cy@acme.example"
            )
        )
        history = session.execute(
            select(ChangeLog.field, ChangeLog.after).where(ChangeLog.person_id == cy)
        ).all()
    assert ("leave_reason", "excluded") in history
    assert ("status", "former") in history


def test_a_partial_files_manager_may_be_a_person_of_the_directory(engine: Engine) -> None:
    use_, account_id = syncs(engine), new_account(engine)
    imported(use_, account_id, COMPANY.encode())
    header = "Name,Employee Id,Email,Start Date,Manager Email\n"
    hire = header + "Eve Moss,E5,eve@acme.example,2026-11-02,Ada@acme.example\n"
    rows = [line.split(",") for line in hire.strip().split("\n")]
    run = imported(use_, account_id, workbook(rows), partial=True)
    assert run.counts["create"] == 1
    with unit_of_work(session_factory(engine)) as session:
        found = select(Person.email, Person.id).where(Person.account_id == account_id)
        ids = dict(session.execute(found).all())
        manager = session.scalar(
            select(Person.manager_id).where(Person.id == ids["eve@acme.example"])
        )
    assert manager == ids["ada@acme.example"]
    # A full import still needs the manager in the file.
    result = use_.from_file(account_id, hire.encode(), name="eve.csv", partial=False)
    assert result.state.value == "blocked"
    assert any(i.code == "manager_not_found" for i in result.report.issues)
