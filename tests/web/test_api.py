"""The JSON API and the pages over real HTTP: every endpoint, account isolation for every route,
roles, CSRF, API tokens, hostile input, and one error shape."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from peoplesync.access import service as access
from peoplesync.access.service import MAX_FAILED_LOGINS, Role
from peoplesync.cli.demo import sample_path
from peoplesync.errors import AuthenticationError
from peoplesync.jobs.merge_webhook import SIGNATURE_HEADER, expected_signature
from peoplesync.store.db import unit_of_work
from peoplesync.web.app import MAX_BODY_BYTES, all_routes
from tests.web.site import PASSWORD, WEBHOOK_KEY, Site, csrf_of

NOW = datetime.now(UTC)
HOSTILE = '<script>alert("x")</script> Mallory'
QUOTED_HOSTILE = HOSTILE.replace('"', '""')
CSV_WITH_HOSTILE_NAME = (
    "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email,Team\n"
    f'"{QUOTED_HOSTILE}",,H1,mallory@beta.example,1990-01-01,2020-01-01,,,<b>Red</b>\n'
    "Bob Stone,,H2,bob@beta.example,1980-01-01,2019-01-01,,mallory@beta.example,Blue\n"
)


def wait_run(api: httpx.Client, run_id: int | None = None, *, until: set[str]) -> dict[str, Any]:
    """Poll the API until the (latest) run reaches one of `until`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = api.get("/api/v1/runs").json()["runs"]
        found = next((r for r in runs if run_id is None or r["id"] == run_id), None)
        if found and found["state"] in until:
            return dict(found)
        time.sleep(0.05)
    raise AssertionError(f"no run reached {until}")


def import_csv(api: httpx.Client, data: bytes, name: str) -> dict[str, Any]:
    queued = api.post("/api/v1/syncs/csv", files={"file": (name, data, "text/csv")})
    assert queued.status_code == 202, queued.text
    run = wait_run(api, until={"awaiting_review", "blocked", "failed"})
    assert run["state"] == "awaiting_review", run
    applied = api.post(f"/api/v1/runs/{run['id']}/apply", json={"confirm": False})
    assert applied.status_code == 202, applied.text
    return wait_run(api, run["id"], until={"succeeded", "failed"})


@dataclass
class Tenant:
    account_id: int
    api: httpx.Client
    browser: httpx.Client  # signed in as an admin, with the session's CSRF header
    run_id: int
    person_id: str
    demographic_id: int
    token_id: int
    login_id: int


def make_tenant(site: Site, name: str, csv: bytes, admin: str) -> Tenant:
    account_id = site.account(name)
    api = site.api(site.token(account_id))
    run = import_csv(api, csv, f"{name}.csv")
    assert run["state"] == "succeeded", run
    person = api.get("/api/v1/people").json()["people"][0]
    demographic = api.get("/api/v1/demographics").json()["demographics"][0]
    token = api.get("/api/v1/api-tokens").json()["tokens"][0]
    browser = site.login(account_id, admin)
    (login,) = api.get("/api/v1/logins").json()["logins"]
    ids = (run["id"], person["id"], demographic["id"], token["id"], login["id"])
    return Tenant(account_id, api, browser, *ids)


@pytest.fixture(scope="module")
def tenants(site: Site) -> tuple[Tenant, Tenant]:
    a = make_tenant(site, "Acme", sample_path("acme-1.csv").read_bytes(), "ada@acme.example")
    b = make_tenant(site, "Beta", CSV_WITH_HOSTILE_NAME.encode(), "bea@beta.example")
    return a, b


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
    wrong = api.put("/api/v1/connections/justworks", json={"account_token": "not-a-token"})
    assert wrong.json()["status"] == "reconnect_needed"


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


# --- account isolation: every route, with the other account's ids -------------------------


def _routes() -> list[tuple[str, set[str]]]:
    return [(path, set(route.methods or ()) - {"HEAD"}) for path, route in all_routes()]


