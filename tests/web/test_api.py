"""The JSON API over real HTTP: every endpoint for its own account, imports and reviews,
one error shape, the OpenAPI document, Merge's webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from peoplesync.cli.demo import sample_path
from peoplesync.errors import ReconnectNeededError
from peoplesync.jobs.merge_webhook import SIGNATURE_HEADER, expected_signature
from peoplesync.web.app import MAX_BODY_BYTES
from tests.web.site import WEBHOOK_KEY, Site
from tests.web.tenants import HOSTILE, Tenant, import_csv, wait_run

# --- every API endpoint answers for its own account ------------------------------------------


def test_the_api_reads_an_account_end_to_end(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    me = a.api.get("/api/v1/me").json()
    assert me == {"account": {"id": a.account_id, "name": "Acme"}, "role": "admin"}
    people = a.api.get("/api/v1/people", params={"limit": 5}).json()
    assert people["total"] == 16
    assert len(people["people"]) == 5
    found = a.api.get("/api/v1/people", params={"q": "jonas"}).json()["people"]
    assert [p["email"] for p in found] == ["jonas.becker@acme.example"]
    jonas = a.api.get(f"/api/v1/people/{found[0]['id']}").json()
    assert jonas["manager"] == "Amara Okafor <amara.okafor@acme.example>"
    assert jonas["demographics"]["Location"] == "Berlin"
    assert a.api.get("/api/v1/people", params={"status": "nobody"}).status_code == 422

    run = a.api.get(f"/api/v1/runs/{a.run_id}").json()
    assert run["state"] == "succeeded"
    assert run["counts"]["create"] == 16
    assert run["trigger"] == "csv"
    items = a.api.get(f"/api/v1/runs/{a.run_id}/items", params={"kind": "create"}).json()
    assert items["total"] == 16
    assert {c["field"] for c in items["items"][0]["changes"]} >= {"name", "email"}

    names = {
        d["name"]: d["people"] for d in a.api.get("/api/v1/demographics").json()["demographics"]
    }
    assert names["Department"] == 16
    history = a.api.get(f"/api/v1/people/{found[0]['id']}/history").json()["history"]
    assert history[0]["run_id"] == a.run_id
    assert a.api.get("/api/v1/connections/justworks").json()["status"] == "not_connected"
    assert a.api.get("/api/v1/outbox").json() == {"emails": []}


def test_people_are_found_by_any_word_the_email_or_the_employee_id(
    tenants: tuple[Tenant, Tenant],
) -> None:
    """The API and the Users page search alike: "becker" finds Jonas Becker, "hernandez" finds
    Sofía Hernández, "sayed" Fatima Al-Sayed, "e003" the Employee Id E003; never another
    account's people."""
    a, _ = tenants

    def emails(search: str) -> list[str]:
        found = a.api.get("/api/v1/people", params={"q": search}).json()
        assert found["total"] == len(found["people"])
        return [p["email"] for p in found["people"]]

    assert emails("becker") == ["jonas.becker@acme.example"]
    assert emails("HERNANDEZ") == ["sofia.hernandez@acme.example"]
    assert emails("sayed") == ["fatima.alsayed@acme.example"]
    assert emails("e003") == ["sofia.hernandez@acme.example"]
    assert emails("sofi") == ["sofia.hernandez@acme.example"]  # the preferred name too
    assert emails("liam.oc") == ["liam.oconnor@acme.example"]
    assert emails("花子") == ["hanako.yamada@acme.example"]
    assert emails("bob") == []  # Beta's
    page = a.browser.get("/users", params={"q": "hernandez"})
    assert page.status_code == 200
    assert "Sofía Hernández" in page.text
    assert "Jonas Becker" not in page.text


