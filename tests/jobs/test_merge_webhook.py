"""Merge's webhooks: the signature is checked in constant time, with or without padding; a bad
one is refused and starts nothing; `LinkedAccount.sync_completed` starts an automatic sync —
end to end from the sandbox HRIS, through a receiver playing the web route, to the worker. A
delivery replayed starts nothing more (remembered in the database, across restarts), and one
whose sync finished long ago is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from peoplesync.accounts.service import get_account
from peoplesync.errors import ConfigError, InputError, PeoplesyncError
from peoplesync.jobs.merge_webhook import (
    DELIVERY_MEMORY,
    MAX_DELIVERY_AGE,
    SIGNATURE_HEADER,
    WebhookSignatureError,
    WebhookStaleError,
    handle_merge_webhook,
    signature_ok,
)
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.tasks import Jobs
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import make_engine, session_factory, unit_of_work
from tests.jobs.fixtures import COMPANY_SIZE
from tests.jobs.world import TaskLog, World, wait_for

KEY = "merge-signing-key"


def signed(body: bytes, key: str = KEY, *, padding: bool = False) -> str:
    digest = base64.urlsafe_b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest())
    text = digest.decode()
    return text if padding else text.rstrip("=")


def envelope(
    linked_account_id: str,
    event: str = "LinkedAccount.sync_completed",
    *,
    finished: datetime | None = None,
) -> bytes:
    """A delivery; `finished` is when Merge's sync of employees finished (none: not said)."""
    status = {}
    if finished is not None:
        moment = finished.isoformat().replace("+00:00", "Z")
        status["hris.Employee"] = {"last_sync_result": "DONE", "last_sync_finished": moment}
    body = {
        "hook": {"id": "h1", "event": event, "target": "https://peoplesync.test/hooks/merge"},
        "linked_account": {"id": linked_account_id, "integration": "Justworks"},
        "data": {"is_initial_sync": False, "sync_status": status},
    }
    return json.dumps(body).encode()


def test_signatures_with_and_without_padding() -> None:
    body = b'{"hook": {"event": "x"}}'
    assert signature_ok(KEY, body, signed(body))
    assert signature_ok(KEY, body, signed(body, padding=True))
    assert not signature_ok(KEY, body, signed(body, "another key"))
    assert not signature_ok(KEY, body + b" ", signed(body))
    assert not signature_ok(KEY, body, None)
    assert not signature_ok(KEY, body, "")
    standard = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()
    if standard.rstrip("=") != signed(body):  # base64, not base64url: only equal by chance
        assert not signature_ok(KEY, body, standard)


def deliver(
    world: World, jobs: Jobs, body: bytes, signature: str | None, *, factory: Any = None
) -> str:
    """What the web route does: one unit of work around the handler."""
    with unit_of_work(factory or world.factory) as session:
        outcome = handle_merge_webhook(
            body,
            signature,
            session=session,
            settings=world.settings,
            enqueue_sync=jobs.enqueue_sync,
            now=world.clock(),
        )
    return outcome.action


@pytest.fixture
def linked(world: World, sandbox: SandboxServer, company: SandboxAccount) -> int:
    account_id = world.account()
    world.connect(account_id, sandbox, company)
    with unit_of_work(world.factory) as session:
        get_account(session, account_id).auto_sync_enabled = True
    return account_id


def test_a_bad_signature_is_refused_and_starts_nothing(
    world: World, company: SandboxAccount, linked: int
) -> None:
    jobs = world.jobs()
    body = envelope(company.linked_account_id)
    for signature in (None, "", signed(body, "not the key"), signed(body + b"x")):
        with pytest.raises(WebhookSignatureError):
            deliver(world, jobs, body, signature)
    with pytest.raises(WebhookSignatureError):
        deliver(world, jobs, b"not even json", "forged")
    assert jobs.pending() == 0
    assert world.runs(linked) == []


def test_a_good_signature_enqueues_an_automatic_sync(
    world: World, company: SandboxAccount, linked: int
) -> None:
    jobs = world.jobs()
    body = envelope(company.linked_account_id)
    assert deliver(world, jobs, body, signed(body, padding=True)) == "sync_enqueued"
    assert jobs.pending() == 1