def _fill(path: str, other: Tenant) -> str:
    ids = {
        "run_id": other.run_id,
        "person_id": other.person_id,
        "demographic_id": other.demographic_id,
        "token_id": other.token_id,
        "login_id": other.login_id,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


# Routes whose path names something of the caller's own account, not another account's record
# (a field name), or a record account B does not have (an outbox email).
NOT_RECORDS = {"/api/v1/redaction/{field}", "/settings/outbox/{email_id}"}


def _requests(other: Tenant) -> list[tuple[str, str]]:
    return [
        (method, _fill(path, other))
        for path, methods in _routes()
        if "{" in path and path not in NOT_RECORDS
        for method in sorted(methods)
    ]


def test_an_admin_of_one_account_reaches_nothing_of_another(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    requests = _requests(b)
    assert len(requests) >= 20  # the matrix covers every route with an id, pages and API
    before = b.api.get(f"/api/v1/people/{b.person_id}").json()
    csrf = str(a.browser.headers["X-CSRF-Token"])
    checked = 0
    for client, kind in ((a.api, "token"), (a.browser, "session")):
        for method, path in requests:
            if kind == "token" and not path.startswith("/api/"):
                continue  # a token opens the API only (pages would send it to sign in)
            if path.startswith("/api/"):
                response = client.request(method, path, json={"email": "x@a.example"})
            else:  # a page form with a valid CSRF token, so the check under test is the account
                response = client.request(method, path, data={"csrf_token": csrf})
            assert response.status_code in {403, 404}, (kind, method, path, response.text)
            assert b"Mallory" not in response.content, (kind, method, path)
            if response.status_code == 403:
                assert "CSRF" not in response.text, (kind, method, path)
            checked += 1
    assert checked >= 25
    assert b.api.get(f"/api/v1/people/{b.person_id}").json() == before
    assert b.api.get(f"/api/v1/runs/{b.run_id}").json()["state"] == "succeeded"


# --- roles ---------------------------------------------------------------------------------

USER_ROUTES = {"/", "/me", "/password", "/login", "/logout", "/api/v1/me", "/api/v1/me/person"}
OPEN_ROUTES = {"/api/v1/webhooks/merge"}


def test_a_plain_user_is_refused_every_admin_route(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    user = site.login(a.account_id, "pat@acme.example", role=Role.USER, person_id=a.person_id)
    checked = 0
    for route_path, methods in _routes():
        if route_path in USER_ROUTES | OPEN_ROUTES:
            continue
        for method in sorted(methods):
            path = _fill(route_path, a) if route_path not in NOT_RECORDS else route_path
            response = user.request(method, path, json={})
            assert response.status_code == 403, (method, path, response.status_code)
            checked += 1
    assert checked >= 40
    own = user.get("/api/v1/me/person").json()
    assert own["id"] == a.person_id
    assert user.get("/me").status_code == 200


def test_without_a_login_pages_go_to_sign_in_and_the_api_says_401(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    anonymous = site.client()
    page = anonymous.get(f"/users/{a.person_id}")
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/users/{a.person_id}"
    api = anonymous.get("/api/v1/people")
    assert api.status_code == 401
    assert set(api.json()["error"]) >= {"code", "message", "hint"}
    wrong = site.api("pst_not-a-token").get("/api/v1/people")
    assert wrong.status_code == 401


def test_a_wrong_password_is_refused_without_saying_which_part(site: Site) -> None:
    account_id = site.account("Zeta")
    site.add_login(account_id, "zoe@zeta.example")
    client = site.client()
    for email in ("zoe@zeta.example", "nobody@zeta.example"):
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong password!", "csrf_token": token.group(1)},
        )
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert "ps_session" not in response.cookies


def test_repeated_wrong_passwords_lock_the_login(site: Site) -> None:
    account_id = site.account("Nu")
    site.add_login(account_id, "nina@nu.example")
    client = site.client()

    def sign_in(password: str) -> httpx.Response:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        return client.post(
            "/login",
            data={"email": "nina@nu.example", "password": password, "csrf_token": token.group(1)},
        )

    for _ in range(MAX_FAILED_LOGINS):
        assert sign_in("not the password").status_code == 401
    locked = sign_in(PASSWORD)  # the right one, too late: each failure was committed
    assert locked.status_code == 401
    assert "Too many failed sign-ins" in locked.text
    assert "ps_session" not in locked.cookies


def test_an_admin_adds_a_user_who_signs_in_to_their_own_profile(site: Site) -> None:
    account_id = site.account("Xi")
    api = site.api(site.token(account_id))
    import_csv(api, sample_path("acme-1.csv").read_bytes(), "xi.csv")
    admin = site.login(account_id, "root@xi.example")

    made = api.post(
        "/api/v1/logins", json={"email": "Jonas.Becker@acme.example", "role": "user"}
    ).json()
    assert made["person_id"] is not None  # linked to the directory record with that email
    user = site.client()
    form = user.get("/login")
    signed_in = user.post(
        "/login",
        data={
            "email": "jonas.becker@acme.example",
            "password": made["password"],
            "csrf_token": csrf_of(form.text),
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"
    me = user.get("/me")
    assert "Jonas Becker" in me.text
    assert "Berlin" in me.text
    assert user.get("/users").status_code == 403
    csrf = csrf_of(me.text)
    wrong = user.post("/password", data={"current": "nope", "new": "x" * 12, "csrf_token": csrf})
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    changed = user.post(
        "/password",
        data={"current": made["password"], "new": "my own long password", "csrf_token": csrf},
    )
    assert changed.status_code == 303
    with pytest.raises(AuthenticationError), unit_of_work(site.web.factory) as session:
        access.authenticate(session, "jonas.becker@acme.example", made["password"], now=NOW)
    with unit_of_work(site.web.factory) as session:
        access.authenticate(session, "jonas.becker@acme.example", "my own long password", now=NOW)
    listed = api.get("/api/v1/logins").json()["logins"]
    assert made["password"] not in str(listed)

    page = admin.get("/settings/logins")
    assert "jonas.becker@acme.example".lower() in page.text.lower()
    own_id = next(x["id"] for x in listed if x["email"] == "root@xi.example")
    self_removal = admin.delete(f"/api/v1/logins/{own_id}")
    assert self_removal.status_code == 409
    assert admin.delete(f"/api/v1/logins/{made['id']}").json() == {"removed": made["id"]}
    assert user.get("/me").status_code == 303  # their session ended with the login


def test_open_redirects_after_sign_in_are_refused(site: Site) -> None:
    account_id = site.account("Eta")
    site.add_login(account_id, "eve@eta.example")
    client = site.client()
    form = client.get("/login?next=//evil.example/x")
    assert 'value="/"' in form.text
    assert "evil.example" not in form.text


# --- CSRF ----------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    session = a.browser
    no_token = session.post(
        "/settings/account/leavers",
        data={"policy": "deactivated"},
        headers={"X-CSRF-Token": ""},
    )
    assert no_token.status_code == 403
    assert "CSRF" in no_token.text
    forged = session.post(
        "/settings/account/leavers",
        data={"policy": "deactivated", "csrf_token": "forged"},
        headers={"X-CSRF-Token": ""},
    )
    assert forged.status_code == 403
    assert a.api.get("/api/v1/account").json()["leaver_policy"] == "former"
    good = session.post(
        "/settings/account/leavers",
        data={"policy": "deactivated", "csrf_token": session.headers["X-CSRF-Token"]},
    )
    assert good.status_code == 303
    assert a.api.get("/api/v1/account").json()["leaver_policy"] == "deactivated"
    session.post(
        "/settings/account/leavers",
        data={"policy": "former", "csrf_token": session.headers["X-CSRF-Token"]},
    )


def test_the_api_with_a_session_cookie_needs_the_csrf_header(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    refused = a.browser.patch(
        "/api/v1/account", json={"leaver_policy": "deactivated"}, headers={"X-CSRF-Token": "x"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert a.browser.get("/api/v1/account").json()["leaver_policy"] == "former"


def test_the_login_form_has_its_own_csrf_check(site: Site) -> None:
    account_id = site.account("Theta")
    site.add_login(account_id, "tom@theta.example")
    response = site.client().post(
        "/login", data={"email": "tom@theta.example", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert "ps_session" not in response.cookies


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
    assert signed.json() == {"action": "ignored"}  # no connection has that linked account
    assert a.api.get("/api/v1/runs").json()["runs"] == runs_before
