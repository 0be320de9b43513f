"""Logins: argon2 passwords, one login per address in each account, one answer to every failed
sign-in, the brake per address and per login, sessions and API tokens (on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from peoplesync.access import service as access
from peoplesync.access.service import SIGN_IN_HINT, SIGN_IN_REFUSED, Role
from peoplesync.access.throttle import BRAKE, Brake
from peoplesync.accounts.service import create_account
from peoplesync.errors import AuthenticationError, ConflictError, InputError, RateLimitedError
from peoplesync.store.models import Account, Login, SignInFailure

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
PASSWORD = "a long enough password"
# The brake's shape with smaller numbers (each attempt costs an argon2 verification).
SMALL = Brake(per_login_and_client=2, per_client=5, per_login=6, tokens_per_client=3)
assert (
    BRAKE.per_login // BRAKE.per_login_and_client,
    SMALL.per_login // SMALL.per_login_and_client,
) == (10, 3)
WINDOW = SMALL.window
MAX_FAILURES_PER_LOGIN_AND_CLIENT = SMALL.per_login_and_client
MAX_FAILURES_PER_CLIENT = SMALL.per_client
MAX_FAILURES_PER_LOGIN = SMALL.per_login
MAX_TOKEN_FAILURES_PER_CLIENT = SMALL.tokens_per_client


def _login(session: Session, account: Account, email: str = "ada@acme.example") -> Login:
    return access.create_login(
        session, account, email=email, name="Ada", password=PASSWORD, role=Role.ADMIN, now=NOW
    )


def _sign_in(
    session: Session,
    account: Account,
    password: str = PASSWORD,
    *,
    email: str = "ada@acme.example",
    client: str = "198.51.100.7",
    now: datetime = NOW,
) -> Login:
    return access.authenticate(
        session,
        account=account.name,
        email=email,
        password=password,
        client=client,
        now=now,
        brake=SMALL,
    )


def _fail(session: Session, account: Account, times: int, **how: Any) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError) as refused:
            _sign_in(session, account, "wrong password", **how)
        assert refused.value.message == SIGN_IN_REFUSED


def test_passwords_are_argon2_and_never_stored_plain(session: Session, account: Account) -> None:
    login = _login(session, account)
    assert login.password_hash.startswith("$argon2id$")
    assert PASSWORD not in login.password_hash
    assert _sign_in(session, account, email=" ADA@acme.example ") is login
    with pytest.raises(InputError, match="too short"):
        access.create_login(
            session,
            account,
            email="b@acme.example",
            name="B",
            password="short",
            role=Role.USER,
            now=NOW,
        )
    with pytest.raises(ConflictError, match="already exists"):
        _login(session, account, "Ada@ACME.example")


def test_an_address_has_a_login_in_each_account_and_sign_in_names_the_account(
    session: Session, account: Account
) -> None:
    ours = _login(session, account)
    other = create_account(session, f"Other {account.name}", now=NOW)
    theirs = access.create_login(
        session,
        other,
        email="ADA@acme.example",
        name="Not Ada",
        password="their own password",
        role=Role.ADMIN,
        now=NOW,
    )  # nothing says the address has a login elsewhere
    assert _sign_in(session, account) is ours
    assert _sign_in(session, other, "their own password") is theirs
    assert _sign_in(session, account, client="203.0.113.1").account_id == account.id
    with pytest.raises(AuthenticationError):
        _sign_in(session, other)  # our password opens only our account
    named = access.authenticate(
        session,
        account=account.name.upper() + "  ",
        email="ada@acme.example",
        password=PASSWORD,
        client="x",
        now=NOW,
    )
    assert named is ours  # the name in any case, spaces trimmed


def test_every_failure_gets_one_answer(session: Session, account: Account) -> None:
    _login(session, account)
    answers = set()
    for email, password in (("nobody@acme.example", PASSWORD), ("ada@acme.example", "not it")):
        with pytest.raises(AuthenticationError) as refused:
            _sign_in(session, account, password, email=email)
        answers.add(refused.value.admin_message())
    with pytest.raises(AuthenticationError) as unknown_account:
        access.authenticate(
            session,
            account="No such account",
            email="ada@acme.example",
            password=PASSWORD,
            client="x",
            now=NOW,
        )
    answers.add(unknown_account.value.admin_message())
    _fail(session, account, MAX_FAILURES_PER_LOGIN_AND_CLIENT, client="braked")
    with pytest.raises(AuthenticationError) as braked:
        _sign_in(session, account, client="braked")  # the right password, too late
    answers.add(braked.value.admin_message())
    assert answers == {f"{SIGN_IN_REFUSED} {SIGN_IN_HINT}"}


def test_the_brake_per_login_and_address_and_its_window(session: Session, account: Account) -> None:
    login = _login(session, account)
    _fail(session, account, MAX_FAILURES_PER_LOGIN_AND_CLIENT - 1)
    assert _sign_in(session, account) is login  # a success forgives its own address's failures
    _fail(session, account, MAX_FAILURES_PER_LOGIN_AND_CLIENT)
    with pytest.raises(AuthenticationError):
        _sign_in(session, account, now=NOW + WINDOW - timedelta(seconds=1))
    assert _sign_in(session, account, client="another address") is login
    assert _sign_in(session, account, now=NOW + WINDOW + timedelta(seconds=1)) is login


def test_the_brake_per_address_covers_every_login(session: Session, account: Account) -> None:
    login = _login(session, account)
    for n in range(MAX_FAILURES_PER_CLIENT):
        with pytest.raises(AuthenticationError):
            _sign_in(session, account, email=f"guess{n}@acme.example", client="sprayer")
    with pytest.raises(AuthenticationError):
        _sign_in(session, account, client="sprayer")
    assert _sign_in(session, account, client="the admin") is login


def test_only_many_addresses_together_brake_a_login_for_everyone(
    session: Session, account: Account
) -> None:
    login = _login(session, account)
    per_address = MAX_FAILURES_PER_LOGIN_AND_CLIENT
    addresses_needed = MAX_FAILURES_PER_LOGIN // per_address
    for n in range(addresses_needed - 1):  # each braked after per_address: the rest not counted
        _fail(session, account, per_address + 1, client=f"bot {n}")
    assert _sign_in(session, account, client="the admin") is login
    _fail(session, account, per_address, client="one bot more")
    with pytest.raises(AuthenticationError):
        _sign_in(session, account, client="the admin")
    unknown = "nobody@acme.example"  # counted and braked as a real login would be
    for n in range(addresses_needed):
        _fail(session, account, per_address, client=f"bot {n}", email=unknown)
    with pytest.raises(AuthenticationError):
        _sign_in(session, account, client="yet another", email=unknown)
    assert session.query(SignInFailure).count() == 2 * MAX_FAILURES_PER_LOGIN


def test_the_service_brake_takes_ten_addresses_to_stop_a_login_for_everyone() -> None:
    assert BRAKE.per_login // BRAKE.per_login_and_client == 10
    assert BRAKE.per_login_and_client < BRAKE.per_client < BRAKE.per_login


def test_a_password_change_ends_the_other_sessions(session: Session, account: Account) -> None:
    login = _login(session, account)
    here = access.open_session(session, login, now=NOW)
    elsewhere = access.open_session(session, login, now=NOW)
    someone_else = access.open_session(session, _login(session, account, "b@acme.example"), now=NOW)
    access.change_password(
        session, login.id, current=PASSWORD, new="a new long password", now=NOW, keep_session=here
    )
    assert access.session_principal(session, here, now=NOW) is not None
    assert access.session_principal(session, elsewhere, now=NOW) is None
    assert access.session_principal(session, someone_else, now=NOW) is not None


def test_wrong_api_tokens_are_braked_per_address(session: Session, account: Account) -> None:
    plain, _ = access.create_api_token(session, account, name="ci", actor="ada", now=NOW)
    for n in range(MAX_TOKEN_FAILURES_PER_CLIENT):
        assert (
            access.token_principal(session, f"pst_guess{n}", client="prober", now=NOW, brake=SMALL)
            is None
        )
    with pytest.raises(RateLimitedError):
        access.token_principal(session, plain, client="prober", now=NOW, brake=SMALL)
    assert access.token_principal(session, plain, client="ci", now=NOW, brake=SMALL) is not None
    later = NOW + WINDOW + timedelta(seconds=1)
    assert access.token_principal(session, plain, client="prober", now=later, brake=SMALL)


def test_a_token_check_reads_and_writes_only_what_follows(
    session: Session, account: Account
) -> None:
    plain, token = access.create_api_token(session, account, name="ci", actor="ada", now=NOW)
    first = access.check_token(session, plain, client="ci", now=NOW)
    assert first.principal is not None
    assert first.needs_write  # never used yet
    access.settle_token_check(session, first, client="ci", now=NOW)
    session.refresh(token)
    assert token.last_used_at == NOW
    soon = access.check_token(session, plain, client="ci", now=NOW + timedelta(seconds=30))
    assert soon.principal is not None
    assert not soon.needs_write  # used a moment ago: nothing to write
    later = NOW + access.LAST_USE_RESOLUTION
    assert access.check_token(session, plain, client="ci", now=later).needs_write
    wrong = access.check_token(session, "pst_wrong", client="ci", now=NOW)
    assert (wrong.principal, wrong.needs_write) == (None, True)  # a failure to count
    access.settle_token_check(session, wrong, client="ci", now=NOW, brake=SMALL)
    assert session.query(SignInFailure).count() == 1


def test_sessions_and_tokens_are_stored_only_as_digests(session: Session, account: Account) -> None:
    login = _login(session, account)
    cookie = access.open_session(session, login, now=NOW)
    found = access.session_principal(session, cookie, now=NOW + timedelta(hours=1))
    assert found is not None
    assert found.account_id == account.id
    assert found.is_admin
    assert access.session_principal(session, cookie, now=NOW + access.SESSION_LIFETIME) is None
    plain, token = access.create_api_token(session, account, name="ci", actor="ada", now=NOW)
    assert plain not in token.token_hash
    assert token.prefix == plain[: len(token.prefix)]
    principal = access.token_principal(session, plain, client="x", now=NOW)
    assert principal is not None
    assert principal.actor == f"api:{token.prefix}"
    access.revoke_api_token(session, account.id, token.id, now=NOW)
    assert access.token_principal(session, plain, client="x", now=NOW) is None


def test_logins_are_removed_but_never_yourself_nor_the_last_admin(
    session: Session, account: Account
) -> None:
    ada = _login(session, account)
    password, pat = access.invite_login(
        session, account, email="pat@acme.example", name="Pat", role=Role.USER, now=NOW
    )
    assert _sign_in(session, account, password, email="pat@acme.example") is pat
    assert pat.person_id is None  # nobody in this directory has that email
    with pytest.raises(ConflictError, match="your own login"):
        access.remove_login(session, account.id, ada.id, by_login=ada.id)
    with pytest.raises(ConflictError, match="last administrator"):
        access.remove_login(session, account.id, ada.id, by_login=None)  # an API token
    assert access.remove_login(session, account.id, pat.id, by_login=ada.id) == "pat@acme.example"
    assert [x.email for x in access.list_logins(session, account.id)] == ["ada@acme.example"]
