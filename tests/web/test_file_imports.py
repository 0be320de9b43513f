"""Files beside a connected HRIS (issue 13), on the API, the web form and the CLI: an upload is
partial by default (nobody leaves); a full one says it replaces the HRIS as the source of truth
for everyone not in the file, and needs its own confirmation. The real server and its worker,
the sandbox HRIS; the CLI as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from peoplesync.accounts.service import get_account
from peoplesync.connections.service import save_connection
from peoplesync.crypto import SecretBox
from peoplesync.store.db import make_engine, session_factory, unit_of_work
from tests.factories.workbooks import workbook
from tests.web.site import Site, csrf_of, now
from tests.web.tenants import wait_run
from tests.web.test_sync_requests import connected

COMPANY = (
    "Name,Email,Team\n"
    "Ada Lovelace,ada@files.example,Core\n"
    "Bob Stone,bob@files.example,Core\n"
    "Cy Young,cy@files.example,Sales\n"
)
ONE_ROW = "Name,Email,Team\nBob Stone,bob@files.example,Platform\n"
REPLACES = (
    "A full import replaces Justworks as the source of truth for everyone not in the file: "
    "each of them would leave, although Justworks still has them."
)


def upload(api: httpx.Client, data: str | bytes, **form: str) -> httpx.Response:
    body = data.encode() if isinstance(data, str) else data
    return api.post("/api/v1/syncs/csv", files={"file": ("people.csv", body)}, data=form)


def imported(api: httpx.Client, queued: httpx.Response, *, confirm: bool = False) -> dict[str, Any]:
    assert queued.status_code == 202, queued.text
    run = wait_run(api, queued.json()["run_id"], until={"awaiting_review", "blocked", "failed"})
    assert run["state"] == "awaiting_review", run
    applied = api.post(f"/api/v1/runs/{run['id']}/apply", json={"confirm": confirm})
    assert applied.status_code == 202, applied.text
    return wait_run(api, run["id"], until={"succeeded", "failed"})


def test_the_api_upload_is_partial_beside_an_hris_and_a_full_one_needs_replace_hris(
    site: Site,
) -> None:
    api, _ = connected(site, "Files API")
    first = imported(api, upload(api, COMPANY, partial="false", replace_hris="true"))
    assert (first["partial"], first["counts"]["create"]) == (False, 3)
    assert first["import_label"].startswith("Full import")
    correction = imported(api, upload(api, ONE_ROW))  # no choice made: partial
    assert correction["partial"] is True
    assert correction["import_label"].startswith("Partial import: ")
    assert (correction["counts"]["update"], correction["counts"].get("leave", 0)) == (1, 0)
    runs_before = len(api.get("/api/v1/runs").json()["runs"])
    refused = upload(api, ONE_ROW, partial="false")
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == REPLACES
    assert "replace_hris" in refused.json()["error"]["hint"]
    assert len(api.get("/api/v1/runs").json()["runs"]) == runs_before  # no run was started
    full = imported(api, upload(api, ONE_ROW, partial="false", replace_hris="true"), confirm=True)
    assert (full["partial"], full["counts"]["leave"]) == (False, 2)


def test_without_an_hris_an_upload_is_full_unless_asked_partial(site: Site) -> None:
    api = site.api(site.token(site.account("Files alone")))
    assert imported(api, upload(api, COMPANY))["partial"] is False
    partial = imported(api, upload(api, ONE_ROW, partial="true"))
    assert (partial["partial"], partial["counts"].get("leave", 0)) == (True, 0)


def test_the_form_defaults_to_partial_beside_an_hris_and_asks_to_confirm_a_full_one(
    site: Site,
) -> None:
    api, _ = connected(site, "Files web")
    imported(api, upload(api, COMPANY, partial="false", replace_hris="true"))
    admin_id = api.get("/api/v1/account").json()["id"]
    browser = site.login(admin_id, "files.admin@files.example")
    page = browser.get("/sync")
    assert 'name="mode" value="partial" checked' in page.text
    assert REPLACES.replace("'", "&#39;") in page.text
    assert 'name="replace_hris" value="yes"' in page.text
    token = csrf_of(page.text)
    fix = workbook([("Name", "Email", "Team"), ("Bob Stone", "bob@files.example", "Platform")])
    files = {"file": ("fix.xlsx", fix)}
    refused = browser.post("/sync/csv", data={"csrf_token": token, "mode": "full"}, files=files)
    assert refused.status_code == 422
    assert REPLACES in refused.text.replace("&#39;", "'")
    sent = browser.post("/sync/csv", data={"csrf_token": token, "mode": "partial"}, files=files)
    assert sent.status_code == 303, sent.text
    run = wait_run(api, until={"awaiting_review", "failed", "blocked"})
    assert (run["partial"], run["state"], run["source_name"]) == (
        True,
        "awaiting_review",
        "fix.xlsx",
    )
    review = browser.get(f"/runs/{run['id']}/review?kind=update")
    assert (
        "Partial import: the people in the file are created or updated; nobody leaves."
        in review.text
    )


def test_the_file_card_says_always_available_only_without_an_hris(site: Site) -> None:
    alone = site.login(site.account("Card alone"), "card.alone@files.example")
    assert "Always available" in alone.get("/settings/integrations").text
    api, _ = connected(site, "Card beside")
    beside = site.login(api.get("/api/v1/account").json()["id"], "card.beside@files.example")
    card = beside.get("/settings/integrations").text
    assert "Always available" not in card
    assert "Partial imports beside Justworks" in card


# --- the CLI ------------------------------------------------------------------------------------


def peoplesync(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PEOPLESYNC_DATABASE_URL": f"sqlite:///{folder / 'cli.db'}"}
    env.pop("PEOPLESYNC_LOG_JSON", None)
    return subprocess.run(
        [sys.executable, "-m", "peoplesync", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=120,
        check=False,
    )


def test_the_cli_upload_is_partial_beside_an_hris_and_full_needs_replace_hris(
    tmp_path: Path,
) -> None:
    assert peoplesync(tmp_path, "init").returncode == 0
    assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0
    company, one_row = tmp_path / "company.csv", tmp_path / "one.xlsx"
    company.write_text(COMPANY)
    one_row.write_bytes(workbook([("Name", "Email"), ("Bob Stone", "bob@files.example")]))
    first = peoplesync(tmp_path, "sync", "--csv", str(company), "--yes", "--json")
    assert json.loads(first.stdout)["partial"] is False, first.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with unit_of_work(session_factory(engine)) as session:  # Justworks connected (not called)
        save_connection(
            session,
            get_account(session, 1),
            box=SecretBox(Fernet.generate_key()),
            base_url="http://127.0.0.1:9",
            api_key="k",
            account_token="t",
            now=now(),
        )
    engine.dispose()
    partial = peoplesync(tmp_path, "sync", "--file", str(one_row), "--yes", "--json")
    assert partial.returncode == 0, partial.stderr
    found = json.loads(partial.stdout)
    assert (found["partial"], found["counts"].get("leave", 0)) == (True, 0)
    refused = peoplesync(tmp_path, "sync", "--csv", str(one_row), "--full", "--yes")
    assert refused.returncode == 2
    assert "replaces Justworks as the source of truth" in " ".join(refused.stderr.split())
    assert "--replace-hris" in refused.stderr
    full = peoplesync(
        tmp_path,
        "sync",
        "--csv",
        str(one_row),
        "--full",
        "--replace-hris",
        "--confirm-flagged",
        "--yes",
        "--json",
    )
    assert full.returncode == 0, full.stderr
    done = json.loads(full.stdout)
    assert (done["partial"], done["counts"]["leave"]) == (False, 2)
    both = peoplesync(tmp_path, "sync", "--csv", str(one_row), "--full", "--partial")
    assert both.returncode == 2
    assert "Choose --partial or --full, not both." in both.stderr
