"""Helpers for the sandbox tests: an authenticated HRIS client and a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx

Json = dict[str, Any]
T = TypeVar("T")


class Hris:
    """Calls one linked account of the sandbox the way our Merge client does."""

    def __init__(self, base_url: str, api_key: str, account_token: str) -> None:
        self.token = account_token
        self.http = httpx.Client(
            base_url=f"{base_url}/hris/v1",
            headers={"Authorization": f"Bearer {api_key}", "X-Account-Token": account_token},
            timeout=30,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def walk(self, path: str = "/employees", **params: Any) -> tuple[list[Json], int]:
        """Every record of a list endpoint, following `next`; and the number of pages."""
        records: list[Json] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = self.json(path, **params, **({"cursor": cursor} if cursor else {}))
            pages += 1
            records.extend(page["results"])
            cursor = page["next"]
            if cursor is None:
                return records, pages


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    """A tiny local HTTP server that records every POST it receives."""

    status: int = 200
    deliveries: list[Delivery] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/merge"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.deliveries.append(Delivery(body, dict(self.headers.items())))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        return wait_until(
            lambda: self.deliveries if len(self.deliveries) >= count else None, timeout
        )


def wait_until(probe: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll `probe` until it returns something (not None), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.02)
    raise AssertionError(f"nothing happened within {timeout} s")
