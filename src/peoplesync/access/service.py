"""Who may use the web app and the API: logins (argon2id), browser sessions, API tokens.

A login belongs to one account, and its email is unique in that account only: the same address
may have a login in several accounts, and no account can learn (or take) an address another
uses. So sign-in names the account (its name; left empty, the only account there is, where the
service has one), then the email and the password. Every failed sign-in gets one answer
(SIGN_IN_REFUSED) after the same work: one account look-up, one login look-up, one argon2
verification (of a dummy hash when there is no such login) and the brake's counts, whether the
account or the email is unknown, the password wrong or the brake on (access/throttle.py).

A browser session is a random token in an HttpOnly cookie; the database keeps only its SHA-256,
with the session's CSRF token beside it. A password change ends the login's other sessions. An
API token is shown once when it is made and stored as its SHA-256 (a token is long and random,
so a fast hash is enough; passwords get argon2id); wrong tokens are braked per client address.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from peoplesync.access import throttle
from peoplesync.core.emails import email_problem
from peoplesync.core.employee import fold
from peoplesync.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    RateLimitedError,
)
from peoplesync.store.models import Account, ApiToken, Login, Person, WebSession

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "pst_"  # noqa: S105 - a prefix that marks our tokens, not a secret
# A token's last use is noted at most this often: a request within it writes nothing.
LAST_USE_RESOLUTION = timedelta(minutes=1)
# The one answer to every failed sign-in: it cannot say which part was wrong, nor whether the
# brake is on (which would say that the login exists).
SIGN_IN_REFUSED = "The account, email or password is not right, or there were too many tries."
SIGN_IN_HINT = (
    "Check all three and try again. After several failed tries, wait 15 minutes "
    "or ask an administrator of your account."
)

_hasher = PasswordHasher()
# Checked when no login has the address: a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such login: this only spends the same time")


class Role(enum.StrEnum):
    ADMIN = "admin"  # account administrator: settings, integrations, imports, every user
    USER = "user"  # their own record only


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a signed-in login (with its CSRF token) or an API token (admin rights)."""

    account_id: int
    role: Role
    actor: str  # what the history records as "who"
    login_id: int | None = None
    person_id: str | None = None
    csrf_token: str | None = None
    timezone: str = "UTC"  # the account's: the pages show times in it

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- logins --------------------------------------------------------------------------------


