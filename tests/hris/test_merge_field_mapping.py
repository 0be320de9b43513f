"""Field mapping and exclusions for the HRIS (Justworks through Merge, the sandbox over real
HTTP), on SQLite and PostgreSQL: the fields offered follow available-actions; a preview reads a
few employees live; a mapped group or custom field arrives as demographic changes in the next
review (the mirror is fetched again under the new mapping); mapping again keeps what is there;
an exclusion rule skips a new hire and makes existing people leave with the reason "excluded"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from peoplesync.connections import mapping
from peoplesync.core.states import RunState
from peoplesync.runs import mapping as use
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.fields import DEFAULT_TARGETS
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import ChangeLog
from peoplesync.store.plans import load_plan
from peoplesync.store.snapshots import load_directory
from tests.hris.conftest import World, make_world

NOW = datetime.now(UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def any_world(request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path: Path) -> World:
    engine = None
    if request.param == "postgres":
        engine = request.getfixturevalue("postgres_engine")
        assert isinstance(engine, Engine)
    return make_world(sandbox, tmp_path, seed=31, engine=engine)


def save(world: World, targets: dict[str, str], rule: tuple[str, list[str]] | None = None) -> None:
    exclusion = mapping.parse_exclusion(*rule) if rule else None
    with unit_of_work(world.factory) as session:
        use.save(session, world.account_id, "merge", targets, exclusion, actor="admin", now=NOW)


def demographics(world: World, name: str) -> dict[str, str | None]:
    with unit_of_work(world.factory) as session:
        people = load_directory(session, world.account_id)
    return {str(p.source_id): p.demographics.get(name) for p in people}


def test_a_merge_field_mapped_previews_imports_and_maps_again(any_world: World) -> None:
    world = any_world
    first = world.sync_and_apply()
    assert first.state is RunState.AWAITING_REVIEW
    before = demographics(world, "Team")
    with unit_of_work(world.factory) as session:
        view = use.mapping_view(session, world.account_id, "merge")
    offered = {f["field"]: f["demographic"] for f in view["fields"]}
    assert offered["team"] == "Team"  # today's mapping is the default
    assert offered["group:DEPARTMENT"] == ""
    assert "Team" in view["demographics"]
    proposed = {**DEFAULT_TARGETS, "team": "", "group:DEPARTMENT": "Team"}
    proposed["custom:cost_center"] = "Cost Center"
    with unit_of_work(world.factory) as session:
        stored = mapping.load_mapping(session, world.account_id, "merge")
        found = use.preview_merge(
            session, world.account_id, world.ctx, use.proposed_of(stored, proposed, None)
        )
    assert found.error is None
    assert len(found.people) == use.PREVIEW_PEOPLE
    assert "custom:cost_center" in found.fields
    assert all(p["values"]["Cost Center"].startswith("CC-") for p in found.people)
    save(world, proposed)
    second = world.sync()
    assert second.state is RunState.AWAITING_REVIEW
    with unit_of_work(world.factory) as session:
        rows = load_plan(session, second.run_id)
    changed = {c[0] for r in rows for c in r.changes if c[3]}
    assert changed == {"Team", "Cost Center"}  # demographic changes, nothing else
    assert world.run(second.run_id).counts["update"] == len(before)  # everyone, fetched again
    world.sync_and_apply()
    after = demographics(world, "Team")
    assert after != before
    assert all(v and v.startswith("CC-") for v in demographics(world, "Cost Center").values())
    # Mapped again: the new name arrives, the old one's values and history stay.
    save(world, {**proposed, "custom:cost_center": "", "custom:justworks_department": "Dept"})
    world.sync_and_apply()
    assert any(demographics(world, "Dept").values())
    assert all(demographics(world, "Cost Center").values())
    with unit_of_work(world.factory) as session:
        logged = set(
            session.scalars(select(ChangeLog.field).where(ChangeLog.account_id == world.account_id))
        )
    assert {"Team", "Cost Center", "Dept"} <= logged
    # Nothing changed since: the next sync has nothing to review.
    assert world.sync().state is RunState.SUCCEEDED


def test_excluded_employees_are_never_created_and_existing_ones_leave_as_excluded(
    any_world: World,
) -> None:
    world = any_world
    world.sync_and_apply()
    hired = world.sandbox.control.hire(
        world.token, first_name="Kim", last_name="Lee", employment_type="CONTRACTOR"
    )
    save(world, dict(DEFAULT_TARGETS), ("employment_type", ["CONTRACTOR"]))
    result = world.sync_and_apply(confirm=True)
    assert result.state is RunState.AWAITING_REVIEW
    counts = world.run(result.run_id).counts
    assert counts["create"] == 0  # the contractor hired is not created
    people = world.people()
    assert hired["id"] not in people
    types = demographics(world, "Employment Type")
    with unit_of_work(world.factory) as session:
        rows = [r for r in load_plan(session, result.run_id) if r.kind == "leave"]
        reasons = session.execute(
            select(ChangeLog.after).where(
                ChangeLog.run_id == result.run_id, ChangeLog.field == "leave_reason"
            )
        ).all()
    assert len(rows) == counts["leave"] == len(reasons)
    assert counts["leave"] > 0
    by_id = {p.id: sid for sid, p in people.items()}
    assert {types[by_id[r.person_id]] for r in rows} == {"Contractor"}
    assert all(people[by_id[r.person_id]].status == "former" for r in rows)
    assert all(["leave_reason", None, "excluded", 0] in [list(c) for c in r.changes] for r in rows)
    assert world.sync().state is RunState.SUCCEEDED  # the excluded stay out, nothing to do
