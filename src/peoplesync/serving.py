"""uvicorn, for `peoplesync serve` (`serve`) and in a background thread (`ServerThread`: the
sandbox, the web app in `make run`, tests).

with ServerThread(app) as server:       # port 0: a free port of 127.0.0.1
    httpx.get(server.url + "/")

uvicorn's access log records each request's path with its query string, and query strings
carry what must not be kept: Merge Link returns with its `public_token` in the query, and a
search (`?q=`) is often a person's name. So the access log keeps each parameter's name but never
its value (`scrub_query`), whatever the route: no list of sensitive paths to keep up to date.
"""

from __future__ import annotations

import copy
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

STARTUP_TIMEOUT_SECONDS = 15.0
REDACTED = "[redacted]"


def scrub_query(path: str) -> str:
    """`/x?public_token=abc&state=d` -> `/x?public_token=[redacted]&state=[redacted]`."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    parts = (part.partition("=") for part in query.split("&"))
    return base + "?" + "&".join(f"{name}={REDACTED}" if eq else name for name, eq, _ in parts)


class NoQueryValues(logging.Filter):
    """On uvicorn's access log: its record's args are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], scrub_query(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with NoQueryValues on the access log."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["no_query_values"] = {"()": NoQueryValues}
    config["handlers"]["access"]["filters"] = ["no_query_values"]
    return config


def serve(app: Any, *, host: str, port: int) -> None:
    """Serve until Ctrl-C, with the access log (query values left out)."""
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=log_config())


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for a server that must know its address before it starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "http-server",
        access_log: bool = False,
    ) -> None:
        self.app = app
        self.host, self.port, self.name = host, port, name
        self.access_log = access_log
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> None:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets marked TCP; without it
        # every kept-alive response waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self._socket = sock
        self.url = f"http://{self.host}:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.app,
            log_level="info" if self.access_log else "warning",
            access_log=self.access_log,
            log_config=log_config(),
            lifespan="on",
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {self.name} server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Shut down gracefully (10 s), then by force; the listening socket is closed only once
        the server's thread has let go of it (closing it under a shutdown still running makes
        that shutdown fail on a closed file descriptor)."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout=10)
        if self._socket is not None and (thread is None or not thread.is_alive()):
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
