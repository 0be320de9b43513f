"""Redaction: a redacted field is dropped at mapping and appears nowhere afterwards — not in any
text column of any table, the queue or the logs; switching it on purges what was stored, and
the history says so (never the values)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from peoplesync.accounts.history import list_events
from peoplesync.accounts.redaction import redact, unredact
from peoplesync.accounts.service import get_account
from peoplesync.errors import InputError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.service import request_apply, request_csv_plan
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.sources.csv_source import without_columns
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import ChangeLog, Connection, Demographic, Person, PersonDemographic
from tests.jobs.world import TaskLog, World
from tests.redaction.scan import Secrets, database_hits, log_hits, queue_hits, sandbox_secrets

REDACTED = ["birth_date", "Gender"]
CSV = (
    b"Name,Email,Date of Birth,Start Date,Gender,Department\n"
    b"Ada Lovelace,ada@acme.example,1915-12-10,2020-01-06,Zyxgender,Engineering\n"
    b"Grace Hopper,grace@acme.example,1906-12-09,2020-02-03,Qwgender,Engineering\n"
)
CSV_SECRETS = Secrets(frozenset({"1915-12-10", "1906-12-09"}), frozenset({"Zyxgender", "Qwgender"}))


def both(first: Secrets, second: Secrets) -> Secrets:
    return Secrets(first.substrings | second.substrings, first.words | second.words)


def test_a_redacted_value_appears_nowhere_after_a_sync(
    world: World,
    sandbox: SandboxServer,
    company: SandboxAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = both(sandbox_secrets(sandbox, company), CSV_SECRETS)
    hris = world.account("Acme", redacted_fields=REDACTED)
    world.connect(hris, sandbox, company)
    upload = world.account("Upload Inc", redacted_fields=REDACTED)
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with capture_logs() as events:
        jobs.enqueue_sync(hris, "automatic")
        with unit_of_work(world.factory) as session:
            account = get_account(session, upload)
            request_csv_plan(session, jobs, account, CSV, source_name="people.csv", actor="x")
        assert queue_hits(world, secrets) == []  # what waits in the queue is minimised too
        with InProcessConsumer(jobs.huey, workers=2, periodic=False):
            done.wait("sync_account")
            done.wait("plan_file")
            (run,) = world.runs(upload)
            with unit_of_work(world.factory) as session:
                request_apply(session, jobs, get_account(session, upload), run.id, actor="x")
            done.wait("apply_plan")
    assert [r.state for r in world.runs(hris)] == ["succeeded"]
    assert world.run(run.id).state == "succeeded"
    assert world.people_count(hris) > 10
    assert world.people_count(upload) == 2

    assert database_hits(world, secrets) == []
    assert queue_hits(world, secrets) == []
    assert log_hits(events, caplog.text, secrets) == []
    with unit_of_work(world.factory) as session:
        assert session.scalar(select(func.count()).where(Person.birth_date.is_not(None))) == 0
        names = set(session.scalars(select(Demographic.name)))
        assert "Gender" not in names
        assert "Department" in names  # what is not redacted is kept


def test_switching_redaction_on_purges_what_was_stored(
    world: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    secrets = sandbox_secrets(sandbox, company)
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    world.manual_sync(account_id)  # a second, incremental run: plans and history to purge
    assert database_hits(world, secrets) != []  # stored before redaction...
    with unit_of_work(world.factory) as session:
        had_birth_date = session.scalar(select(func.count()).where(Person.birth_date.is_not(None)))
        result = redact(
            session,
            get_account(session, account_id),
            REDACTED,
            now=world.clock(),
            actor="dpo@acme.example",
        )
    assert result.added == ("Gender", "birth_date")
    assert result.purged["birth_date"] == had_birth_date
    assert database_hits(world, secrets) == []  # ...and nowhere after it
    with unit_of_work(world.factory) as session:
        assert (
            session.execute(select(func.count()).select_from(PersonDemographic)).scalar_one() > 0
        )  # others kept
        (event,) = list_events(session, account_id)
        assert (event.event, event.actor) == ("redaction.on", "dpo@acme.example")
        assert event.detail["purged"]["birth_date"] == had_birth_date
        marks = session.scalars(
            select(ChangeLog).where(
                ChangeLog.field == "birth_date", ChangeLog.before == "[redacted]"
            )
        ).all()
        assert len(marks) == had_birth_date
        assert {m.actor for m in marks} == {"redaction by dpo@acme.example"}

    again = world.manual_sync(account_id)  # the next sync does not bring them back
    assert world.run(again).state == "succeeded"
    assert database_hits(world, secrets) == []


def test_stopping_a_redaction_refetches_everything_next_time(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = world.account(redacted_fields=["birth_date"])
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    with unit_of_work(world.factory) as session:
        result = unredact(
            session, get_account(session, account_id), "Date of Birth", now=world.clock(), actor="x"
        )
        assert result.redacted == ()
        assert session.scalar(select(Connection.last_fetch_started_at)) is None
    world.manual_sync(account_id)
    with unit_of_work(world.factory) as session:
        assert (
            session.execute(select(func.count()).where(Person.birth_date.is_not(None))).scalar_one()
            > 10
        )


def test_what_can_be_redacted(embedded: World) -> None:
    with unit_of_work(embedded.factory) as session:
        account = get_account(session, embedded.account())
        for identity in ("name", "Email", "manager", "  "):
            with pytest.raises(InputError):
                redact(session, account, [identity], now=embedded.clock(), actor=None)
        found = redact(
            session,
            account,
            ["Date of Birth", "employee_id", "Race/Ethnicity"],
            now=embedded.clock(),
            actor=None,
        )
    assert found.redacted == ("Race/Ethnicity", "birth_date", "employee_id")


def test_uploads_lose_their_redacted_columns_before_they_are_queued() -> None:
    kept = without_columns(CSV, frozenset(REDACTED)).decode()
    assert kept.splitlines()[0] == "Name,Email,Start Date,Department"
    assert not CSV_SECRETS.found_in(kept)
    assert "1915" not in kept
    assert without_columns(CSV, frozenset()) == CSV
    assert without_columns(b"\xff\xfe not utf-8", frozenset(REDACTED)) == b"\xff\xfe not utf-8"
