"""A running peoplesync for the web tests: a migrated SQLite file, the real queue with an
in-process consumer, the sandbox HRIS, and the app served by uvicorn on a free port.

    site.account("Acme")                       -> account id
    site.login(account_id, "a@x.example")      -> a signed-in httpx client (`.csrf` on it)
    site.token(account_id)                     -> an API token
    site.client(address="127.0.0.2")           -> a client calling from another loopback address
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.jobs.queue import InProcessConsumer
from peoplesync.jobs.tasks import build_jobs
from peoplesync.sandbox import SandboxServer
from peoplesync.serving import ServerThread, free_port
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

PASSWORD = "correct horse battery staple"
WEBHOOK_KEY = "merge-webhook-test-key"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def now() -> datetime:
    return datetime.now(UTC)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise AssertionError("the page has no CSRF field")
    return found.group(1)


@dataclass
class Site:
    url: str
    web: WebContext
    sandbox: SandboxServer
    web_app: FastAPI
    clients: list[httpx.Client] = field(default_factory=list)

    def account(self, name: str) -> int:
        with unit_of_work(self.web.factory) as session:
            return create_account(session, name, now=now()).id

    def add_login(
        self,
        account_id: int,
        email: str,
        *,
        role: Role = Role.ADMIN,
        person_id: str | None = None,
        password: str = PASSWORD,
    ) -> None:
        with unit_of_work(self.web.factory) as session:
            access.create_login(
                session,
                get_account(session, account_id),
                email=email,
                name=email.split("@", maxsplit=1)[0],
                password=password,
                role=role,
                now=now(),
                person_id=person_id,
            )

    def account_name(self, account_id: int) -> str:
        with unit_of_work(self.web.factory) as session:
            return get_account(session, account_id).name

    def client(self, *, address: str | None = None) -> httpx.Client:
        """A client; `address` (any of 127.0.0.0/8) is the address the server sees it call from."""
        transport = httpx.HTTPTransport(local_address=address) if address else None
        client = httpx.Client(base_url=self.url, timeout=30, transport=transport)
        self.clients.append(client)
        return client

    def sign_in(
        self,
        client: httpx.Client,
        account: str,
        email: str,
        password: str = PASSWORD,
    ) -> httpx.Response:
        """Post the sign-in form (with its CSRF token) as a browser would."""
        form = client.get("/login")
        return client.post(
            "/login",
            data={
                "account": account,
                "email": email,
                "password": password,
                "csrf_token": csrf_of(form.text),
            },
        )

    def login(
        self,
        account_id: int,
        email: str,
        *,
        role: Role = Role.ADMIN,
        person_id: str | None = None,
    ) -> httpx.Client:
        """A new login, signed in through the login form: the client carries its cookie and
        `client.headers['X-CSRF-Token']` (the session's token, as the pages' forms carry it)."""
        self.add_login(account_id, email, role=role, person_id=person_id)
        client = self.client()
        response = self.sign_in(client, self.account_name(account_id), email)
        assert response.status_code == 303, response.text
        home = client.get("/", follow_redirects=True)  # every page has the sign-out form
        client.headers["X-CSRF-Token"] = csrf_of(home.text)
        return client

    def token(self, account_id: int) -> str:
        with unit_of_work(self.web.factory) as session:
            plain, _ = access.create_api_token(
                session, get_account(session, account_id), name="test", actor="test", now=now()
            )
        return plain

    def api(self, token: str) -> httpx.Client:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {token}"
        return client


OPERATOR_TOKEN = "operator-token-for-the-tests-0123456789"


@contextmanager
def running_site(
    folder: Path, *, company_size: int = 40, database_url: str | None = None
) -> Iterator[Site]:
    """The site on a SQLite file in `folder`, or on the (migrated) database at `database_url`."""
    with SandboxServer(size=company_size, seed=11, initial_sync_seconds=3.0) as sandbox:
        port = free_port()
        settings = Settings(
            database_url=database_url or f"sqlite:///{folder / 'web.db'}",
            secret_key=SecretStr(Fernet.generate_key().decode()),
            queue_sqlite_path=folder / "queue.db",
            merge_api_key=SecretStr(sandbox.api_key),
            merge_base_url=sandbox.base_url,
            merge_webhook_key=SecretStr(WEBHOOK_KEY),
            base_url=f"http://127.0.0.1:{port}",
            operator_token=SecretStr(OPERATOR_TOKEN),
        )
        engine = make_engine(settings.database_url)
        migrate(engine)
        factory = session_factory(engine)
        web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
        app = create_app(web)
        site = Site(url=settings.base_url, web=web, sandbox=sandbox, web_app=app)
        try:
            with (
                InProcessConsumer(web.jobs.huey, workers=2, periodic=False),
                ServerThread(app, port=port, name="peoplesync-web-test"),
            ):
                yield site
        finally:
            for client in site.clients:
                client.close()
            engine.dispose()