def create_login(
    session: Session,
    account: Account,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    now: datetime,
    person_id: str | None = None,
) -> Login:
    email = email.strip()
    if problem := email_problem(email):
        raise InputError(f"'{email}' is not a valid email: {problem}", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The password is too short ({len(password)} characters).",
            hint=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    key = fold(email)
    taken = select(Login.id).where(Login.account_id == account.id, Login.email_key == key)
    if session.scalar(taken) is not None:  # in this account: other accounts are not asked
        raise ConflictError(f"A login for {email} already exists.", field="email")
    login = Login(
        account_id=account.id,
        email=email,
        email_key=key,
        name=name.strip() or email,
        role=str(role),
        password_hash=_hasher.hash(password),
        person_id=person_id,
        created_at=now,
    )
    session.add(login)
    session.flush()
    return login


def authenticate(
    session: Session,
    *,
    account: str,
    email: str,
    password: str,
    client: str,
    now: datetime,
    brake: throttle.Brake = throttle.BRAKE,
) -> Login:
    """The login of this account, email and password, or AuthenticationError(SIGN_IN_REFUSED)
    whatever was wrong. `client` is the caller's address, for the brake. A failure is counted;
    the caller commits it before answering."""
    found = _account_named(session, account)
    email_key = fold(email.strip())
    login = session.scalar(
        select(Login).where(
            Login.account_id == (found.id if found else -1), Login.email_key == email_key
        )
    )
    target = throttle.login_key(found.id if found else fold(account.strip()), email_key)
    braked = throttle.sign_in_refused(session, client=client, target=target, now=now, brake=brake)
    verified = _verify(login.password_hash if login else _DUMMY_HASH, password)
    if braked or not verified or login is None:
        if not braked:
            kind = throttle.Kind.SIGN_IN
            throttle.record_failure(
                session, kind, client=client, target=target, now=now, brake=brake
            )
        raise AuthenticationError(SIGN_IN_REFUSED, hint=SIGN_IN_HINT)
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = _hasher.hash(password)
    login.last_login_at = now
    throttle.forgive(session, client=client, target=target)
    return login


def _account_named(session: Session, name: str) -> Account | None:
    """The account of this name (exact, else the one that differs only in case); with no name,
    the only account, where the service has exactly one."""
    name = name.strip()
    if not name:
        ids = session.scalars(select(Account.id).limit(2)).all()
        return session.get(Account, ids[0]) if len(ids) == 1 else None
    found = session.scalars(
        select(Account).where(func.lower(Account.name) == name.lower()).limit(5)
    ).all()
    exact = [a for a in found if a.name == name]
    return exact[0] if exact else (found[0] if len(found) == 1 else None)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    session: Session,
    login_id: int,
    *,
    current: str,
    new: str,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """Set a new password after checking the current one (e.g. replacing a one-time password).
    Every session of the login ends but `keep_session` (the cookie of the browser asking): a
    password changed because it leaked also locks out whoever signed in with it."""
    login = session.get(Login, login_id)
    if login is None:
        raise NotFoundError("This login no longer exists.")
    try:
        _hasher.verify(login.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InputError(
            "The current password is not right.", field="current", hint="Type it again."
        ) from None
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The new password is too short ({len(new)} characters).",
            hint=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            field="new",
        )
    login.password_hash = _hasher.hash(new)
    others = delete(WebSession).where(WebSession.login_id == login.id)
    if keep_session is not None:
        others = others.where(WebSession.token_hash != _digest(keep_session))
    session.execute(others)
    session.flush()


def list_logins(session: Session, account_id: int) -> list[Login]:
    return list(
        session.scalars(select(Login).where(Login.account_id == account_id).order_by(Login.email))
    )


def invite_login(
    session: Session, account: Account, *, email: str, name: str, role: Role, now: datetime
) -> tuple[str, Login]:
    """A login made by an administrator, with a one-time password (shown once, to pass on).
    It is linked to the directory person with the same email, who is their own page."""
    password = secrets.token_urlsafe(12)
    person = session.scalar(
        select(Person.id).where(Person.account_id == account.id, Person.email_key == fold(email))
    )
    login = create_login(
        session,
        account,
        email=email,
        name=name,
        password=password,
        role=role,
        now=now,
        person_id=person,
    )
    return password, login


def remove_login(session: Session, account_id: int, login_id: int, *, by_login: int | None) -> str:
    """Remove a login of the account (and its sessions). Not yourself, not the last admin."""
    login = session.scalar(
        select(Login).where(Login.id == login_id, Login.account_id == account_id)
    )
    if login is None:
        raise NotFoundError(f"There is no login {login_id} in this account.")
    if login.id == by_login:
        raise ConflictError("You cannot remove your own login.", hint="Ask another administrator.")
    admins = session.scalars(
        select(Login.id).where(Login.account_id == account_id, Login.role == Role.ADMIN.value)
    ).all()
    if login.role == Role.ADMIN and list(admins) == [login.id]:
        raise ConflictError(
            "This is the account's last administrator.", hint="Make another administrator first."
        )
    session.execute(delete(WebSession).where(WebSession.login_id == login.id))
    session.delete(login)
    session.flush()
    return login.email


# --- browser sessions ----------------------------------------------------------------------


def open_session(session: Session, login: Login, *, now: datetime) -> str:
    """Start a browser session; returns the cookie value (never stored as such)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            login_id=login.id,
            account_id=login.account_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return token


def session_principal(session: Session, token: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(WebSession, Login, Account.timezone)
        .join(Login, Login.id == WebSession.login_id)
        .join(Account, Account.id == Login.account_id)
        .where(WebSession.token_hash == _digest(token), WebSession.expires_at > now)
    ).first()
    if row is None:
        return None
    web, login, timezone = row
    return Principal(
        account_id=login.account_id,
        role=Role(login.role),
        actor=login.email,
        login_id=login.id,
        person_id=login.person_id,
        csrf_token=web.csrf_token,
        timezone=timezone,
    )


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


# --- API tokens ----------------------------------------------------------------------------


def create_api_token(
    session: Session, account: Account, *, name: str, actor: str | None, now: datetime
) -> tuple[str, ApiToken]:
    """A new token for the account's API; the plain value is returned here and only here."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=account.id,
        name=name.strip() or "API token",
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(plain),
        created_by=actor,
        created_at=now,
    )
    session.add(token)
    session.flush()
    return plain, token


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a token is worth, read without writing; `settle_token_check` writes what follows
    (a failure counted, or the token's last use), so a request reads in a read-only unit of
    work and writes only when there is something to write."""

    principal: Principal | None
    token_id: int | None = None
    touch: bool = False  # its last use is older than LAST_USE_RESOLUTION: note this one

    @property
    def needs_write(self) -> bool:
        return self.principal is None or self.touch


def check_token(
    session: Session,
    plain: str,
    *,
    client: str,
    now: datetime,
    brake: throttle.Brake = throttle.BRAKE,
) -> TokenCheck:
    """RateLimitedError when `client` sent too many wrong tokens lately, right or wrong now."""
    if throttle.token_refused(session, client=client, now=now, brake=brake):
        raise RateLimitedError(
            "Too many wrong API tokens came from your address.",
            hint=f"Wait {int(brake.window.total_seconds() // 60)} minutes, "
            "then send a valid token.",
        )
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(plain), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return TokenCheck(None)
    principal = Principal(account_id=token.account_id, role=Role.ADMIN, actor=f"api:{token.prefix}")
    last = token.last_used_at
    return TokenCheck(principal, token.id, last is None or now - last >= LAST_USE_RESOLUTION)


def settle_token_check(
    session: Session,
    check: TokenCheck,
    *,
    client: str,
    now: datetime,
    brake: throttle.Brake = throttle.BRAKE,
) -> None:
    if check.principal is None:
        kind = throttle.Kind.API_TOKEN
        throttle.record_failure(session, kind, client=client, now=now, brake=brake)
    elif check.touch:
        session.execute(
            update(ApiToken).where(ApiToken.id == check.token_id).values(last_used_at=now)
        )


def token_principal(
    session: Session,
    plain: str,
    *,
    client: str,
    now: datetime,
    brake: throttle.Brake = throttle.BRAKE,
) -> Principal | None:
    """The principal of a valid token, or None (the failure is counted for `client`: commit it).
    RateLimitedError when that address sent too many wrong tokens lately (one session: both
    `check_token` and `settle_token_check`)."""
    check = check_token(session, plain, client=client, now=now, brake=brake)
    settle_token_check(session, check, client=client, now=now, brake=brake)
    return check.principal


def list_api_tokens(session: Session, account_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id)
        )
    )


def revoke_api_token(session: Session, account_id: int, token_id: int, *, now: datetime) -> None:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id)
    )
    if token is None:
        raise NotFoundError(f"There is no API token {token_id}.")
    token.revoked_at = token.revoked_at or now
    session.flush()
