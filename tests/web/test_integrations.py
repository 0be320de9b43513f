"""Settings > Data Integrations over real HTTP (issue 12): every Merge HRIS is a real provider;
embedded Link runs through the sandbox's stand-in and records the integration Merge linked; the
page uses that provider's name; RELINK_NEEDED reads "Reconnect <provider>"; Magic Link; and
Disconnect (page and API) removes the credentials and keeps the directory."""

from __future__ import annotations

import re
import time

from peoplesync.accounts.service import get_account
from peoplesync.connections import service as connections
from peoplesync.store.db import unit_of_work
from tests.web.linking import link_by_http
from tests.web.site import Site, csrf_of
from tests.web.tenants import wait_run


def test_every_merge_hris_is_a_real_provider(site: Site) -> None:
    admin = site.login(site.account("Iota"), "ada@iota.example")
    page = admin.get("/settings/integrations")
    assert "coming soon" not in page.text
    for slug, name in connections.PROVIDERS.items():
        assert f'href="/settings/integrations/{slug}"' in page.text
        assert f"<h2>{name}</h2>" in page.text
        own = admin.get(f"/settings/integrations/{slug}")
        assert own.status_code == 200
        assert f"<h1>{name} <span" in own.text
        assert f"Connect {name} to import your employees" in own.text
        assert "Justworks" not in own.text or slug == "justworks"
    assert admin.get("/settings/integrations/not-an-hris").status_code == 404


def test_link_for_bamboohr_records_bamboohr_and_its_page_uses_the_name(site: Site) -> None:
    admin = site.login(site.account("Kappa"), "ada@kappa.example")
    consent = admin.get("/settings/integrations/bamboohr/consent")
    assert 'data-script="' + site.sandbox.url + '/link/initialize.js"' in consent.text
    assert 'src="/static/link.js"' in consent.text
    refused = admin.post("/settings/integrations/bamboohr/link", data={"csrf_token": "forged"})
    assert refused.status_code == 403  # the link token is CSRF-bound like any form
    done = link_by_http(admin, site.sandbox.url, site.url, "bamboohr")
    assert done.headers["location"] == "/settings/integrations/bamboohr"
    page = admin.get("/settings/integrations/bamboohr")
    assert "BambooHR is connected. Its first sync runs in the background." in page.text
    assert "Justworks" not in page.text
    view = admin.get("/settings/integrations/bamboohr/status.json").json()
    assert (view["provider"], view["provider_name"]) == ("bamboohr", "BambooHR")
    (account,) = [a for a in site.sandbox.state.accounts.values() if a.organization_name == "Kappa"]
    assert view["linked_account_id"] == account.id
    # A public token is single use: a replay of the same post is refused, nothing changes.
    replay = admin.post(
        "/settings/integrations/bamboohr/link/done",
        data={"csrf_token": csrf_of(page.text), "public_token": "used-or-forged"},
    )
    assert replay.status_code >= 400
    after = admin.get("/settings/integrations/bamboohr/status.json").json()
    assert after["linked_account_id"] == account.id


def test_relink_needed_reads_reconnect_and_disconnect_keeps_the_directory(site: Site) -> None:
    account_id = site.account("Lambda")
    admin = site.login(account_id, "ada@lambda.example")
    link_by_http(admin, site.sandbox.url, site.url)
    (token,) = [
        t for t, a in site.sandbox.state.accounts.items() if a.organization_name == "Lambda"
    ]
    site.sandbox.control.patch_account(token, status="RELINK_NEEDED")
    site.web.jobs.syncs.refresh_initial_syncs(account_id)
    page = admin.get("/settings/integrations/justworks")
    assert "Reconnect Justworks" in page.text
    assert re.search(
        r'href="/settings/integrations/justworks/consent">Reconnect Justworks', page.text
    )
    api = site.api(site.token(account_id))
    gone = api.delete("/api/v1/connections/justworks")
    assert gone.status_code == 200, gone.text
    assert gone.json()["status"] == "disconnected"
    assert gone.json()["connected"] is False
    again = admin.get("/settings/integrations/justworks")
    assert "Continue setup" in again.text
    assert api.post("/api/v1/syncs").status_code == 404  # nothing to sync from now


def test_a_magic_link_is_made_for_the_chosen_provider(site: Site) -> None:
    admin = site.login(site.account("Mu2"), "ada@mu2.example")
    consent = admin.get("/settings/integrations/hibob/consent")
    made = admin.post(
        "/settings/integrations/hibob/magic-link", data={"csrf_token": csrf_of(consent.text)}
    )
    assert made.status_code == 200, made.text
    url = re.search(r'readonly value="([^"]+)"', made.text)
    assert url is not None
    assert "/link/m/" in url.group(1)
    assert "Magic Link for HiBob" in made.text


def test_the_list_shows_the_connected_hris_latest_sync_and_its_result(site: Site) -> None:
    account_id = site.account("Nu")
    with unit_of_work(site.web.factory) as session:
        get_account(session, account_id).timezone = "Europe/Paris"
    admin = site.login(account_id, "ada@nu.example")
    link_by_http(admin, site.sandbox.url, site.url)
    assert "Latest sync: none yet" in admin.get("/settings/integrations").text
    deadline = time.monotonic() + 30
    while admin.get("/settings/integrations/justworks/status.json").json()["status"] != (
        "connected"
    ):
        assert time.monotonic() < deadline, "Merge's first sync did not finish"
        time.sleep(0.2)
    api = site.api(site.token(account_id))
    assert api.post("/api/v1/syncs").status_code == 202
    review = wait_run(api, until={"awaiting_review", "failed", "blocked"})
    assert review["state"] == "awaiting_review", review
    api.post(f"/api/v1/runs/{review['id']}/apply", json={"confirm": True})
    wait_run(api, review["id"], until={"succeeded"})
    card = admin.get("/settings/integrations").text
    found = re.search(r"data-latest-sync>Latest sync: ([^<]+) · Imported", card)
    assert found is not None, card
