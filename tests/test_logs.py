"""Log lines never carry secrets: keys that name one are scrubbed, and a logged exception's
traceback never shows the local variables of its frames, nor the values a database error carries
(SQL parameters, PostgreSQL's DETAIL and CONTEXT lines), through structlog or the standard
logging module (Huey's "Unhandled exception in task"), on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import POSTGRES_URL, service_unavailable

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


DATABASE_SCRIPT = """
import logging, sys
import structlog
from sqlalchemy import text
from peoplesync.logs import configure_logging
from peoplesync.store.db import make_engine
configure_logging("INFO", json={json})
log = structlog.get_logger("t")
engine = make_engine(sys.argv[1])
with engine.connect() as db:
    db.execute(text("CREATE TEMPORARY TABLE staff (email VARCHAR(40) UNIQUE, name VARCHAR(12))"))
    first = {{"e": "ann.secret@acme.example", "n": "Ann"}}
    db.execute(text("INSERT INTO staff VALUES (:e, :n)"), first)
    for params in (
        {{"e": "ann.secret@acme.example", "n": "Annsecond"}},  # a duplicate email
        {{"e": "bob.hidden@acme.example", "n": "Bob Hiddenname Toolong"}},  # too long on PostgreSQL
    ):
        try:
            with db.begin_nested():
                db.execute(text("INSERT INTO staff VALUES (:e, :n)"), params)
        except Exception:
            log.exception("store.import.crashed")
            logging.getLogger("huey").exception("Unhandled exception in task %s.", "t-1")
"""
EMPLOYEE_DATA = ("ann.secret", "Annsecond", "bob.hidden", "Hiddenname")


def _logged(*, json: bool, script: str = SCRIPT, args: tuple[str, ...] = ()) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script.format(json=json), *args],
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


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_failed_database_write_logs_what_broke_but_no_employee_data(
    kind: str, tmp_path: Path
) -> None:
    if kind == "postgres" and not POSTGRES_URL:
        service_unavailable("PostgreSQL: PEOPLESYNC_TEST_POSTGRES_URL is not set")
    url = POSTGRES_URL if kind == "postgres" else f"sqlite:///{tmp_path / 'x.db'}"
    for json in (False, True):
        logged = _logged(json=json, script=DATABASE_SCRIPT, args=(url,))
        assert logged.count("store.import.crashed") == (2 if kind == "postgres" else 1), logged
        assert "Unhandled exception in task t-1." in logged
        assert "IntegrityError" in logged  # the operator sees what broke, and where
        assert "INSERT INTO staff" in logged
        assert "in <module>" in logged
        if kind == "postgres":
            assert "UniqueViolation" in logged
            assert "value too long for type character varying(12)" in logged
        for value in EMPLOYEE_DATA:
            assert value not in logged, (kind, json, logged)