def test_the_api_changes_settings_people_and_tokens(site: Site) -> None:
    account_id = site.account("Gamma")
    api = site.api(site.token(account_id))
    import_csv(api, sample_path("acme-1.csv").read_bytes(), "gamma.csv")

    settings = api.patch(
        "/api/v1/account", json={"leaver_policy": "deactivated", "leaver_threshold_count": 3}
    ).json()
    assert settings["leaver_policy"] == "deactivated"
    assert settings["leaver_threshold_count"] == 3
    bad = api.patch("/api/v1/account", json={"leaver_policy": "gone"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_input"

    on = api.put("/api/v1/autosync", json={"enabled": True, "time": "03:30"}).json()
    assert on["enabled"] is True
    assert on["time"] == "03:30"
    assert api.get("/api/v1/autosync").json()["enabled"] is True
    assert api.put("/api/v1/autosync", json={"enabled": False}).json()["enabled"] is False

    redacted = api.post("/api/v1/redaction", json={"field": "birth_date"}).json()
    assert redacted["redacted_fields"] == ["birth_date"]
    assert redacted["purged"]["birth_date"] == 16
    assert api.delete("/api/v1/redaction/birth_date").json() == {"redacted_fields": []}

    person = api.get("/api/v1/people", params={"q": "jonas"}).json()["people"][0]
    moved = api.patch(f"/api/v1/people/{person['id']}", json={"email": "jonas@acme.example"})
    assert moved.json()["email"] == "jonas@acme.example"
    taken = api.patch(f"/api/v1/people/{person['id']}", json={"email": "amara.okafor@acme.example"})
    assert taken.status_code == 409
    assert "Amara" in taken.json()["error"]["message"]
    gone = api.post(f"/api/v1/people/{person['id']}/deactivate").json()
    assert gone["status"] == "deactivated"
    history = api.get(f"/api/v1/people/{person['id']}/history").json()["history"]
    assert [h["field"] for h in history[:2]] == ["status", "email"]
    assert history[1]["actor"].startswith("api:pst_")

    demographic = api.get("/api/v1/demographics").json()["demographics"][0]
    deleted = api.delete(f"/api/v1/demographics/{demographic['id']}").json()
    assert deleted["values_removed"] == demographic["people"]
    assert demographic["name"] not in {
        d["name"] for d in api.get("/api/v1/demographics").json()["demographics"]
    }

    made = api.post("/api/v1/api-tokens", json={"name": "report"})
    assert made.status_code == 201
    plain = made.json()["token"]
    listed = api.get("/api/v1/api-tokens").json()["tokens"]
    assert plain not in str(listed)  # shown once, stored hashed
    assert site.api(plain).get("/api/v1/me").status_code == 200
    assert api.delete(f"/api/v1/api-tokens/{made.json()['id']}").json() == {
        "revoked": made.json()["id"]
    }
    refused = site.api(plain).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"


def test_an_import_of_a_review_the_directory_outgrew_is_refused(site: Site) -> None:
    api = site.api(site.token(site.account("Iota")))
    import_csv(api, sample_path("acme-1.csv").read_bytes(), "first.csv")
    api.post(
        "/api/v1/syncs/csv",
        files={"file": ("second.csv", sample_path("acme-2.csv").read_bytes(), "text/csv")},
    )
    review = wait_run(api, until={"awaiting_review"})
    person = api.get("/api/v1/people", params={"q": "jonas"}).json()["people"][0]
    api.patch(f"/api/v1/people/{person['id']}", json={"email": "jonas.b@acme.example"})

    api.post(f"/api/v1/runs/{review['id']}/apply", json={})
    run = wait_run(api, review["id"], until={"expired", "succeeded", "failed"})

    assert run["state"] == "expired"
    assert "changed since this sync was reviewed" in run["error"]
    assert "Run the sync again" in run["next_step"]
    assert api.get("/api/v1/people", params={"limit": 100}).json()["total"] == 16  # untouched


def test_a_flagged_manual_sync_needs_the_admins_confirmation_which_is_kept(site: Site) -> None:
    api = site.api(site.token(site.account("Kappa")))
    import_csv(api, sample_path("acme-1.csv").read_bytes(), "first.csv")
    active = api.get("/api/v1/people", params={"status": "active"}).json()["total"]
    former = api.get("/api/v1/people", params={"status": "former"}).json()["total"]
    only_two = b"\n".join(sample_path("acme-1.csv").read_bytes().splitlines()[:3]) + b"\n"
    api.post("/api/v1/syncs/csv", files={"file": ("two.csv", only_two, "text/csv")})
    review = wait_run(api, until={"awaiting_review", "blocked", "failed"})
    assert review["state"] == "awaiting_review"  # a manual run shows findings, it is not blocked
    assert review["counts"]["leave"] == active - 2
    assert [f["reason"] for f in review["findings"]] == ["mass_leaver"]

    refused = api.post(f"/api/v1/runs/{review['id']}/apply", json={"confirm": False})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "import_blocked"
    assert api.get("/api/v1/people", params={"status": "active"}).json()["total"] == active

    api.post(f"/api/v1/runs/{review['id']}/apply", json={"confirm": True})
    done = wait_run(api, review["id"], until={"succeeded", "failed"})
    assert done["state"] == "succeeded"
    (confirmation,) = done["confirmations"]
    assert confirmation["by"].startswith("api:pst_")
    assert confirmation["reasons"] == ["mass_leaver"]
    after = api.get("/api/v1/people", params={"status": "former"}).json()["total"]
    assert after == former + active - 2


def test_a_review_can_be_cancelled_and_nothing_is_imported(site: Site) -> None:
    api = site.api(site.token(site.account("Lambda")))
    api.post(
        "/api/v1/syncs/csv",
        files={"file": ("a.csv", sample_path("acme-1.csv").read_bytes(), "text/csv")},
    )
    review = wait_run(api, until={"awaiting_review"})
    cancelled = api.post(f"/api/v1/runs/{review['id']}/cancel").json()
    assert cancelled["state"] == "cancelled"
    assert api.post(f"/api/v1/runs/{review['id']}/apply", json={}).status_code == 409
    assert api.get("/api/v1/people").json()["total"] == 0
    assert api.get("/api/v1/redaction").json() == {"redacted_fields": []}


def test_an_account_token_connects_justworks_through_the_api(site: Site) -> None:
    api = site.api(site.token(site.account("Mu")))
    company = site.sandbox.control.create_company(seed=5, size=12, initial_sync_seconds=0)
    connected = api.put(
        "/api/v1/connections/justworks", json={"account_token": company.account_token}
    ).json()
    assert connected["connected"] is True
    assert connected["status"] in {"connected", "initial_sync"}
    assert company.account_token not in str(connected)  # never shown back
    assert connected["linked_account_id"] == company.linked_account_id  # from account-details
    assert (connected["provider"], connected["provider_name"]) == ("justworks", "Justworks")
    wrong = api.put("/api/v1/connections/justworks", json={"account_token": "not-a-token"})
    assert wrong.status_code == ReconnectNeededError.http_status  # Merge refused it: not saved
    assert "Merge refused our credentials" in wrong.json()["error"]["message"]
    assert api.get("/api/v1/connections").json()["linked_account_id"] == (company.linked_account_id)


def test_an_oversized_upload_is_refused_before_it_is_read(site: Site) -> None:
    api = site.api(site.token(site.account("Omicron")))
    huge = b"Name,Email\n" + b"x" * (MAX_BODY_BYTES + 1024)
    refused = api.post("/api/v1/syncs/csv", files={"file": ("huge.csv", huge, "text/csv")})
    assert refused.status_code == 413
    assert api.get("/api/v1/runs").json()["runs"] == []


def test_a_sync_needs_a_connection_and_says_so(site: Site) -> None:
    api = site.api(site.token(site.account("Delta")))
    refused = api.post("/api/v1/syncs")
    assert refused.status_code == 404
    assert "not connected" in refused.json()["error"]["message"]
    assert "Data Integrations" in refused.json()["error"]["hint"]


def test_a_csv_with_a_missing_manager_is_blocked_with_the_row_named(site: Site) -> None:
    api = site.api(site.token(site.account("Epsilon")))
    csv = (
        "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email\n"
        "Ann Lee,,1,ann@e.example,,,,boss@e.example\n"
    )
    api.post("/api/v1/syncs/csv", files={"file": ("e.csv", csv.encode(), "text/csv")})
    run = wait_run(api, until={"blocked", "failed", "awaiting_review"})
    assert run["state"] == "blocked"
    (issue,) = [i for i in run["issues"] if i["severity"] == "error"]
    assert issue["location"] == "row 2"
    assert issue["field"] == "manager"
    assert "boss@e.example" in issue["message"]
    assert run["next_step"] == "Fix the errors below in the HRIS (or the file), then sync again."
    refused = api.post(f"/api/v1/runs/{run['id']}/apply", json={})
    assert refused.status_code == 409
    assert api.get("/api/v1/people").json()["total"] == 0


# --- hostile input and output --------------------------------------------------------------


def test_hostile_names_are_shown_as_text(tenants: tuple[Tenant, Tenant]) -> None:
    _, b = tenants
    page = b.browser.get("/users")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Mallory" in page.text
    person = b.api.get("/api/v1/people", params={"q": "<script>"}).json()["people"]
    assert [p["name"] for p in person] == [HOSTILE]  # stored as given, escaped when shown
    user_page = b.browser.get(f"/users/{person[0]['id']}")
    assert "<b>Red</b>" not in user_page.text
    assert "&lt;b&gt;Red&lt;/b&gt;" in user_page.text
    review = b.browser.get(f"/runs/{b.run_id}/review?kind=create")
    assert "<script>alert" not in review.text
    assert "Content-Security-Policy" in review.headers
    assert review.headers["X-Frame-Options"] == "DENY"


def test_errors_have_one_shape_across_endpoints(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    answers = [
        a.api.get("/api/v1/people/nope"),
        a.api.get("/api/v1/runs/999999"),
        a.api.get("/api/v1/people", params={"limit": 100000}),
        a.api.patch("/api/v1/account", json={"leaver_threshold_share": 7}),
        a.api.get("/api/v1/no-such-route"),
    ]
    assert [r.status_code for r in answers] == [404, 404, 422, 422, 404]
    for response in answers:
        body = response.json()
        assert set(body) == {"error"}
        assert {"code", "message"} <= set(body["error"])
        assert body["error"]["message"]


def test_the_openapi_document_lists_the_api(site: Site) -> None:
    doc = site.client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/people", "/api/v1/runs/{run_id}/apply", "/api/v1/syncs"} <= set(doc["paths"])
    assert not any(p.startswith("/settings") for p in doc["paths"])  # pages are not the API


# --- Merge's webhook over HTTP -------------------------------------------------------------


def test_a_merge_webhook_with_a_bad_signature_is_refused_and_starts_nothing(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    body = json.dumps(
        {"hook": {"event": "LinkedAccount.sync_completed"}, "linked_account": {"id": "x"}}
    ).encode()
    runs_before = a.api.get("/api/v1/runs").json()["runs"]
    client = site.client()
    for signature in (None, "bad", expected_signature("another key", body)):
        headers = {SIGNATURE_HEADER: signature} if signature else {}
        refused = client.post("/api/v1/webhooks/merge", content=body, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "bad_signature"
    signed = client.post(
        "/api/v1/webhooks/merge",
        content=body,
        headers={SIGNATURE_HEADER: expected_signature(WEBHOOK_KEY, body)},
    )
    assert signed.status_code == 200
    assert signed.json() == {"action": "ignored", "reason": "unknown linked account"}
    assert a.api.get("/api/v1/runs").json()["runs"] == runs_before


def test_a_replayed_or_stale_merge_webhook_is_not_acted_on(site: Site) -> None:
    def delivery(finished: datetime) -> bytes:
        moment = finished.isoformat().replace("+00:00", "Z")
        status = {"hris.Employee": {"last_sync_result": "DONE", "last_sync_finished": moment}}
        return json.dumps(
            {
                "hook": {"id": "h1", "event": "LinkedAccount.sync_completed"},
                "linked_account": {"id": "replayed"},
                "data": {"sync_status": status},
            }
        ).encode()

    def post(body: bytes) -> httpx.Response:
        headers = {SIGNATURE_HEADER: expected_signature(WEBHOOK_KEY, body)}
        return site.client().post("/api/v1/webhooks/merge", content=body, headers=headers)

    fresh = delivery(datetime.now(UTC) - timedelta(minutes=1))
    assert post(fresh).json()["reason"] == "unknown linked account"
    replayed = post(fresh)
    assert replayed.status_code == 200  # acknowledged, so that Merge stops retrying
    assert replayed.json() == {"action": "ignored", "reason": "a delivery already received"}
    stale = post(delivery(datetime.now(UTC) - timedelta(days=2)))
    assert stale.status_code == 403
    assert stale.json()["error"]["code"] == "stale_delivery"
