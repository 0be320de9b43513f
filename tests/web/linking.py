"""Merge's embedded Link without a browser: what `initialize.js` and its dialog do, over HTTP.

Our consent page asks our server for a link token (CSRF-checked); the sandbox's dialog
(`/link/embedded`) links the account and hands the page a public token (its `postMessage`); the
page posts that token back to us (`.../link/done`), bound to the session and its CSRF token.
"""

from __future__ import annotations

import html
import json
import re

import httpx

from tests.web.site import csrf_of

_MESSAGE = re.compile(r"postMessage\((\{.*?\}), ")


def public_token_from_dialog(sandbox_url: str, link_token: str, origin: str) -> str:
    """Submit the sandbox's embedded Link dialog; the public token it posts to the page."""
    submitted = httpx.post(
        f"{sandbox_url}/link/embedded",
        data={"link_token": link_token, "origin": origin, "service_account_added": "yes"},
    )
    assert submitted.status_code == 200, submitted.text
    found = _MESSAGE.search(submitted.text)
    assert found is not None, submitted.text
    message = json.loads(html.unescape(found.group(1)))
    assert message["type"] == "success"
    return str(message["publicToken"])


def link_by_http(
    client: httpx.Client, sandbox_url: str, app_url: str, slug: str = "justworks"
) -> httpx.Response:
    """Continue setup -> consent -> Link (its link token, the dialog) -> onSuccess's post."""
    page = f"/settings/integrations/{slug}"
    consent = client.get(f"{page}/consent")
    assert consent.status_code == 200, consent.text
    csrf = csrf_of(consent.text)
    started = client.post(f"{page}/link", data={"csrf_token": csrf})
    assert started.status_code == 200, started.text
    public = public_token_from_dialog(sandbox_url, started.json()["link_token"], app_url)
    done = client.post(
        f"{page}/link/done",
        data={"csrf_token": csrf, "public_token": public},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return done
