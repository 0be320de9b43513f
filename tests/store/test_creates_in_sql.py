"""A first import's creates written by SQLite from the stored plan (store/creates.py) leave the
directory, the change log and the search terms exactly as the Python way does; PostgreSQL
writes them the Python way."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from peoplesync.accounts.service import create_account, local_today
from peoplesync.core.employee import SourceEmployee
from peoplesync.errors import ImportBlockedError
from peoplesync.people.service import list_people
from peoplesync.runs import service as runs
from peoplesync.store import creates, plans
from peoplesync.store.models import Account, PlanItem, SyncRun
from tests.conftest import rolled_back
from tests.store.test_apply import people, rec, snap
from tests.support import NOW


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """SQLite only: the database that writes the creates itself (see the last test)."""
    return sqlite_engine


def records() -> list[SourceEmployee]:
    """A company with what a create can carry, and leave out: accents and hyphens (search
    terms, folded keys), dates, no manager, no Employee Id, no demographics, a second one."""
    return [
        rec(1, name="Zoë Ærø-Okafor", email="Zoe.Aero@Acme.example", birth_date=date(1990, 2, 3)),
        rec(2, preferred_name="Bob", end_date=date(2030, 1, 1)),
        rec(3, employee_id=None, demographics={}),
        rec(4, demographics={"Department": "Sales", "Site": "Ørsted"}),
        *(rec(n, manager_source_id="src-2") for n in range(5, 12)),
    ]


def plan_for(session: Session, account: Account, employees: list[SourceEmployee]) -> SyncRun:
    run = runs.start_run(session, account, trigger="manual", source_kind="merge", now=NOW)
    snapshot = snap(*employees)
    snapshot = type(snapshot)(
        records=snapshot.records,
        provided=snapshot.provided,
        demographic_names=frozenset({"Department", "Site"}),
        complete=True,
        kind="merge",
    )
    outcome = runs.plan_run(
        session, account, run, snapshot, today=local_today(account, NOW), now=NOW
    )
    assert outcome.plan is not None, outcome
    return run


def write(session: Session, account: Account, run: SyncRun, *, in_sql: bool) -> tuple[int, int]:
    people_written, logged, _ = plans.write_stored_plan(
        session,
        account_id=account.id,
        run_id=run.id,
        source_kind="merge",
        actor="admin@acme.example",
        now=NOW,
        in_sql_from=0 if in_sql else 10**9,
    )
    return people_written, logged


def state(session: Session, account: Account) -> dict[str, Any]:
    """Everything a create writes, keyed by source ID instead of the generated person ids."""
    a = {"a": account.id}
    source_of: dict[str, str] = dict(
        session.execute(text("SELECT id, source_id FROM people WHERE account_id = :a"), a).all()
    )
    rows = session.execute(
        text(
            "SELECT source_id, status, employee_id, name, preferred_name, email, birth_date, "
            "start_date, end_date, manager_id, name_key, email_key, source_kind, created_at, "
            "updated_at FROM people WHERE account_id = :a ORDER BY source_id"
        ),
        a,
    ).all()
    directory = [(*r[:9], source_of.get(r[9]), *r[10:]) for r in rows]
    values = session.execute(
        text(
            "SELECT p.source_id, d.name, v.value FROM person_demographics v "
            "JOIN people p ON p.id = v.person_id JOIN demographics d ON d.id = v.demographic_id "
            "WHERE p.account_id = :a ORDER BY 1, 2"
        ),
        a,
    ).all()
    log = session.execute(
        text(
            "SELECT p.source_id, l.field, l.before, l.after, l.actor, l.changed_at "
            "FROM change_log l JOIN people p ON p.id = l.person_id WHERE l.account_id = :a "
            "ORDER BY l.id"
        ),
        a,
    ).all()
    terms = session.execute(
        text(
            "SELECT p.source_id, t.term FROM person_search_terms t "
            "JOIN people p ON p.id = t.person_id WHERE t.account_id = :a ORDER BY 1, 2"
        ),
        a,
    ).all()
    return {
        "people": directory,
        "values": [tuple(v) for v in values],
        "log": [tuple(r) for r in log],
        "terms": [tuple(t) for t in terms],
    }


def test_one_plan_written_both_ways_leaves_the_same_directory(session: Session) -> None:
    by_python = create_account(session, "Acme Python", now=NOW)
    by_sql = create_account(session, "Acme SQL", now=NOW)
    session.flush()
    written = {}
    for account, in_sql in ((by_python, False), (by_sql, True)):
        run = plan_for(session, account, records())
        written[in_sql] = write(session, account, run, in_sql=in_sql)
    session.expire_all()

    assert written[True] == written[False] == (11, 11)
    expected, found = state(session, by_python), state(session, by_sql)
    assert found == expected
    # Not equal by being empty: what each part holds is what the records gave.
    assert len(found["people"]) == 11
    by_source = {row[0]: row for row in found["people"]}
    zoe = by_source["src-1"]
    assert zoe[3:6] == ("Zoë Ærø-Okafor", None, "Zoe.Aero@Acme.example")
    assert zoe[10:12] == ("zoë ærø-okafor", "zoe.aero@acme.example")  # name_key, email_key
    assert str(zoe[6]) == "1990-02-03"
    assert {v for v in found["values"] if v[0] == "src-4"} == {
        ("src-4", "Department", "Sales"),
        ("src-4", "Site", "Ørsted"),
    }
    assert not [v for v in found["values"] if v[0] == "src-3"]
    assert {t for s, t in found["terms"] if s == "src-1"} >= {"aero-okafor", "okafor"}
    assert by_source["src-3"][2] is None  # src-3: no Employee Id, so no term for one
    assert {t for s, t in found["terms"] if s == "src-3"} == {"3"}  # "person": the email
    assert [r[1] for r in found["log"]] == ["created"] * 11
    # And the people are found by search, by a folded, accent-free word.
    assert [p.source_id for p in list_people(session, by_sql.id, search="zoe").people] == ["src-1"]


def test_a_manager_missing_from_the_creates_refuses_the_import(session: Session) -> None:
    account = create_account(session, "Acme", now=NOW)
    session.flush()
    employees = [rec(1), *(rec(n, manager_source_id="src-1") for n in range(2, 5))]
    run = plan_for(session, account, employees)
    # The stored plan names a manager nobody in it is: a hierarchy error, nothing kept.
    item = session.scalars(
        select(PlanItem).where(PlanItem.run_id == run.id, PlanItem.seq == 2)
    ).one()
    changes = dict(item.changes)
    changes["values"] = {**changes["values"], "manager": "nobody"}
    item.changes = changes
    session.flush()
    with pytest.raises(ImportBlockedError, match="Hierarchy error"):
        write(session, account, run, in_sql=True)


def test_a_plan_stored_without_keys_is_written_the_python_way(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = create_account(session, "Acme", now=NOW)
    session.flush()
    run = plan_for(session, account, records())
    for item in session.scalars(select(PlanItem).where(PlanItem.run_id == run.id)):
        item.changes = {k: v for k, v in item.changes.items() if k != "keys"}  # type: ignore[union-attr]
    session.flush()
    called: list[int] = []

    def spied(*args: Any, **kwargs: Any) -> tuple[int, int]:
        called.append(1)
        return (0, 0)

    monkeypatch.setattr(plans, "write_creates", spied)
    assert write(session, account, run, in_sql=True) == (11, 11)
    assert not called
    found = people(session, account)
    assert found["src-1"].email == "Zoe.Aero@Acme.example"
    assert (
        session.scalar(
            text("SELECT email_key FROM people WHERE account_id = :a AND source_id = 'src-1'"),
            {"a": account.id},
        )
        == "zoe.aero@acme.example"
    )


def test_a_big_first_import_goes_through_the_database(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SQL_CREATES creates, apply_run writes them in SQL (and the result is whole)."""
    account = create_account(session, "Acme", now=NOW)
    session.flush()
    calls: list[int] = []
    real = creates.write_creates

    def counted(*args: Any, **kwargs: Any) -> tuple[int, int]:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plans, "write_creates", counted)
    size = creates.SQL_CREATES + 5
    run = plan_for(session, account, [rec(1), *(rec(n) for n in range(2, size + 1))])
    result = runs.apply_run(session, account, run, now=NOW, confirm=True)
    assert calls == [1]
    assert result.counts["create"] == size
    found = people(session, account)
    assert len(found) == size
    assert found[f"src-{size}"].manager_id == found["src-1"].id
    assert [
        p.source_id for p in list_people(session, account.id, search=f"person{size}@").people
    ] == [f"src-{size}"]


