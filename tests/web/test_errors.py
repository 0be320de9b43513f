"""An unexpected error (a bug) reaches the admin as a plain message, never a traceback."""

from __future__ import annotations

from unittest.mock import sentinel

import httpx

from peoplesync.serving import ServerThread
from peoplesync.web.app import create_app


def _crash() -> None:
    raise RuntimeError("secret internals: /srv/peoplesync/db.py line 12")


def test_a_crash_is_a_plain_500_for_pages_and_the_api() -> None:
    app = create_app(sentinel.unused)  # the two routes added below use no context
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
