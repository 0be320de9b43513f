"""Sign-in over real HTTP, with clients calling from different loopback addresses: a password
change ends the login's other sessions; an address can have a login in two accounts without
either account learning of the other; every failed sign-in gets one answer in text and time;
the brake is per address and per login, so a stranger cannot lock an administrator out; wrong
API tokens are braked per address."""

from __future__ import annotations

import re
import threading
import time

import httpx
from sqlalchemy import text

from peoplesync.access.service import SIGN_IN_REFUSED
from peoplesync.access.throttle import BRAKE
from peoplesync.store.db import unit_of_work
from tests.web.site import PASSWORD, Site

_ALERT = re.compile(r'<p class="alert red" role="alert">(.*?)</p>', re.S)


def _alert(response: httpx.Response) -> str:
    found = _ALERT.search(response.text)
    assert found is not None, response.text
    return found.group(1)


def test_a_password_change_ends_the_other_sessions_of_the_login(site: Site) -> None:
    account_id = site.account("Omega")
    laptop = site.login(account_id, "olga@omega.example")
    phone = site.client()
    assert site.sign_in(phone, "Omega", "olga@omega.example").status_code == 303
    colleague = site.login(account_id, "otto@omega.example")
    assert phone.get("/password").status_code == 200

    changed = laptop.post(
        "/password",
        data={
            "current": PASSWORD,
            "new": "a brand new password",
            "csrf_token": laptop.headers["X-CSRF-Token"],
        },
    )
    assert changed.status_code == 303
    assert laptop.get("/password").status_code == 200  # the browser that changed it stays in
    assert phone.get("/password").status_code == 303  # the other session ended
    assert phone.get("/api/v1/me").status_code == 401
    assert colleague.get("/password").status_code == 200  # another login is untouched
    renewed = site.sign_in(site.client(), "Omega", "olga@omega.example", "a brand new password")
    assert renewed.status_code == 303


def test_an_address_has_a_login_in_two_accounts_and_neither_learns_of_the_other(
    site: Site,
) -> None:
    kappa, lambda_ = site.account("Kappa"), site.account("Lambda")
    site.add_login(kappa, "cfo@kappa.example")
    squatter = site.api(site.token(lambda_))
    made = squatter.post("/api/v1/logins", json={"email": "CFO@kappa.example", "role": "admin"})
    assert made.status_code == 201, made.text  # nothing says Kappa has that address
    assert made.json()["account"] == "Lambda"
    again = squatter.post("/api/v1/logins", json={"email": "cfo@kappa.example"})
    assert again.status_code == 409  # in one account, still one login per address

    real = site.client()
    assert site.sign_in(real, "Kappa", "cfo@kappa.example").status_code == 303
    assert real.get("/api/v1/me").json()["account"]["name"] == "Kappa"
    theirs = site.client()
    assert site.sign_in(theirs, "Lambda", "cfo@kappa.example", made.json()["password"]).status_code
    assert theirs.get("/api/v1/me").json()["account"]["name"] == "Lambda"
    crossed = site.sign_in(site.client(), "Lambda", "cfo@kappa.example")  # Kappa's password
    assert crossed.status_code == 401
    remembered = real.get("/login")  # the account of the last sign-in here is prefilled
    assert 'name="account" value="Kappa"' in remembered.text


def test_every_failed_sign_in_gets_one_answer_in_text_and_time(site: Site) -> None:
    site.add_login(site.account("Mu"), "max@mu.example")
    braked = site.client(address="127.0.0.21")
    for _ in range(BRAKE.per_login_and_client):
        site.sign_in(braked, "Mu", "max@mu.example", "not the password")
    cases = {
        "unknown account": (site.client(address="127.0.0.22"), "Nu Mu", "max@mu.example", PASSWORD),
        "unknown email": (site.client(address="127.0.0.23"), "Mu", "nobody@mu.example", PASSWORD),
        "wrong password": (site.client(address="127.0.0.24"), "Mu", "max@mu.example", "nope!"),
        "braked": (braked, "Mu", "max@mu.example", PASSWORD),  # the right password, too late
    }
    answers, fastest = {}, {}
    for case, (client, account, email, password) in cases.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            response = site.sign_in(client, account, email, password)
            times.append(time.perf_counter() - started)
            assert response.status_code == 401, case
            assert "ps_session" not in response.cookies
            answers[case] = _alert(response)
        fastest[case] = min(times)  # the least disturbed by other work on the machine
    assert set(answers.values()) == {answers["wrong password"]}, answers
    assert SIGN_IN_REFUSED in answers["braked"]
    # Each refusal verifies one argon2 hash (of a dummy where no login is): none is measurably
    # quicker. Without that, an unknown email answered in a few ms against ~50 ms or more.
    slowest = max(fastest.values())
    assert all(t > slowest / 2 for t in fastest.values()), fastest


def test_a_stranger_on_one_address_cannot_lock_an_admin_out(site: Site) -> None:
    site.add_login(site.account("Nu"), "nina@nu.example")
    stranger = site.client(address="127.0.0.31")
    for _ in range(BRAKE.per_login_and_client + 1):
        assert site.sign_in(stranger, "Nu", "nina@nu.example", "a guess").status_code == 401
    assert site.sign_in(stranger, "Nu", "nina@nu.example").status_code == 401  # braked
    admin = site.client(address="127.0.0.32")
    assert site.sign_in(admin, "Nu", "nina@nu.example").status_code == 303


def test_one_address_trying_many_logins_is_braked_for_all_of_them(site: Site) -> None:
    site.add_login(site.account("Xi"), "xena@xi.example")
    sprayer = site.client(address="127.0.0.41")
    for n in range(BRAKE.per_client):
        assert site.sign_in(sprayer, "Xi", f"user{n}@xi.example", "a guess").status_code == 401
    assert site.sign_in(sprayer, "Xi", "xena@xi.example").status_code == 401  # braked
    elsewhere = site.client(address="127.0.0.42")
    assert site.sign_in(elsewhere, "Xi", "xena@xi.example").status_code == 303


def test_wrong_api_tokens_are_braked_per_address(site: Site) -> None:
    token = site.token(site.account("Pi"))
    prober = site.client(address="127.0.0.51")
    for n in range(BRAKE.tokens_per_client):
        wrong = prober.get("/api/v1/me", headers={"Authorization": f"Bearer pst_guess{n}"})
        assert wrong.status_code == 401
    braked = prober.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert braked.status_code == 429
    assert braked.json()["error"]["code"] == "rate_limited"
    elsewhere = site.client(address="127.0.0.52")
    ok = elsewhere.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200


def test_who_is_asking_is_read_without_the_write_lock(site: Site) -> None:
    """A signed-in page's session, and a token used a moment ago, are looked up in a read-only
    unit of work: a GET answers while another request holds SQLite's write lock."""
    account_id = site.account("Rho")
    browser = site.login(account_id, "rita@rho.example")
    api = site.api(site.token(account_id))
    assert api.get("/api/v1/me").status_code == 200  # its first use is noted now
    held, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with unit_of_work(site.web.factory) as session:
            session.execute(
                text("UPDATE accounts SET name = name WHERE id = :i"), {"i": account_id}
            )
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert held.wait(10)
        for client in (browser, api):
            for path in ("/api/v1/me", "/api/v1/logins", "/api/v1/api-tokens"):
                assert client.get(path, timeout=5).status_code == 200, path
    finally:
        release.set()
        holder.join()
