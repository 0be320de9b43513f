"""What the JSON API answers: one pydantic model per answer, so that `/api/v1/openapi.json`
describes every response (and FastAPI checks each answer against it).

A person's core values come from the field schema (`core/fields.py`): the person models are built
from it, so a new core field appears in the API's answers and its document by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from peoplesync.core.fields import VALUE_FIELDS

# --- what requests may carry: every value bounded, so a hostile one is a 422, never a 500 ------

MAX_ID: Final = 2**31 - 1  # the databases' integer keys
MAX_OFFSET: Final = 10_000_000
MAX_LIMIT: Final = 500
MAX_TEXT: Final = 1_000


def plain_text(value: str) -> str:
    """Text a database can keep: no NUL character, no lone surrogate (JSON's "\\ud800")."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate, which is not text") from None
    return value


Text = Annotated[str, AfterValidator(plain_text), Field(max_length=MAX_TEXT)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
PersonId = Annotated[str, Path(max_length=64), AfterValidator(plain_text)]
FieldName = Annotated[str, Path(max_length=200), AfterValidator(plain_text)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Search = Annotated[str | None, Query(max_length=200), AfterValidator(lambda v: v and plain_text(v))]
Word = Annotated[str | None, Query(max_length=40), AfterValidator(lambda v: v and plain_text(v))]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Answer):
    code: str
    message: str
    hint: str | None = None
    context: dict[str, Any] | None = None


class ErrorOut(Answer):
    """The one error shape of every endpoint."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": words}
    for status, words in (
        (401, "Not signed in, or a wrong token"),
        (403, "Not allowed"),
        (404, "Not found (or not this account's)"),
        (409, "A conflict: a sync already runs, a plan the directory moved past"),
        (422, "Bad input: what is wrong and where"),
        (429, "Too many attempts: wait"),
    )
}


# --- account settings -------------------------------------------------------------------------


class AutoSyncOut(Answer):
    enabled: bool
    time: str = Field(description="HH:MM, in the account's time zone")
    timezone: str
    last_local_date: str | None
    next_run_at: str | None = Field(description="ISO 8601, UTC; null when off")


class AccountOut(Answer):
    id: int
    name: str
    leaver_policy: str
    timezone: str
    leaver_threshold_share: float
    leaver_threshold_count: int | None
    redacted_fields: list[str]
    alert_emails: list[str]
    hold_per_person: bool = Field(
        description="an automated sync's safeguard finding holds only the flagged people"
    )
    auto_sync: AutoSyncOut


class RedactionOut(Answer):
    redacted_fields: list[str]


class RedactedOut(RedactionOut):
    purged: dict[str, int] = Field(
        description="Per field switched on: how many people's values were removed"
    )


# --- the HRIS connection ----------------------------------------------------------------------


class RunBriefOut(Answer):
    id: int
    state: str
    active: bool
    working: bool = Field(
        description="A worker fetches, plans or imports it now (false while it waits for review)"
    )
    progress: dict[str, Any]


class BlockedRunOut(Answer):
    """The latest run, when the safeguards or validation blocked it."""

    id: int
    trigger_label: str
    created_at: str | None
    reason: str | None = Field(description="Why, and what to do, in the reason's own words")


class LatestRunOut(Answer):
    """The latest finished sync from the HRIS."""

    id: int
    state: str
    result: str = Field(description="Imported, Failed, Blocked, Cancelled or Expired")
    finished_at: str | None


class HeldOut(Answer):
    """A change an automated sync held back (issue 17); values only in `why`, as the guard's
    finding shows them (never a redacted field's, nor a birth date)."""

    id: int
    run_id: int = Field(description="The sync that held it")
    person_id: str
    kind: str = Field(description="create | update | leave | rehire")
    label: str
    reason: str = Field(description="privacy | mass_leaver | dependency")
    reason_label: str
    why: str
    status: str = Field(description="held | released | discarded | superseded | stale | kept_out")
    status_label: str
    fields: list[str]
    decided_by: str | None
    decided_at: str | None
    released_by_run: int | None = Field(description="The run that imported it, once released")
    note: str | None
    held_at: str


class HeldListOut(Answer):
    held: list[HeldOut]


class ReleasedOut(Answer):
    run_id: int | None = Field(description="The run that imported the released changes")
    released: list[int]
    refused: dict[str, str] = Field(description="Held change id -> why it was not released")
    held: list[HeldOut] = Field(description="What still waits")


class DiscardedOut(Answer):
    discarded: list[int]
    held: list[HeldOut] = Field(description="What still waits")


class ConnectionOut(BaseModel):
    """A connection as its page shows it (more keys may come: a client reads what it knows)."""

    model_config = ConfigDict(extra="allow")

    provider: str
    provider_name: str
    connected: bool
    status: str
    status_label: str
    active_run: RunBriefOut | None = None
    blocked_run: BlockedRunOut | None = None
    held: list[HeldOut] = Field(default_factory=list, description="Held for review")
    latest_run: LatestRunOut | None = None
    status_detail: str | None = None
    initial_sync: dict[str, Any] | None = None
    last_success_at: str | None = None
    can_sync: bool | None = None
    sync_disabled_reason: str | None = None
    integration_slug: str | None = None
    linked_account_id: str | None = None
    supported_fields: list[str] | None = None


# --- syncs and runs ---------------------------------------------------------------------------


class QueuedOut(Answer):
    queued: bool
    run_id: int | None = None
    poll: str = Field(description="Where to follow the run")


class IssueOut(Answer):
    severity: str
    code: str
    message: str
    hint: str
    location: str | None
    field: str | None
    who: str | None


class FindingOut(Answer):
    reason: str
    code: str
    message: str
    person_ids: list[str]
    people: list[str]
    fields: list[str]
    changes: list[list[str | None]]


class RunOut(Answer):
    id: int
    trigger: str
    trigger_label: str
    source_kind: str
    source_name: str | None
    partial: bool = Field(description="A partial import (a file): nobody left.")
    import_label: str | None = Field(description="A file run's kind of import, in words.")
    started_by: str | None
    state: str
    colour: str
    active: bool
    blocked_reason: str | None
    error: str | None
    import_date: str | None
    counts: dict[str, Any]
    issues: list[IssueOut]
    findings: list[FindingOut]
    confirmations: list[dict[str, Any]]
    progress: dict[str, Any]
    created_at: str | None
    finished_at: str | None
    next_step: str | None
    undoes_run_id: int | None = Field(description="An undo: the run whose changes it reverses.")
    undone_by_run_id: int | None = Field(description="The undo that reversed this run, if any.")
    can_undo: bool = Field(description="Imported changes no undo has reversed yet.")


class RunsOut(Answer):
    runs: list[RunOut]


class ChangeOut(Answer):
    field: str
    before: str | None
    after: str | None


class PlanItemOut(Answer):
    kind: str
    person_id: str
    label: str
    changes: list[ChangeOut]


class PlanItemsOut(Answer):
    total: int
    offset: int
    limit: int
    items: list[PlanItemOut]


# --- people -----------------------------------------------------------------------------------

_CORE_VALUES: dict[str, Any] = {
    f.name: (str | None, Field(None, description=f"{f.label} (dates ISO 8601)"))
    for f in VALUE_FIELDS
}
PersonRowOut = create_model(
    "PersonRowOut",
    __base__=Answer,
    id=(str, ...),
    status=(str, ...),
    source=(str | None, None),
    **_CORE_VALUES,
)
PersonOut = create_model(
    "PersonOut",
    __base__=PersonRowOut,
    source_id=(str | None, None),
    manager_id=(str | None, None),
    manager=(str | None, Field(None, description="The manager as 'Name <email>'")),
    demographics=(dict[str, str], ...),
)
PeopleOut = create_model(
    "PeopleOut",
    __base__=Answer,
    total=(int, ...),
    offset=(int, ...),
    limit=(int, ...),
    people=(list[PersonRowOut], ...),
)


class HistoryRowOut(Answer):
    run_id: int | None
    field: str
    before: str | None
    after: str | None
    actor: str | None
    changed_at: str | None


class HistoryOut(Answer):
    history: list[HistoryRowOut]


class DemographicOut(Answer):
    id: int
    name: str
    people: int


class DemographicsOut(Answer):
    demographics: list[DemographicOut]


class DeletedDemographicOut(Answer):
    deleted: int
    values_removed: int


class EmailOut(Answer):
    id: int
    kind: str
    status: str
    to: list[str]
    subject: str
    body: str
    created_at: str | None


class OutboxOut(Answer):
    emails: list[EmailOut]


class WebhookOut(Answer):
    action: str
    reason: str | None = None


# --- access -----------------------------------------------------------------------------------


class LoginOut(Answer):
    id: int
    email: str
    name: str | None
    role: str
    person_id: str | None
    last_login_at: str | None


class LoginsOut(Answer):
    logins: list[LoginOut]


class InvitedOut(Answer):
    id: int
    email: str
    role: str
    person_id: str | None
    password: str = Field(description="The one-time password: shown once")
    account: str = Field(description="What its owner types in the sign-in form's Account field")
    sign_in_url: str


class RemovedOut(Answer):
    removed: int


class AccountRefOut(Answer):
    id: int
    name: str


class MeOut(Answer):
    account: AccountRefOut
    role: str


class TokenOut(Answer):
    id: int
    name: str
    prefix: str
    created_by: str | None
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class TokensOut(Answer):
    tokens: list[TokenOut]


class NewTokenOut(Answer):
    id: int
    name: str
    token: str = Field(description="The token itself: shown once, stored hashed")


class RevokedOut(Answer):
    revoked: int


class InFlightOut(Answer):
    run_id: int
    account_id: int
    account: str
    state: str
    trigger: str
    queued_at: datetime
    heartbeat_at: datetime | None
    fetched: int | None
    rate_limited_seconds: float


class FailingOut(Answer):
    account_id: int
    account: str
    failures: int
    last_error: str | None
    last_at: datetime


class FleetOut(Answer):
    """The operator's view of every account (GET /api/v1/operator/fleet)."""

    accounts: int
    in_flight: list[InFlightOut]
    failing: list[FailingOut]
    queued_tasks: int
    scheduled_tasks: int
    workers_alive: bool
    rate_limited: list[int]  # run ids waiting on Merge's rate limit