def test_what_is_acknowledged_and_ignored(
    world: World, company: SandboxAccount, linked: int
) -> None:
    jobs = world.jobs()
    other_event = envelope(company.linked_account_id, "Employee.changed")
    unknown = envelope("someone-else")
    ping = json.dumps({"response": "Success! This URL will be notified."}).encode()
    for body in (other_event, unknown, ping):
        assert deliver(world, jobs, body, signed(body)) == "ignored"
    with unit_of_work(world.factory) as session:
        get_account(session, linked).auto_sync_enabled = False
    body = envelope(company.linked_account_id)
    assert deliver(world, jobs, body, signed(body)) == "ignored"
    assert jobs.pending() == 0
    with pytest.raises(InputError):
        deliver(world, jobs, b"[1, 2", signed(b"[1, 2"))


def test_a_replayed_delivery_starts_no_second_sync_even_after_a_restart(
    world: World, company: SandboxAccount, linked: int
) -> None:
    jobs = world.jobs()
    body = envelope(company.linked_account_id, finished=world.clock() - timedelta(minutes=2))
    assert deliver(world, jobs, body, signed(body)) == "sync_enqueued"
    assert deliver(world, jobs, body, signed(body)) == "ignored"
    assert deliver(world, jobs, body, signed(body, padding=True)) == "ignored"  # same delivery
    restarted = make_engine(world.db.url)  # another process: only the database remembers
    try:
        assert deliver(world, jobs, body, signed(body), factory=session_factory(restarted)) == (
            "ignored"
        )
    finally:
        restarted.dispose()
    assert jobs.pending() == 1
    world.clock.advance(seconds=DELIVERY_MEMORY.total_seconds() + 60)
    with pytest.raises(WebhookStaleError):  # forgotten by now, but far too old to act on
        deliver(world, jobs, body, signed(body))
    assert jobs.pending() == 1
    assert world.runs(linked) == []


def test_a_delivery_whose_sync_finished_long_ago_is_refused(
    world: World, company: SandboxAccount, linked: int
) -> None:
    jobs = world.jobs()
    old = envelope(company.linked_account_id, finished=world.clock() - MAX_DELIVERY_AGE * 2)
    with pytest.raises(WebhookStaleError) as refused:
        deliver(world, jobs, old, signed(old))
    assert refused.value.http_status == 403
    assert refused.value.code == "stale_delivery"
    fresh = envelope(company.linked_account_id, finished=world.clock() - timedelta(minutes=1))
    assert deliver(world, jobs, fresh, signed(fresh)) == "sync_enqueued"  # a new sync: acted on
    assert jobs.pending() == 1


def test_without_a_key_webhooks_are_refused(embedded: World) -> None:
    settings = embedded.settings.model_copy(update={"merge_webhook_key": None})
    with unit_of_work(embedded.factory) as session, pytest.raises(ConfigError):
        handle_merge_webhook(
            b"{}",
            "x",
            session=session,
            settings=settings,
            enqueue_sync=lambda *_: None,
            now=embedded.clock(),
        )


class Route:
    """A tiny HTTP server playing the web app's webhook route over real HTTP."""

    def __init__(self, world: World, jobs: Jobs) -> None:
        route = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reply: dict[str, object]
                try:
                    action = deliver(world, jobs, body, self.headers.get(SIGNATURE_HEADER))
                    status, reply = 200, {"action": action}
                except PeoplesyncError as err:
                    status, reply = err.http_status, err.to_dict()
                route.statuses.append(status)
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: object) -> None:
                return None

        self.statuses: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/merge"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Route:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def route(world: World) -> Iterator[tuple[Route, Jobs]]:
    jobs = world.jobs()
    with Route(world, jobs) as found:
        yield found, jobs


def test_sync_completed_from_the_sandbox_runs_an_automatic_sync(
    world: World,
    sandbox: SandboxServer,
    company: SandboxAccount,
    linked: int,
    route: tuple[Route, Jobs],
) -> None:
    receiver, jobs = route
    token = company.account_token
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        sandbox.control.register_webhook(token, receiver.url, "a forged key", retry_delays=())
        sandbox.control.send_sync_completed(token)
        wait_for(lambda: receiver.statuses, what="the forged delivery")
        assert receiver.statuses == [403]

        sandbox.control.register_webhook(token, receiver.url, KEY, padding=True, retry_delays=())
        sandbox.control.send_sync_completed(token)
        done.wait("sync_account")
    assert receiver.statuses == [403, 200]
    (run,) = world.runs(linked)
    assert (run.trigger, run.state) == ("webhook", "succeeded")
    assert world.people_count(linked) == COMPANY_SIZE
