"""Pages stay fast while imports run (issue 18): every GET page and API route answers while
another connection holds SQLite's write lock, as an import's apply holds it, in its one
transaction, for seconds (~6 s at 100,000 people).

A GET reads in a deferred transaction (a snapshot of the write-ahead log), which never waits for a
writer; one that opened a writer's `BEGIN IMMEDIATE`, or wrote before answering, would wait the
busy timeout (30 s) and then fail. `python -m bench.busy` measured exactly that as the tail of the
pages' times (its BEGIN columns). PostgreSQL's readers never wait for a writer, so this is
SQLite's test.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from peoplesync.web.app import all_routes
from tests.web.site import OPERATOR_TOKEN, Site
from tests.web.tenants import Tenant

ANSWER_WITHIN_SECONDS = 5.0  # far under the 30 s a waiting request would take


@pytest.fixture
def write_lock(site: Site) -> Iterator[None]:
    """Another connection holds the database's write lock (and has written) while the test
    runs, then rolls back."""
    path = make_url(site.web.settings.database_url).database
    assert path, "the site's database is a file"
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE accounts SET name = name")  # a pending write, as an apply's
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def _get_paths(tenant: Tenant) -> list[str]:
    ids = {
        "run_id": tenant.run_id,
        "person_id": tenant.person_id,
        "slug": "justworks",
        "provider": "justworks",
        "source": "merge",
        "email_id": 1,
    }
    return [
        re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        for path, route in all_routes()
        if "GET" in (route.methods or ())
    ]


def _client_for(path: str, site: Site, tenant: Tenant) -> httpx.Client:
    """The admin's browser for a page, their API token for the API, the operator's token for
    the operator's view."""
    if path == "/operator":
        client = site.client()
        client.auth = httpx.BasicAuth("operator", OPERATOR_TOKEN)
        return client
    if path == "/api/v1/operator/fleet":
        client = site.client()
        client.headers["Authorization"] = f"Bearer {OPERATOR_TOKEN}"
        return client
    return tenant.api if path.startswith("/api/") else tenant.browser


def test_every_get_answers_while_an_import_holds_the_write_lock(
    site: Site, tenants: tuple[Tenant, Tenant], write_lock: None
) -> None:
    a, _ = tenants
    assert site.web.settings.database_url.startswith("sqlite")
    slow: list[str] = []
    for path in _get_paths(a):
        client = _client_for(path, site, a)
        try:
            answer = client.get(path, timeout=ANSWER_WITHIN_SECONDS)
        except httpx.TimeoutException:
            slow.append(f"{path}: no answer within {ANSWER_WITHIN_SECONDS} s")
            continue
        if answer.status_code >= 500:
            slow.append(f"{path}: {answer.status_code}")
    assert not slow, "GETs that waited for the write lock:\n" + "\n".join(slow)


def test_a_token_s_last_use_is_noted_once_the_lock_is_free(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    """The note an API token's GET owes (at most once a minute) is written after the answer,
    so it is not lost, only later."""
    _, b = tenants
    token = site.token(b.account_id)
    assert site.api(token).get("/api/v1/account").status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the note is written just after the answer
        listed = b.browser.get("/api/v1/api-tokens").json()["tokens"]
        (mine,) = [t for t in listed if token.startswith(t["prefix"])]
        if mine["last_used_at"] is not None:
            return
        time.sleep(0.05)
    pytest.fail("the token's last use was never noted")
