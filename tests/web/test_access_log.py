"""`peoplesync serve` writes uvicorn's access log, which records every request's path and query:
no query value reaches it (the Link return URL carries Merge's public token, a search a name)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from peoplesync.serving import free_port, scrub_query

PUBLIC_TOKEN = "pt-do-not-log-0123456789"


def test_query_values_are_left_out_but_their_names_kept() -> None:
    assert scrub_query("/a/callback?public_token=x&state=y") == (
        "/a/callback?public_token=[redacted]&state=[redacted]"
    )
    assert scrub_query("/users") == "/users"
    assert scrub_query("/users?q=Ann%20Lee&flag") == "/users?q=[redacted]&flag"


def test_the_access_log_of_serve_shows_no_public_token(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLESYNC_")}
    env |= {
        "PEOPLESYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "PEOPLESYNC_QUEUE_SQLITE_PATH": str(tmp_path / "queue.db"),
        "PEOPLESYNC_SECRET_KEY_FILE": str(tmp_path / "secret.key"),
    }
    subprocess.run(
        [sys.executable, "-m", "peoplesync", "init"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "peoplesync", "serve", "--no-worker", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/login", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.1)
        back = f"{url}/settings/integrations/justworks"
        with httpx.Client(timeout=10, follow_redirects=True) as client:
            answer = client.get(back, params={"public_token": PUBLIC_TOKEN, "state": "s"})
        assert answer.url.path == "/login"  # via the sign-in page, whose `next` carries it too
        time.sleep(0.3)  # uvicorn writes the access line after the answer
    finally:
        process.terminate()
        process.wait(timeout=30)
    written = log.read_text()
    assert "GET /settings/integrations/justworks?public_token=[redacted]" in written
    assert "GET /login?next=[redacted]" in written
    assert PUBLIC_TOKEN not in written, written
