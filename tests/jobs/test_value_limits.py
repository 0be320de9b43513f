"""Values longer than the directory keeps are validation errors naming row, field and limit, on
SQLite and PostgreSQL alike (issue 15): the import is blocked before the database sees them,
never "an unexpected error (DataError)"; nothing is imported."""

from __future__ import annotations

from sqlalchemy import select

from peoplesync.core.fields import FIELDS
from peoplesync.core.limits import DEMOGRAPHIC_NAME_MAX, DEMOGRAPHIC_VALUE_MAX
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Person
from tests.jobs.world import World

LIMIT = {f.name: f.max_length for f in FIELDS}
HEADER = "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email"


def test_too_long_values_block_the_import_naming_row_field_and_limit(world: World) -> None:
    account_id = world.account()
    long_team = "T" * (DEMOGRAPHIC_NAME_MAX + 50)
    rows = [
        f"{HEADER},Team,{long_team}",
        f"{'N' * 600},,E1,ada@acme.example,,,,,Core,x",
        f"Bob Stone,,{'9' * 300},bob@acme.example,,,,,{'v' * (DEMOGRAPHIC_VALUE_MAX + 1)},",
        "Cy Young,,E3,cy@acme.example,,,,,Core,",
    ]
    result = world.jobs().syncs.from_file(
        account_id, ("\n".join(rows) + "\n").encode(), name="long.csv"
    )
    run = world.run(result.run_id)
    assert (run.state, run.blocked_reason) == ("blocked", "validation")
    errors = {(i["location"], i["field"], i["code"]): i for i in run.issues}
    name = errors[("row 2", "name", "too_long")]
    assert f"has 600 characters; the longest kept is {LIMIT['name']}" in name["message"]
    employee_id = errors[("row 3", "employee_id", "too_long")]
    assert f"the longest kept is {LIMIT['employee_id']}" in employee_id["message"]
    assert "Bob Stone <bob@acme.example>" in employee_id["message"]
    value = errors[("row 3", "Team", "too_long")]
    assert f"the longest kept is {DEMOGRAPHIC_VALUE_MAX}" in value["message"]
    header = errors[("row 2", long_team[:DEMOGRAPHIC_NAME_MAX], "demographic_name_too_long")]
    assert f"the longest kept is {DEMOGRAPHIC_NAME_MAX}" in header["message"]
    assert "unexpected" not in " ".join(i["message"] for i in run.issues)
    assert world.directory(account_id) == []  # nothing imported


def test_values_at_the_limit_import_on_both_databases(world: World) -> None:
    account_id = world.account()
    name, employee_id = "N" * int(LIMIT["name"] or 0), "9" * int(LIMIT["employee_id"] or 0)
    data = f"{HEADER},Team\n{name},,{employee_id},ada@acme.example,,,,,{'v' * 500}\n".encode()
    syncs = world.jobs().syncs
    result = syncs.from_file(account_id, data, name="edge.csv")
    assert world.run(result.run_id).state == "awaiting_review", world.run(result.run_id).issues
    done = syncs.apply(account_id, result.run_id, actor="admin@acme.example")
    assert done.state == "succeeded", world.run(result.run_id).error
    with unit_of_work(world.factory) as session:
        (person,) = session.scalars(select(Person).where(Person.account_id == account_id))
        assert (person.name, person.employee_id) == (name, employee_id)
