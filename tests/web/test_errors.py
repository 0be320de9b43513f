"""An unexpected error (a bug) reaches the admin as a plain message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import httpx

from peoplesync.config import Settings
from peoplesync.jobs.tasks import build_jobs
from peoplesync.serving import ServerThread
from peoplesync.store.db import make_engine, session_factory
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext


def _crash() -> None:
    raise RuntimeError("secret internals: /srv/peoplesync/db.py line 12")


def test_a_crash_is_a_plain_500_for_pages_and_the_api(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}", queue_sqlite_path=tmp_path / "q.db"
    )
    factory = session_factory(make_engine(settings.database_url))
    app = create_app(WebContext(settings, factory, build_jobs(settings, factory)))
    app.add_api_route("/api/v1/boom", _crash)
    app.add_api_route("/boom", _crash)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        api = client.get("/api/v1/boom")
        page = client.get("/boom")
    assert api.status_code == 500
    assert api.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something broke on our side; nothing was changed by this request.",
        }
    }
    assert page.status_code == 500
    assert "Something broke on our side" in page.text
    for response in (api, page):
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
