"""A 49 MB CSV upload against the real app, over real HTTP, while another client asks for the
sign-in page every 10 ms: how long that other request waits at worst. Twice: a plain file, and
one with a redacted column (cut from the file before it is queued). The upload's work runs
beside the event loop, so the wait is a scheduling slice. Target: < 250 ms. SQLite, a queue
file and no consumer (what is measured is the request, not the plan).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bench.databases import sqlite_file
from bench.engine import NOW
from peoplesync.access import service as access
from peoplesync.accounts.redaction import redact
from peoplesync.accounts.service import create_account
from peoplesync.config import Settings
from peoplesync.jobs.tasks import build_jobs
from peoplesync.serving import ServerThread, free_port
from peoplesync.store.db import migrate, session_factory, unit_of_work
from peoplesync.web.app import create_app
from peoplesync.web.context import WebContext

TARGET_MS = 250.0
SIZE = 49 * 1024 * 1024
ROW = b"Ann Lee,ann.lee@bench.example,F\n"


def longest_wait(url: str, token: str) -> tuple[float, float, int]:
    """(the upload's seconds, the other request's longest wait in ms, its number of requests)."""
    data = b"Name,Email,Gender\n" + ROW * (SIZE // len(ROW))
    uploader = threading.Thread(
        target=lambda: httpx.post(
            f"{url}/api/v1/syncs/csv",
            files={"file": ("big.csv", data, "text/csv")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        ).raise_for_status()
    )
    waits: list[float] = []
    with httpx.Client(base_url=url, timeout=300) as other:
        other.get("/login")
        started = time.perf_counter()
        uploader.start()
        while uploader.is_alive():
            asked = time.perf_counter()
            other.get("/login").raise_for_status()
            waits.append(time.perf_counter() - asked)
            time.sleep(0.01)
        took = time.perf_counter() - started
    uploader.join()
    return took, max(waits) * 1000, len(waits)


def main() -> None:
    with sqlite_file() as engine, tempfile.TemporaryDirectory() as tmp:
        migrate(engine)
        factory = session_factory(engine)
        port = free_port()
        settings = Settings(
            database_url=str(engine.url),
            secret_key=SecretStr(Fernet.generate_key().decode()),
            queue_sqlite_path=Path(tmp) / "queue.db",
            base_url=f"http://127.0.0.1:{port}",
        )
        web = WebContext(settings=settings, factory=factory, jobs=build_jobs(settings, factory))
        with ServerThread(create_app(web), port=port, name="peoplesync-upload-bench") as server:
            for redacted in (False, True):
                with unit_of_work(factory) as session:
                    account = create_account(session, f"bench {redacted}", now=NOW)
                    if redacted:
                        redact(session, account, ["Gender"], now=NOW, actor="bench")
                    token, _ = access.create_api_token(
                        session, account, name="bench", actor="bench", now=NOW
                    )
                took, worst, asked = longest_wait(server.url, token)
                kind = "with a redacted column" if redacted else "plain"
                verdict = "ok" if worst < TARGET_MS else "SLOW"
                print(
                    f"49 MB upload, {kind}: answered in {took:5.2f} s; another request's "
                    f"longest wait {worst:6.1f} ms over {asked} requests "
                    f"(target < {TARGET_MS:.0f} ms: {verdict})"
                )
