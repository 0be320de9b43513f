"""Running the sandbox HRIS: `run` (blocking, for `peoplesync sandbox`) and `SandboxServer`
(a real uvicorn server on a free 127.0.0.1 port in a background thread, for tests, benchmarks and
the demo).

    with SandboxServer(size=500) as sandbox:
        token = sandbox.control.create_company(seed=7, size=500).account_token
        client = httpx.Client(base_url=sandbox.base_url)     # ends in /api, like Merge's
        client.get("/hris/v1/employees", headers={"Authorization": f"Bearer {sandbox.api_key}",
                                                  "X-Account-Token": token})
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from peoplesync.sandbox.app import create_app
from peoplesync.sandbox.client import SandboxControl
from peoplesync.sandbox.clock import Clock
from peoplesync.sandbox.state import DEFAULT_API_KEY, SandboxConfig, SandboxState

DEFAULT_PORT = 8765
STARTUP_TIMEOUT_SECONDS = 15.0


def run(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    seed: int = 1,
    size: int = 200,
    api_key: str = DEFAULT_API_KEY,
    initial_sync_seconds: float = 3.0,
    app_name: str = "peoplesync",
) -> None:
    """Serve the sandbox until interrupted. Link flows connect the `(seed, size)` company."""
    config = SandboxConfig(
        api_key=api_key,
        seed=seed,
        size=size,
        initial_sync_seconds=initial_sync_seconds,
        app_name=app_name,
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)


class SandboxServer:
    """The sandbox on a free port of 127.0.0.1, started on `__enter__`, stopped on `__exit__`.

    `url` is the root (`http://127.0.0.1:<port>`), `base_url` is Merge's base URL (`<url>/api`),
    `control` a typed client of the control API, `state` the live state (read it only).
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        size: int = 200,
        api_key: str = DEFAULT_API_KEY,
        initial_sync_seconds: float = 3.0,
        app_name: str = "peoplesync",
        clock: Clock | None = None,
        tick_seconds: float = 0.05,
    ) -> None:
        self.config = SandboxConfig(
            api_key=api_key,
            seed=seed,
            size=size,
            initial_sync_seconds=initial_sync_seconds,
            app_name=app_name,
            tick_seconds=tick_seconds,
        )
        self.app = create_app(self.config, clock)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""
        self._control: SandboxControl | None = None

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def base_url(self) -> str:
        return f"{self.url}/api"

    @property
    def state(self) -> SandboxState:
        state = self.app.state.sandbox
        if not isinstance(state, SandboxState):
            raise TypeError("the app has no sandbox state")
        return state

    @property
    def control(self) -> SandboxControl:
        if self._control is None:
            raise RuntimeError("the sandbox server is not running")
        return self._control

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-hris", daemon=True
        )
        self._thread.start()
        self._wait_until_started(server)
        self._control = SandboxControl(self.url)

    def _wait_until_started(self, server: uvicorn.Server) -> None:
        started = threading.Event()
        deadline = STARTUP_TIMEOUT_SECONDS
        while not server.started and deadline > 0:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("the sandbox server stopped while starting")
            started.wait(0.01)
            deadline -= 0.01
        if not server.started:
            self.stop()
            raise RuntimeError("the sandbox server did not start in time")

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
