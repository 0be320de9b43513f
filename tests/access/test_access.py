"""Logins: argon2 passwords, the brute-force brake, sessions and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from peoplesync.access import service as access
from peoplesync.access.service import LOCKOUT, MAX_FAILED_LOGINS, Role
from peoplesync.errors import AuthenticationError, ConflictError, InputError
from peoplesync.store.models import Account, Login

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
PASSWORD = "a long enough password"


def _login(session: Session, account: Account, email: str = "ada@acme.example") -> Login:
    return access.create_login(
        session, account, email=email, name="Ada", password=PASSWORD, role=Role.ADMIN, now=NOW
    )


def _fail(session: Session, times: int, *, now: datetime = NOW) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError, match="Wrong email or password"):
            access.authenticate(session, "ada@acme.example", "wrong password", now=now)


def test_passwords_are_argon2_and_never_stored_plain(session: Session, account: Account) -> None:
    login = _login(session, account)
    assert login.password_hash.startswith("$argon2id$")
    assert PASSWORD not in login.password_hash
    assert access.authenticate(session, " ADA@acme.example ", PASSWORD, now=NOW) is login
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


def test_a_success_clears_the_failures_before_the_limit(session: Session, account: Account) -> None:
    login = _login(session, account)
    _fail(session, MAX_FAILED_LOGINS - 1)
    assert login.failed_logins == MAX_FAILED_LOGINS - 1
    assert access.authenticate(session, "ada@acme.example", PASSWORD, now=NOW) is login
    assert login.failed_logins == 0
    assert login.locked_until is None


def test_too_many_failures_lock_the_login_for_a_while(session: Session, account: Account) -> None:
    login = _login(session, account)
    _fail(session, MAX_FAILED_LOGINS)
    assert login.locked_until == NOW + LOCKOUT
    with pytest.raises(AuthenticationError, match="Too many failed sign-ins") as refused:
        access.authenticate(session, "ada@acme.example", PASSWORD, now=NOW + timedelta(minutes=1))
    assert refused.value.hint is not None
    assert "14 minute" in refused.value.hint
    later = NOW + LOCKOUT + timedelta(seconds=1)
    assert access.authenticate(session, "ada@acme.example", PASSWORD, now=later) is login
    assert login.locked_until is None


def test_an_unknown_email_is_refused_like_a_wrong_password(
    session: Session, account: Account
) -> None:
    _login(session, account)
    with pytest.raises(AuthenticationError) as unknown:
        access.authenticate(session, "nobody@acme.example", PASSWORD, now=NOW)
    with pytest.raises(AuthenticationError) as wrong:
        access.authenticate(session, "ada@acme.example", "not it at all", now=NOW)
    assert unknown.value.message == wrong.value.message


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
    principal = access.token_principal(session, plain, now=NOW)
    assert principal is not None
    assert principal.actor == f"api:{token.prefix}"
    access.revoke_api_token(session, account.id, token.id, now=NOW)
    assert access.token_principal(session, plain, now=NOW) is None


def test_logins_are_removed_but_never_yourself_nor_the_last_admin(
    session: Session, account: Account
) -> None:
    ada = _login(session, account)
    password, pat = access.invite_login(
        session, account, email="pat@acme.example", name="Pat", role=Role.USER, now=NOW
    )
    assert access.authenticate(session, "pat@acme.example", password, now=NOW) is pat
    assert pat.person_id is None  # nobody in this directory has that email
    with pytest.raises(ConflictError, match="your own login"):
        access.remove_login(session, account.id, ada.id, by_login=ada.id)
    with pytest.raises(ConflictError, match="last administrator"):
        access.remove_login(session, account.id, ada.id, by_login=None)  # an API token
    assert access.remove_login(session, account.id, pat.id, by_login=ada.id) == "pat@acme.example"
    assert [x.email for x in access.list_logins(session, account.id)] == ["ada@acme.example"]
