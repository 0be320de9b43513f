"""What every answer carries and how the server holds up, over real HTTP: a big upload does not
stall everyone else's requests; nothing with personal data may be cached; forms may post only to
this site and Merge Link; a body that is too large gets the error shape of its room."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from peoplesync.access import service as access
from peoplesync.accounts.redaction import redact
from peoplesync.accounts.service import create_account
from peoplesync.config import Settings
from peoplesync.jobs.tasks import build_jobs
from peoplesync.serving import ServerThread
from peoplesync.sources.merge.client import MERGE_REGIONS
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.web.app import MAX_BODY_BYTES, create_app
from peoplesync.web.context import WebContext, link_api_base_url, link_origins, link_script_url
from tests.web.site import Site, now
from tests.web.tenants import Tenant

UPLOAD_MB = 40  # its reading takes seconds; a request beside it, a fraction of one


@pytest.fixture
def no_worker(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app with a queue and no consumer (an upload's plan never runs): (URL, API token)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        secret_key=SecretStr(Fernet.generate_key().decode()),
        queue_sqlite_path=tmp_path / "queue.db",
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        account = create_account(session, "Stall", now=now())
        redact(session, account, ["Gender"], now=now(), actor="test")
        token, _ = access.create_api_token(session, account, name="t", actor="t", now=now())
    web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
    try:
        with ServerThread(create_app(web)) as server:
            yield server.url, token
    finally:
        engine.dispose()


def test_a_big_upload_does_not_stall_other_requests(no_worker: tuple[str, str]) -> None:
    """The upload's own work (reading it, cutting its redacted column, queueing it) runs beside
    the event loop: a request meanwhile waits a scheduling slice, not the upload's seconds."""
    url, token = no_worker
    row = b"Ann Lee,ann.lee@acme.example,F\n"
    data = b"Name,Email,Gender\n" + row * (UPLOAD_MB * 1024 * 1024 // len(row))
    answered: list[int] = []

    def upload() -> None:
        sent = httpx.post(
            f"{url}/api/v1/syncs/csv",
            files={"file": ("big.csv", data, "text/csv")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        answered.append(sent.status_code)

    uploader = threading.Thread(target=upload)
    waits = []
    with httpx.Client(base_url=url, timeout=60) as other:
        other.get("/login")  # connected before the upload starts
        started = time.perf_counter()
        uploader.start()
        while uploader.is_alive():
            asked = time.perf_counter()
            assert other.get("/login").status_code == 200
            waits.append(time.perf_counter() - asked)
            time.sleep(0.01)
        took = time.perf_counter() - started
    uploader.join()
    assert answered == [202]
    assert took > 1.0, "the upload was too quick to tell anything"
    # Stalled, a request waited about the upload's whole time; beside the loop, a slice of it.
    # Relative to the upload's time, not an absolute second: a loaded host stretches both.
    assert max(waits) < took / 2, (max(waits), took)


def test_pages_and_api_answers_are_never_cached(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    for response in (
        a.browser.get(f"/users/{a.person_id}"),
        a.browser.get("/users"),
        a.api.get("/api/v1/people"),
        a.api.get(f"/api/v1/people/{a.person_id}"),
        a.api.get("/api/v1/nothing-here"),  # errors too: they can name people
        a.browser.get("/login"),
    ):
        assert response.headers.get("cache-control") == "no-store", response.url
    static = a.browser.get("/static/app.css")
    assert static.status_code == 200
    assert static.headers.get("cache-control") != "no-store"  # no personal data: cacheable


def test_forms_post_here_only_and_scripts_come_from_here_and_merge_link(site: Site) -> None:
    policy = site.client().get("/login").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    link = urlsplit(site.web.link_script_url)
    assert link.path == "/link/initialize.js"  # the sandbox's stand-in (no merge.dev base URL)
    here_and_link = ["'self'", f"{link.scheme}://{link.netloc}"]
    assert directives["form-action"].split() == ["'self'"]
    assert directives["script-src"].split() == here_and_link
    assert directives["frame-src"].split() == here_and_link


def test_link_loads_from_merges_cdn_in_every_region() -> None:
    for base in ("https://api.merge.dev/api", "https://api-eu.merge.dev/api"):
        settings = Settings(merge_base_url=base)
        assert link_script_url(settings) == "https://cdn.merge.dev/initialize.js"
        assert link_origins(settings) == ("https://cdn.merge.dev", "https://*.merge.dev")
    regions = {
        region: link_api_base_url(Settings(merge_base_url=url))
        for region, url in MERGE_REGIONS.items()
    }
    assert regions == {
        "us": None,
        "eu": "https://api-eu.merge.dev",
        "apac": "https://api-ap.merge.dev",
    }
    own = Settings(merge_link_script_url="https://link.example/initialize.js")
    assert link_script_url(own) == "https://link.example/initialize.js"


def test_a_body_too_large_gets_the_error_shape_of_its_room(site: Site) -> None:
    api = site.api(site.token(site.account("Sigma")))
    huge = b"x" * (MAX_BODY_BYTES + 1)
    refused = api.post("/api/v1/syncs/csv", files={"file": ("huge.csv", huge, "text/csv")})
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "too_large"
    assert "64 MB" in error["message"]
    page = site.client().post("/sync/csv", content=huge, headers={"content-type": "text/csv"})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "64 MB" in page.text

    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n'
        for _ in range(MAX_BODY_BYTES // (1024 * 1024) + 2):
            yield b"x" * (1024 * 1024)

    streamed = api.post(  # no Content-Length: counted as it arrives
        "/api/v1/syncs/csv",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "too_large"
