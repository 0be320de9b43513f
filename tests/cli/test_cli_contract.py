"""The command keeps the README's promises to scripts: its exit codes, `--database`, and the key
file in the data folder (issue 14)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from peoplesync.core.states import RunState
from peoplesync.sandbox import SandboxServer
from peoplesync.store.db import make_engine, session_factory, unit_of_work
from peoplesync.store.models import SyncRun
from tests.cli.test_cli import peoplesync

README = Path(__file__).parents[2] / "README.md"


def test_the_exit_codes_are_the_readmes(tmp_path: Path) -> None:
    table = re.search(
        r"Exit codes: (.*?)\.\n", README.read_text(encoding="utf-8").replace("\n", " ") + ".\n"
    )
    assert table is not None
    promised = dict(re.findall(r"(\d) ([a-z][^,]*)", table.group(1)))
    assert peoplesync(tmp_path, "init").returncode == 0
    nobody = peoplesync(tmp_path, "users")  # no account yet: not found
    assert nobody.returncode == 5, nobody.stderr
    assert "not found" in promised["5"]
    assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0
    assert peoplesync(tmp_path, "accounts", "create", "Beta").returncode == 0
    which = peoplesync(tmp_path, "users")  # two accounts and none named: a usage error
    assert which.returncode == 2, which.stderr
    bad = peoplesync(tmp_path, "users", "--account", "Acme", "--status", "retired")
    assert bad.returncode == 2, bad.stderr
    assert "usage" in promised["2"]
    assert "'retired' is not a status" in bad.stderr
    assert "Traceback" not in bad.stderr + which.stderr + nobody.stderr


def test_every_command_takes_the_database_and_keeps_its_key_beside_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'people.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEOPLESYNC_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "peoplesync", "--database", url, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    assert run("init").returncode == 0
    assert (data / "people.db").exists()
    assert run("accounts", "create", "Acme").returncode == 0
    csv = tmp_path / "people.csv"
    csv.write_text("Name,Email\nAda Lovelace,ada@acme.example\n", encoding="utf-8")
    done = run("sync", "--csv", str(csv), "--yes")
    assert done.returncode == 0, done.stderr
    assert (data / ".peoplesync-secret.key").exists()  # the data folder's
    assert not (tmp_path / ".peoplesync-secret.key").exists()  # not the working directory's
    assert "Ada Lovelace" in run("users").stdout


def test_a_sync_beside_a_waiting_review_names_it_and_replaces_it_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`peoplesync sync` with a review waiting (started from the web or the API) refuses,
    naming that run (exit 3, "failed: a conflict"); `--replace` cancels it, saying which run
    replaced it, and syncs."""
    with SandboxServer(size=10, seed=2, initial_sync_seconds=0) as sandbox:
        company = sandbox.control.create_company(seed=2, size=10, initial_sync_seconds=0)
        monkeypatch.setenv("PEOPLESYNC_MERGE_API_KEY", sandbox.api_key)
        monkeypatch.setenv("PEOPLESYNC_MERGE_BASE_URL", sandbox.base_url)
        assert peoplesync(tmp_path, "init").returncode == 0
        assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0
        linked = peoplesync(
            tmp_path, "connect", "justworks", "--account-token", company.account_token
        )
        assert linked.returncode == 0, linked.stderr
        engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
        factory = session_factory(engine)
        at = datetime.now(UTC)
        with unit_of_work(factory) as session:
            run = SyncRun(
                account_id=1,
                trigger="manual",
                source_kind="merge",
                state=RunState.AWAITING_REVIEW,
                **{k: {} for k in ("counts", "timings", "progress")},
                **{k: [] for k in ("issues", "findings", "confirmations")},
                created_at=at,
                started_at=at,
            )
            session.add(run)
            session.flush()
            waiting = run.id

        refused = peoplesync(tmp_path, "sync", "--yes", "--json")
        assert refused.returncode == 3, refused.stdout + refused.stderr
        error = json.loads(refused.stdout)["error"]
        assert (error["code"], error["context"]["run_id"]) == ("review_waiting", waiting)
        assert f"Sync {waiting} is waiting for your review." in error["message"]

        done = peoplesync(tmp_path, "sync", "--yes", "--replace", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        new = json.loads(done.stdout)["run_id"]
        with unit_of_work(factory) as session:
            old = session.get(SyncRun, waiting)
            assert old is not None
            assert (old.state, old.error) == ("cancelled", f"Replaced by sync {new}.")
        engine.dispose()
