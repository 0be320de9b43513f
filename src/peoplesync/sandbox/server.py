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

from types import TracebackType

import uvicorn

from peoplesync.sandbox.app import create_app
from peoplesync.sandbox.client import SandboxControl
from peoplesync.sandbox.clock import Clock
from peoplesync.sandbox.providers import integration as integration_of
from peoplesync.sandbox.quirks import Quirks
from peoplesync.sandbox.state import DEFAULT_API_KEY, SandboxConfig, SandboxState
from peoplesync.serving import ServerThread

DEFAULT_PORT = 8765


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
    """The sandbox on 127.0.0.1 (a free port unless `port` is given), started on `__enter__`,
    stopped on `__exit__`.

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
        integration: str | None = None,
        rate_limit_per_minute: int | None = None,
        page_latency_seconds: float = 0.0,
        sync_interval_seconds: float = 3600.0,
        quirks: Quirks | None = None,
        port: int = 0,
    ) -> None:
        """The defaults of Link-created accounts: `integration` (justworks, bamboohr, hibob),
        a request budget per minute (None: none), a latency per list page, the periodic sync
        interval, and the quirks (`peoplesync.sandbox.quirks`; None: none). `port` 0: any."""
        self.config = SandboxConfig(
            api_key=api_key,
            seed=seed,
            size=size,
            initial_sync_seconds=initial_sync_seconds,
            app_name=app_name,
            tick_seconds=tick_seconds,
            integration=integration_of(integration),
            rate_limit_per_minute=rate_limit_per_minute,
            page_latency_seconds=page_latency_seconds,
            sync_interval_seconds=sync_interval_seconds,
            quirks=quirks or Quirks(),
        )
        self.app = create_app(self.config, clock)
        self.port = port
        self._thread_server: ServerThread | None = None
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
        self._thread_server = ServerThread(self.app, port=self.port, name="sandbox-hris")
        self._thread_server.start()
        self.url = self._thread_server.url
        self._control = SandboxControl(self.url)

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._thread_server is not None:
            self._thread_server.stop()
            self._thread_server = None

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
