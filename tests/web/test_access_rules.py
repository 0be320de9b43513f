"""Who may do what, over real HTTP: account isolation for every route, roles, signing in,
logins, CSRF, and hostile input shown as text."""

from __future__ import annotations

import re

import pytest

from peoplesync.access import service as access
from peoplesync.access.service import Role
from peoplesync.cli.demo import sample_path
from peoplesync.errors import AuthenticationError
from peoplesync.store.db import unit_of_work
from peoplesync.web.app import all_routes
from tests.web.site import Site, csrf_of
from tests.web.tenants import NOW, Tenant, import_csv

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
        "slug": "justworks",
        "provider": "justworks",
        "source": "merge",
        "held_id": other.held_id,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


# Routes whose path names something of the caller's own account, not another account's record
# (a field name), or a record account B does not have (an outbox email).
NOT_RECORDS = {"/api/v1/redaction/{field}", "/settings/outbox/{email_id}"}
# An HR system's slug names the caller's own connection to it (every account may have one), a
# mapping's source the caller's own mapping of it.
PROVIDER_PARAMS = {"{slug}", "{provider}", "{source}"}


def _requests(other: Tenant) -> list[tuple[str, str]]:
    return [
        (method, _fill(path, other))
        for path, methods in _routes()
        if "{" in path
        and path not in NOT_RECORDS
        and not set(re.findall(r"\{\w+\}", path)) <= PROVIDER_PARAMS
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
# The operator's view: opened by the operator token, never by an account's login (test_operator).
OPERATOR_ROUTES = {"/operator", "/api/v1/operator/fleet"}


def test_a_plain_user_is_refused_every_admin_route(
    site: Site, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    user = site.login(a.account_id, "pat@acme.example", role=Role.USER, person_id=a.person_id)
    checked = 0
    for route_path, methods in _routes():
        if route_path in USER_ROUTES | OPEN_ROUTES | OPERATOR_ROUTES:
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


def test_an_admin_adds_a_user_who_signs_in_to_their_own_profile(site: Site) -> None:
    account_id = site.account("Xi")
    api = site.api(site.token(account_id))
    import_csv(api, sample_path("acme-1.csv").read_bytes(), "xi.csv")
    admin = site.login(account_id, "root@xi.example")

    made = api.post(
        "/api/v1/logins", json={"email": "Jonas.Becker@acme.example", "role": "user"}
    ).json()
    assert made["person_id"] is not None  # linked to the directory record with that email
    assert made["account"] == "Xi"
    user = site.client()
    invited = user.get(made["sign_in_url"].removeprefix(site.url))
    assert 'name="account" value="Xi"' in invited.text
    signed_in = user.post(
        "/login",
        data={
            "account": "Xi",
            "email": "jonas.becker@acme.example",
            "password": made["password"],
            "csrf_token": csrf_of(invited.text),
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

    def sign_in(password: str) -> None:
        with unit_of_work(site.web.factory) as session:
            access.authenticate(
                session,
                account="Xi",
                email="jonas.becker@acme.example",
                password=password,
                client="x",
                now=NOW,
            )

    with pytest.raises(AuthenticationError):
        sign_in(made["password"])
    sign_in("my own long password")
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
