"""Log lines never carry secrets: keys that name one are scrubbed, and a logged exception's
traceback never shows the local variables of its frames."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import structlog
from peoplesync.logs import configure_logging
configure_logging("INFO", json={json})
log = structlog.get_logger("t")

def connect(account_token):
    password = "hunter2-do-not-print"
    raise RuntimeError("the provider refused")

try:
    connect("tok-do-not-print")
except RuntimeError:
    log.exception("merge.connect.crashed", api_key="key-do-not-print")
"""


def _logged(*, json: bool) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(json=json)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout + done.stderr


def test_console_and_json_logs_show_the_traceback_but_no_secret() -> None:
    for json in (False, True):
        logged = _logged(json=json)
        assert "merge.connect.crashed" in logged
        assert "RuntimeError: the provider refused" in logged  # the operator sees what broke
        assert "in connect" in logged
        for secret in ("tok-do-not-print", "hunter2-do-not-print", "key-do-not-print"):
            assert secret not in logged, (json, logged)
