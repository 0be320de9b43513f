"""What `make run` runs (`peoplesync demo`): the web app, a worker and the sandbox, until Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from peoplesync.sandbox import DEFAULT_API_KEY
from peoplesync.serving import free_port
from tests.web.linking import link_by_http
from tests.web.site import csrf_of


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError(f"the demo stopped early:\n{seen}")
        seen += line
        if time.monotonic() > deadline:
            raise AssertionError(f"the demo did not print {marker!r}:\n{seen}")
    return seen


def _link_justworks(client: httpx.Client, sandbox_url: str) -> None:
    """Continue setup -> consent -> the sandbox's embedded Merge Link -> connected."""
    done = link_by_http(client, sandbox_url, str(client.base_url).rstrip("/"))
    assert done.headers["location"] == "/settings/integrations/justworks"


def test_the_demo_serves_the_app_and_shows_how_to_change_the_hris(tmp_path: Path) -> None:
    """`peoplesync demo`: the app with a login, the sandbox on `--sandbox-port`; once Justworks
    is connected, its control token and a command to paste that hires someone; Ctrl-C stops."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLESYNC_")}
    sandbox_port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "peoplesync", "demo", "--port", "0", "--size", "30"),
            *("--sandbox-port", str(sandbox_port)),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = _read_until(process, "Ctrl-C")
        url = re.search(r"Open\s+(http://127\.0\.0\.1:\d+)", printed)
        login = re.search(r"Sign in\s+(\S+) / (\S+)", printed)
        assert url is not None, printed
        assert login is not None, printed
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        assert f"Sandbox   {sandbox} " in printed
        assert f"Control   {sandbox}/control" in printed
        with httpx.Client(base_url=url.group(1), timeout=30) as client:
            form = client.get("/login")
            signed_in = client.post(
                "/login",
                data={
                    "email": login.group(1),
                    "password": login.group(2),
                    "csrf_token": csrf_of(form.text),
                },
            )
            assert signed_in.status_code == 303
            page = client.get("/settings/integrations/justworks")
            assert page.status_code == 200
            assert "Continue setup" in page.text
            _link_justworks(client, sandbox)
        told = _read_until(process, "Try ")
        token = re.search(rf"Control   {re.escape(sandbox)}/control/accounts/(\S+)", told)
        assert token is not None, told
        assert f"Token     {token.group(1)} " in told
        command = re.search(r"Try\s+(curl .+)$", told, flags=re.MULTILINE)
        assert command is not None, told
        hired = subprocess.run(  # the command as printed, pasted into a shell
            ["/bin/sh", "-c", command.group(1)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert hired.returncode == 0, hired.stderr
        employee = json.loads(hired.stdout)
        assert (employee["first_name"], employee["last_name"]) == ("Zanele", "Dlamini")
        headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "X-Account-Token": token.group(1)}
        seen = httpx.get(f"{sandbox}/api/hris/v1/employees/{employee['id']}", headers=headers)
        assert seen.status_code == 200, seen.text
        assert (tmp_path / "demo" / "peoplesync-demo.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Stopped." in rest


@pytest.mark.parametrize("option", ["--port", "--sandbox-port"])
def test_a_busy_port_is_a_clear_error_and_keeps_the_last_demo(tmp_path: Path, option: str) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("the last demo's files")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLESYNC_")}
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                *(sys.executable, "-m", "peoplesync", "demo", "--port", "0"),
                *("--sandbox-port", str(free_port()), option, str(port)),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 3
    assert f"Port {port} is already in use." in done.stderr
    assert f"`peoplesync demo {option} 0` takes any free port" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "demo" / "keep.txt").exists()
