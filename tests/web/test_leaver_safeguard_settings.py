"""The mass-leaver safeguard's two settings (a share and a count, issue 11): one settings
service, set from Account settings, the API and the CLI alike."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import peoplesync
from tests.web.site import Site


def test_the_api_sets_the_share_and_the_count_together(site: Site) -> None:
    api = site.api(site.token(site.account("Leavers API")))

    before = api.get("/api/v1/account").json()
    assert (before["leaver_threshold_share"], before["leaver_threshold_count"]) == (0.2, 5)
    after = api.patch(
        "/api/v1/account", json={"leaver_threshold_share": 0.25, "leaver_threshold_count": 7}
    ).json()
    assert (after["leaver_threshold_share"], after["leaver_threshold_count"]) == (0.25, 7)
    assert api.patch("/api/v1/account", json={"leaver_threshold_count": -1}).status_code == 422
    kept = api.patch("/api/v1/account", json={"leaver_threshold_share": 0.3}).json()
    assert kept["leaver_threshold_count"] == 7  # left out: stays


def test_account_settings_page_sets_both(site: Site) -> None:
    account_id = site.account("Leavers Page")
    browser = site.login(account_id, "admin@leavers-page.example")
    page = browser.get("/settings/account")
    assert 'name="count" min="0" value="5"' in page.text
    assert "and at least" in page.text

    saved = browser.post(
        "/settings/account/threshold",
        data={"share": "30", "count": "8", "csrf_token": browser.headers["X-CSRF-Token"]},
    )

    assert saved.status_code == 303
    page = browser.get("/settings/account")
    assert 'name="count" min="0" value="8"' in page.text
    api = site.api(site.token(account_id))
    found = api.get("/api/v1/account").json()
    assert (found["leaver_threshold_share"], found["leaver_threshold_count"]) == (0.3, 8)


def test_the_cli_sets_both_and_says_how_the_safeguard_reads(tmp_path: Path) -> None:
    assert peoplesync(tmp_path, "init").returncode == 0
    assert peoplesync(tmp_path, "accounts", "create", "Acme").returncode == 0

    told = peoplesync(tmp_path, "accounts", "set", "--leaver-share", "25", "--leaver-count", "7")

    assert told.returncode == 0, told.stderr
    assert "more leavers than 25% of active people and at least 7" in told.stdout
    data = json.loads(peoplesync(tmp_path, "accounts", "set", "--json").stdout)
    assert (data["leaver_threshold_share"], data["leaver_threshold_count"]) == (0.25, 7)
    refused = peoplesync(tmp_path, "accounts", "set", "--leaver-count", "-2")
    assert refused.returncode == 2
    assert "whole number between 0" in refused.stdout + refused.stderr