def test_postgresql_writes_the_creates_the_python_way(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured no faster there (store/creates.py): a first import on PostgreSQL never asks."""
    called: list[int] = []

    def spied(*args: Any, **kwargs: Any) -> tuple[int, int]:
        called.append(1)
        return (0, 0)

    monkeypatch.setattr(plans, "write_creates", spied)
    with rolled_back(postgres_engine) as session:
        account = create_account(session, "Acme", now=NOW)
        session.flush()
        run = plan_for(session, account, records())
        assert write(session, account, run, in_sql=True) == (11, 11)
        assert not called
        assert people(session, account)["src-1"].name == "Zoë Ærø-Okafor"


_WORD = st.text(alphabet=st.sampled_from("aZéØß-'. İıŁ"), min_size=1, max_size=8).filter(str.strip)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(
        st.tuples(
            st.lists(_WORD, min_size=1, max_size=3).map(" ".join),  # the name
            st.none() | _WORD,  # preferred name
            st.none() | st.dates(date(1950, 1, 1), date(2000, 12, 31)),
            st.dictionaries(st.sampled_from(["Department", "Site"]), _WORD, max_size=2),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_company_written_both_ways_is_the_same(
    session: Session, people: list[tuple[str, str | None, date | None, dict[str, str]]]
) -> None:
    """Whatever names (accents, dotted and dotless i, hyphens), dates and demographics."""
    employees = [
        rec(
            n,
            name=name,
            preferred_name=preferred,
            email=f"Person.{n}@Acme.example",
            birth_date=born,
            demographics=values,
        )
        for n, (name, preferred, born, values) in enumerate(people, start=1)
    ]
    accounts = []
    for in_sql in (False, True):
        account = create_account(session, f"Acme {secrets.token_hex(3)}", now=NOW)
        session.flush()
        run = plan_for(session, account, employees)
        assert write(session, account, run, in_sql=in_sql) == (len(people), len(people))
        accounts.append(account)
    session.expire_all()
    by_python, by_sql = (state(session, a) for a in accounts)
    assert by_sql == by_python
    assert len(by_sql["people"]) == len(people)
