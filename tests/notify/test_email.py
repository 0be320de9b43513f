"""Emails to the admins: a real SMTP server gets the blocked-sync email; the embedded outbox keeps
it for the admin to read and logs it; failures are retried or recorded; rollbacks send nothing."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from structlog.testing import capture_logs

from peoplesync.accounts.service import get_account
from peoplesync.accounts.settings import add_alert as add_recipient
from peoplesync.errors import InputError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.notify.messages import Message
from peoplesync.notify.service import get_email, list_outbox
from peoplesync.notify.smtp import EmailUnavailableError, deliver_email
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Account, Person
from tests.jobs.world import TaskLog, World
from tests.notify.conftest import PASSWORD, USER, SmtpServer, free_port, start_smtp

ADMINS = ("hr.lead@acme.example", "it.ops@acme.example")


def with_smtp(world: World, smtp: SmtpServer, **extra: object) -> World:
    world.settings = world.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_sender": "peoplesync@acme.example",
            **extra,
        }
    )
    return world


def connected(world: World, sandbox: SandboxServer, company: SandboxAccount) -> int:
    account_id = world.account("Acme")
    world.connect(account_id, sandbox, company)
    world.manual_sync(account_id)
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        for address in ADMINS:
            add_recipient(session, account, address, now=world.clock())
    return account_id


def test_the_blocked_sync_email_reaches_a_real_smtp_server(
    world: World, smtp: SmtpServer, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    with_smtp(world, smtp, smtp_username=USER, smtp_password=SecretStr(PASSWORD))
    account_id = connected(world, sandbox, company)
    with unit_of_work(world.factory) as session:
        session.get_one(Account, account_id).hold_per_person = False  # the whole sync blocks
        first, second = session.scalars(
            select(Person).where(Person.account_id == account_id).order_by(Person.source_id)
        ).all()[2:4]
        birth_dates = {str(p.birth_date) for p in session.scalars(select(Person)) if p.birth_date}
    sandbox.control.swap_emails(company.account_token, str(first.source_id), str(second.source_id))

    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        run_id = jobs.syncs.from_hris(account_id, trigger="automatic").run_id
        done.wait("send_email")
    (received,) = smtp.wait(1)
    assert smtp.logins == [USER]
    assert received.mail_from == "peoplesync@acme.example"
    assert sorted(received.rcpt_tos) == sorted(ADMINS)
    message = received.message
    assert message["Subject"] == "Sync blocked to protect employee privacy (Acme)"
    assert message["To"] == ", ".join(sorted(ADMINS))
    body = message.get_content()
    assert f"run {run_id}" in body
    assert "Nothing was imported: your directory is as it was." in body
    for who in (first, second):
        assert f"{who.name} <{who.email}>" in body
    assert "email swapped with" in body
    assert "run a manual sync" in body
    assert not any(value in body for value in birth_dates)
    with unit_of_work(world.factory) as session:
        (email,) = list_outbox(session, account_id)
        assert (email.status, email.attempts, email.run_id) == ("sent", 1, run_id)
        assert email.sent_at is not None


def test_in_the_embedded_default_emails_stay_in_the_outbox_and_the_log(
    embedded: World, sandbox: SandboxServer, company: SandboxAccount
) -> None:
    world = embedded
    account_id = connected(world, sandbox, company)
    with unit_of_work(world.factory) as session:
        someone = session.scalars(select(Person).where(Person.account_id == account_id)).first()
        assert someone is not None
    token = company.account_token
    sandbox.control.rename(token, str(someone.source_id), first_name="Other", last_name="Person")
    sandbox.control.change_email(token, str(someone.source_id), "other.person@example.com")
    jobs = world.jobs()
    with capture_logs() as logs:
        jobs.syncs.from_hris(account_id, trigger="automatic")
    assert jobs.pending() == 0  # nothing to send: no SMTP server is configured
    with unit_of_work(world.factory) as session:
        (email,) = list_outbox(session, account_id)
        assert email.status == "outbox"
        assert list(email.recipients) == list(ADMINS)
        assert get_email(session, account_id, email.id).body == email.body
    (logged,) = [e for e in logs if e["event"] == "notify.email.outboxed"]
    assert logged["subject"] == email.subject
    assert "Name and Email change at once" in logged["body"]


def email_of(world: World, account_id: int, message: Message) -> int:
    jobs = world.jobs()
    with unit_of_work(world.factory) as session:
        account = get_account(session, account_id)
        add_recipient(session, account, ADMINS[0], now=world.clock())
        email = jobs.notifier.email_admins(session, account, message, now=world.clock())
        session.flush()
        return email.id


HELLO = Message("run_failed", "Sync failed (Acme)", "Hello,\n\nIt failed.")


def test_a_server_that_does_not_answer_is_retried_then_given_up(
    embedded: World, smtp: SmtpServer
) -> None:
    world = with_smtp(embedded, smtp)
    world.settings = world.settings.model_copy(update={"smtp_port": free_port()})  # nobody there
    email_id = email_of(world, world.account(), HELLO)
    with pytest.raises(EmailUnavailableError):
        deliver_email(
            world.factory, world.settings, email_id, clock=world.clock, last_attempt=False
        )
    assert deliver_email(world.factory, world.settings, email_id, clock=world.clock) == "failed"
    with unit_of_work(world.factory) as session:
        email = get_email(session, 1, email_id)
        assert (email.status, email.attempts) == ("failed", 2)
        assert "ConnectionRefusedError" in (email.error or "")


def test_a_refused_login_fails_at_once(embedded: World, smtp: SmtpServer) -> None:
    world = with_smtp(embedded, smtp, smtp_username=USER, smtp_password=SecretStr("wrong"))
    email_id = email_of(world, world.account(), HELLO)
    status = deliver_email(
        world.factory, world.settings, email_id, clock=world.clock, last_attempt=False
    )
    assert status == "failed"
    assert smtp.received == []
    with unit_of_work(world.factory) as session:
        assert "SMTP 535" in (get_email(session, 1, email_id).error or "")


def test_an_email_is_sent_once(embedded: World, smtp: SmtpServer) -> None:
    world = with_smtp(embedded, smtp)
    email_id = email_of(world, world.account(), HELLO)
    assert deliver_email(world.factory, world.settings, email_id, clock=world.clock) == "sent"
    assert deliver_email(world.factory, world.settings, email_id, clock=world.clock) == "sent"
    assert len(smtp.wait(1)) == 1


def test_the_send_task_retries_with_backoff_until_the_server_answers(world: World) -> None:
    port = free_port()  # the SMTP server is down at first
    world.settings = world.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        email_id = email_of(world, world.account(), HELLO)
        done.wait("send_email")  # the first attempt failed (and was rescheduled)
        server, controller = start_smtp(port)
        try:
            server.wait(1)
        finally:
            controller.stop()
    with unit_of_work(world.factory) as session:
        email = get_email(session, 1, email_id)
        assert email.status == "sent"
        assert email.attempts >= 2


def test_an_email_of_a_rolled_back_unit_of_work_is_never_written_nor_sent(
    embedded: World, smtp: SmtpServer
) -> None:
    world = with_smtp(embedded, smtp)
    account_id = world.account()
    jobs = world.jobs()

    def notify_then_fail() -> None:
        with unit_of_work(world.factory) as session:
            account = get_account(session, account_id)
            add_recipient(session, account, ADMINS[0], now=world.clock())
            jobs.notifier.email_admins(session, account, HELLO, now=world.clock())
            raise RuntimeError("the sync failed after all")

    with pytest.raises(RuntimeError):
        notify_then_fail()
    with unit_of_work(world.factory) as session:
        assert list_outbox(session, account_id) == []
    assert jobs.pending() == 0


def test_recipients_must_be_addresses(embedded: World) -> None:
    with unit_of_work(embedded.factory) as session:
        account = get_account(session, embedded.account())
        with pytest.raises(InputError, match="not an email address"):
            add_recipient(session, account, "not-an-address", now=embedded.clock())
        add_recipient(session, account, ADMINS[0], now=embedded.clock())
        add_recipient(session, account, ADMINS[0], now=embedded.clock())  # twice is fine
