"""Outgoing webhooks: "run finished", HMAC-SHA256 signed, retried with backoff by the queue;
sent only after the commit; carrying no person's data."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from peoplesync.accounts.service import get_account
from peoplesync.cli.demo import sample_path
from peoplesync.errors import ConflictError, InputError
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.service import request_apply, request_csv_plan
from peoplesync.notify.webhooks import (
    SIGNATURE_HEADER,
    WebhookUnavailableError,
    add_endpoint,
    deliver_webhook,
    list_endpoints,
    queue_run_finished,
)
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import SyncRun, WebhookDelivery, WebhookEndpoint
from tests.jobs.world import TaskLog, World, wait_for


class Receiver:
    """A real HTTP endpoint that answers with the statuses it is given, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        receiver = self
        self.statuses = statuses
        self.got: list[tuple[bytes, dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.got.append((body, dict(self.headers.items())))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/peoplesync"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    found = Receiver([503, 503])
    yield found
    found.close()


def endpoint(world: World, account_id: int, url: str) -> str:
    with unit_of_work(world.factory) as session:
        added = add_endpoint(
            session, get_account(session, account_id), url, box=world.box, now=world.clock()
        )
    return added.secret


def test_run_finished_is_signed_and_retried_until_delivered(world: World, flaky: Receiver) -> None:
    account_id = world.account()
    secret = endpoint(world, account_id, flaky.url)
    jobs = world.jobs()
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=2, periodic=False):
        with unit_of_work(world.factory) as session:
            account = get_account(session, account_id)
            data = sample_path("acme-1.csv").read_bytes()
            request_csv_plan(session, jobs, account, data, source_name="a.csv", actor="x")
        done.wait("plan_file")
        (run,) = world.runs(account_id)
        assert run.state == "awaiting_review"  # not finished: no webhook yet
        with unit_of_work(world.factory) as session:
            request_apply(session, jobs, get_account(session, account_id), run.id, actor="x")
        done.wait("apply_plan")
        wait_for(lambda: len(flaky.got) >= 3, what="two failures and a delivery")
    bodies = {body for body, _ in flaky.got}
    assert len(bodies) == 1  # every retry sends the same bytes
    body, headers = flaky.got[-1]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    assert headers["X-Peoplesync-Event"] == "run.finished"
    payload = json.loads(body)
    assert payload["run"]["id"] == run.id
    assert payload["run"]["state"] == "succeeded"
    assert payload["run"]["counts"]["create"] == 16
    assert "@acme.example" not in body.decode()  # states and counts, no person's data
    with unit_of_work(world.factory) as session:
        (delivery,) = session.scalars(select(WebhookDelivery)).all()
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)


def deliveries_for_a_finished_run(world: World, url: str) -> tuple[int, list[int]]:
    account_id = world.account()
    endpoint(world, account_id, url)
    with unit_of_work(world.factory) as session:
        run = SyncRun(
            account_id=account_id,
            trigger="manual",
            source_kind="csv",
            state="succeeded",
            counts={"create": 1},
            issues=[],
            findings=[],
            confirmations=[],
            timings={},
            progress={},
            created_at=world.clock(),
        )
        session.add(run)
        session.flush()
        return account_id, queue_run_finished(session, run, now=world.clock())


def test_a_4xx_fails_the_delivery_at_once(embedded: World) -> None:
    gone = Receiver([410])
    try:
        _, (delivery_id,) = deliveries_for_a_finished_run(embedded, gone.url)
        state = deliver_webhook(
            embedded.factory, embedded.box, delivery_id, clock=embedded.clock, last_attempt=False
        )
    finally:
        gone.close()
    assert state == "failed"


def test_an_unreachable_endpoint_is_retried_then_given_up(embedded: World) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    _, (delivery_id,) = deliveries_for_a_finished_run(embedded, "https://hooks.acme.example/x")
    transport = httpx.MockTransport(refuse)
    args = (embedded.factory, embedded.box, delivery_id)
    with pytest.raises(WebhookUnavailableError):
        deliver_webhook(*args, clock=embedded.clock, transport=transport, last_attempt=False)
    assert deliver_webhook(*args, clock=embedded.clock, transport=transport) == "failed"
    with unit_of_work(embedded.factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        assert (delivery.attempts, delivery.status) == (2, "failed")
        assert "ConnectError" in (delivery.error or "")


def test_endpoints_are_validated_and_their_secrets_sealed(embedded: World) -> None:
    account_id = embedded.account()
    secret = endpoint(embedded, account_id, "https://hooks.acme.example/peoplesync")
    with unit_of_work(embedded.factory) as session:
        account = get_account(session, account_id)
        for bad in ("ftp://x.example/", "not a url", "https://"):
            with pytest.raises(InputError):
                add_endpoint(session, account, bad, box=embedded.box, now=embedded.clock())
        with pytest.raises(ConflictError):
            add_endpoint(
                session,
                account,
                "https://hooks.acme.example/peoplesync",
                box=embedded.box,
                now=embedded.clock(),
            )
        (found,) = list_endpoints(session, account_id)
        stored = session.scalar(select(WebhookEndpoint.secret_encrypted))
    assert secret.encode() not in (stored or b"")
    assert embedded.box.open(found.secret_encrypted) == secret
