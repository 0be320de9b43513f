"""The embedded-Link stand-in in a real browser: a page of another origin loads the sandbox's
initialize.js, opens Link, and gets the public token in onSuccess (or onExit when closed)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from peoplesync.sandbox import SandboxServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>host</title>
<script src="{script}"></script></head><body>
<button id="open">Continue setup</button>
<script>
  window.outcome = null;
  MergeLink.initialize({{
    linkToken: {token},
    tenantConfig: {{apiBaseURL: "https://api-eu.merge.dev"}},
    onSuccess: function (publicToken, info) {{
      window.outcome = {{publicToken: publicToken, info: info}};
    }},
    onExit: function () {{ window.outcome = "exit"; }},
    onReady: function () {{ window.ready = true; }}
  }});
  document.getElementById("open").addEventListener("click", function () {{
    MergeLink.openLink();
  }});
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"the browser tests need the system's Chromium at {CHROMIUM}"
        if os.environ.get("PEOPLESYNC_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield found
        finally:
            found.close()


class Host:
    """A page on its own origin (another port) that embeds Link, like our app's page."""

    def __init__(self) -> None:
        self.html = ""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = host.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/connect"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host() -> Iterator[Host]:
    found = Host()
    yield found
    found.close()


def open_link(sandbox: SandboxServer, host: Host, page: Page, origin_id: str) -> None:
    token = httpx.post(
        f"{sandbox.base_url}/hris/v1/link-token",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        json={
            "end_user_origin_id": origin_id,
            "end_user_organization_name": "Browser Inc",
            "end_user_email_address": "hr@browser.example.com",
            "categories": ["hris"],
            "integration": "justworks",
        },
    ).json()["link_token"]
    host.html = HOST_PAGE.format(
        script=f"{sandbox.url}/link/initialize.js", token=json.dumps(token)
    )
    page.goto(host.url)
    page.wait_for_function("window.ready === true")
    page.click("#open")


def test_open_link_hands_the_public_token_to_on_success(
    sandbox: SandboxServer, host: Host, browser: Browser
) -> None:
    page = browser.new_page()
    open_link(sandbox, host, page, "browser-success")
    frame = page.frame_locator("#merge-link-frame")
    frame.get_by_text("Connect your Justworks account").wait_for()
    frame.get_by_text("https://api-eu.merge.dev").wait_for()  # tenantConfig reached Link
    frame.locator("input[name=service_account_added]").check()
    frame.get_by_role("button", name="Submit").click()
    page.wait_for_function("window.outcome !== null")
    outcome = page.evaluate("window.outcome")
    assert outcome["info"] == {"isTokenForOtherPreexistingLinkedAccount": False}
    assert page.locator("#merge-link-overlay").count() == 0  # the dialog closed
    exchanged = httpx.get(
        f"{sandbox.base_url}/hris/v1/account-token/{outcome['publicToken']}",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    assert exchanged.status_code == 200
    assert exchanged.json()["integration"]["name"] == "Justworks"
    page.close()


def test_closing_link_calls_on_exit(sandbox: SandboxServer, host: Host, browser: Browser) -> None:
    page = browser.new_page()
    open_link(sandbox, host, page, "browser-exit")
    page.frame_locator("#merge-link-frame").locator("#merge-link-close").click()
    page.wait_for_function("window.outcome !== null")
    assert page.evaluate("window.outcome") == "exit"
    assert page.locator("#merge-link-frame").count() == 0
    page.close()
