"""Undo an import (issue 17) through the API, the run page's form (admin only, with CSRF) and the
CLI: a new run to review and import, recorded in the history; the undone run says so; a refusal
names the people later imports changed. The real server and its worker; the CLI as a process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from peoplesync.access.service import Role
from tests.web.site import Site, csrf_of
from tests.web.tenants import wait_run
from tests.web.test_file_imports import imported, peoplesync, upload

COMPANY = (
    "Name,Email,Team\n"
    "Ada Lovelace,ada@undo.example,Core\n"
    "Bob Stone,bob@undo.example,Core\n"
    "Cy Young,cy@undo.example,Sales\n"
)
RENAME = "Name,Email,Team\nRobert Stone,bob@undo.example,Platform\n"


def undo_applied(api: httpx.Client, run_id: int) -> dict[str, Any]:
    planned = api.post(f"/api/v1/runs/{run_id}/undo")
    assert planned.status_code == 201, planned.text
    undo = planned.json()
    assert (undo["state"], undo["undoes_run_id"], undo["trigger"]) == (
        "awaiting_review",
        run_id,
        "undo",
    )
    applied = api.post(f"/api/v1/runs/{undo['id']}/apply", json={"confirm": False})
    assert applied.status_code == 202, applied.text
    return wait_run(api, undo["id"], until={"succeeded", "failed", "expired"})


def test_the_api_undoes_an_import_and_undoing_the_undo_restores_it(site: Site) -> None:
    api = site.api(site.token(site.account("Undo API")))
    first = imported(api, upload(api, COMPANY))
    assert first["can_undo"] is True
    people = api.get("/api/v1/people").json()
    undo = undo_applied(api, first["id"])
    assert (undo["state"], undo["counts"]["remove"]) == ("succeeded", 3)
    assert api.get("/api/v1/people").json()["total"] == 0
    again = api.get(f"/api/v1/runs/{first['id']}").json()
    assert (again["undone_by_run_id"], again["can_undo"]) == (undo["id"], False)
    refused = api.post(f"/api/v1/runs/{first['id']}/undo")
    assert refused.status_code == 409
    assert f"already undone by sync {undo['id']}" in refused.json()["error"]["message"]
    redo = undo_applied(api, undo["id"])
    assert redo["counts"]["create"] == 3
    assert api.get("/api/v1/people").json()["people"] == people["people"]


def test_the_api_refuses_an_undo_later_imports_would_overwrite_naming_the_people(
    site: Site,
) -> None:
    api = site.api(site.token(site.account("Undo refused")))
    first = imported(api, upload(api, COMPANY))
    later = imported(api, upload(api, RENAME, partial="true"))
    runs_before = len(api.get("/api/v1/runs").json()["runs"])
    refused = api.post(f"/api/v1/runs/{first['id']}/undo")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert f"Robert Stone <bob@undo.example> (sync {later['id']})" in error["message"]
    assert "Ada" not in error["message"]
    assert "Undo the later syncs first" in error["hint"]
    assert len(api.get("/api/v1/runs").json()["runs"]) == runs_before  # no run was started


def test_the_run_page_undoes_an_import_for_an_admin_with_csrf_only(site: Site) -> None:
    account_id = site.account("Undo page")
    api = site.api(site.token(account_id))
    first = imported(api, upload(api, COMPANY))
    admin = site.login(account_id, "admin@undo.example")
    page = admin.get(f"/runs/{first['id']}")
    assert "Undo this import" in page.text
    user = site.login(account_id, "pat@undo.example", role=Role.USER)
    token = csrf_of(page.text)
    assert user.post(f"/runs/{first['id']}/undo", data={"csrf_token": token}).status_code == 403
    forged = site.client()  # no session's CSRF token
    no_csrf = admin.post(f"/runs/{first['id']}/undo", data={}, headers={"X-CSRF-Token": "forged"})
    assert no_csrf.status_code == 403, no_csrf.text
    assert forged.post(f"/runs/{first['id']}/undo").status_code in {303, 401, 403}
    assert api.get("/api/v1/people").json()["total"] == 3  # nothing was planned or removed
    sent = admin.post(f"/runs/{first['id']}/undo", data={"csrf_token": token})
    assert sent.status_code == 303, sent.text
    undo_id = int(sent.headers["location"].rsplit("/", 1)[1])
    undo_page = admin.get(f"/runs/{undo_id}").text
    assert f'Undo of <a href="/runs/{first["id"]}">sync {first["id"]}</a>' in undo_page
    review = admin.get(f"/runs/{undo_id}/review?kind=remove").text
    assert "Removed" in review
    assert "Removed from the directory" in review
    assert "Ada Lovelace" in review
    applied = admin.post(f"/runs/{undo_id}/apply", data={"csrf_token": token})
    assert applied.status_code == 303
    assert wait_run(api, undo_id, until={"succeeded", "failed"})["state"] == "succeeded"
    undone = admin.get(f"/runs/{first['id']}").text
    assert f'data-undone-by="{undo_id}"' in undone
    assert "Undo this import" not in undone


def test_the_cli_undoes_an_import(tmp_path: Path) -> None:
    assert peoplesync(tmp_path, "init").returncode == 0
    assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0
    company = tmp_path / "company.csv"
    company.write_text(COMPANY)
    first = peoplesync(tmp_path, "sync", "--csv", str(company), "--yes", "--json")
    run_id = json.loads(first.stdout)["run_id"]
    shown = peoplesync(tmp_path, "undo", str(run_id))  # no terminal, no answer: declined
    assert shown.returncode == 4, shown.stderr  # declined: nothing imported
    assert "Removals (3)" in shown.stdout
    assert "0 creates, 0 updates, 0 rehires, 0 leavers, 3 removals" in shown.stdout
    done = peoplesync(tmp_path, "undo", str(run_id), "--yes", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["state"], found["undoes_run_id"], found["counts"]["remove"]) == (
        "succeeded",
        run_id,
        3,
    )
    users = peoplesync(tmp_path, "users", "--json")
    assert json.loads(users.stdout)["total"] == 0
    again = peoplesync(tmp_path, "undo", str(run_id), "--yes")
    assert again.returncode == 3
    assert f"already undone by sync {found['run_id']}" in " ".join(again.stderr.split())
