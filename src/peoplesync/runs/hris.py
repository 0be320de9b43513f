"""A sync from the connected HRIS (Justworks through Merge), from fetch to stored plan.

    check status -> start run -> fetch (full or since the last fetch's start) -> mirror -> plan

Network calls happen between units of work, never inside one: a run is visible as "fetching"
while pages arrive, and a failed fetch leaves a failed run saying why, the directory untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx
import structlog
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import get_account, local_today
from peoplesync.config import Settings
from peoplesync.connections import service as connections
from peoplesync.core.employee import SourceSnapshot
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.guard import SourceState
from peoplesync.core.issues import ValidationReport
from peoplesync.crypto import SecretBox
from peoplesync.errors import PeoplesyncError, ReconnectNeededError, SourceError
from peoplesync.runs.service import (
    PlanOutcome,
    fail_run,
    get_run,
    move,
    plan_run,
    plan_run_changes,
    start_run,
)
from peoplesync.runs.states import RunState
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.fetch import MergeFetch, fetch_employees
from peoplesync.sources.merge.mapping import DEMOGRAPHIC_SOURCES, provided_fields
from peoplesync.sources.merge.status import employee_sync_state
from peoplesync.store import mirror
from peoplesync.store.company import MirrorCompany
from peoplesync.store.db import checkpoint_meanwhile, unit_of_work
from peoplesync.store.models import Connection, SyncRun

log = structlog.get_logger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HrisContext:
    """What an HRIS sync needs beyond the database. `transport` is the test seam."""

    settings: Settings
    box: SecretBox
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], datetime] = field(default=_utcnow)
    progress_every_seconds: float = 1.0  # how often a fetch records its progress on the run

    def client(self, connection: Connection) -> MergeClient:
        api_key, token = connections.credentials(connection, self.box)
        return MergeClient(
            connection.base_url,
            api_key,
            token,
            transport=self.transport,
            page_size=self.settings.merge_page_size,
        )


def refresh_status(
    factory: sessionmaker[Session],
    account_id: int,
    ctx: HrisContext,
    *,
    timings: dict[str, float] | None = None,
) -> Connection:
    """Ask Merge how the linked account's sync stands; record it on the connection. The time
    its two calls took goes in `timings["http"]`, if given."""
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        client = ctx.client(connection)
    try:
        with client:
            state = employee_sync_state(client.sync_status())
            supported = client.available_actions()
    except ReconnectNeededError as err:
        _record_connection_error(factory, account_id, err)
        raise
    finally:
        if timings is not None:
            timings["http"] = timings.get("http", 0.0) + client.http_seconds
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        connections.record_initial_sync(
            connection, done=state.ready, progress=state.progress(), now=ctx.clock()
        )
        connection.supported_fields = sorted(supported) if supported is not None else None
        return connection


def sync_hris(
    factory: sessionmaker[Session],
    account_id: int,
    ctx: HrisContext,
    *,
    trigger: str = "manual",
    actor: str | None = None,
    full: bool = False,
    on_page: Callable[[int], None] | None = None,
) -> PlanOutcome:
    """Fetch, mirror and plan. Returns the outcome; a failed fetch is a failed run, not a raise."""
    status: dict[str, float] = {}
    refresh_status(factory, account_id, ctx, timings=status)
    with unit_of_work(factory) as session:
        account = get_account(session, account_id)
        connection = connections.get_connection(session, account_id)
        connections.ensure_syncable(connection)
        run = start_run(
            session,
            account,
            trigger=trigger,
            source_kind="merge",
            source_name=connections.PROVIDERS[connection.provider],
            actor=actor,
            now=ctx.clock(),
            connection_id=connection.id,
        )
        move(run, RunState.FETCHING, ctx.clock())
        session.flush()
        run_id = run.id
        since = None if full else connection.last_fetch_started_at
        redacted = frozenset(account.redacted_fields)
        client = ctx.client(connection)
    report = _progress_reporter(factory, run_id, on_page, ctx.progress_every_seconds)
    try:
        with client, checkpoint_meanwhile(factory):  # the disk catches up while Merge answers
            fetched = fetch_employees(
                client, modified_after=since, redacted=redacted, on_page=report
            )
    except SourceError as err:
        return _fetch_failed(factory, account_id, run_id, err, ctx)
    # The run's HTTP time counts every call to Merge: the status calls too, not the pages alone.
    fetched = replace(fetched, http_seconds=fetched.http_seconds + status.get("http", 0.0))
    return _plan_fetched(factory, account_id, run_id, fetched, ctx)


def _progress_reporter(
    factory: sessionmaker[Session],
    run_id: int,
    also: Callable[[int], None] | None,
    every: float,
) -> Callable[[int], None]:
    """Record on the run how many employees have been fetched (pages poll it), at most once per
    `every` seconds, each in its own short unit of work."""
    last = time.monotonic()

    def report(fetched: int) -> None:
        nonlocal last
        if also is not None:
            also(fetched)
        if time.monotonic() - last >= every:
            last = time.monotonic()
            with unit_of_work(factory) as session:
                stamp = update(SyncRun).where(SyncRun.id == run_id)
                session.execute(stamp.values(progress={"fetched": fetched}))

    return report


def _fetch_failed(
    factory: sessionmaker[Session],
    account_id: int,
    run_id: int,
    error: PeoplesyncError,
    ctx: HrisContext,
) -> PlanOutcome:
    log.warning("sync.fetch.failed", run_id=run_id, code=error.code)
    with unit_of_work(factory) as session:
        fail_run(get_run(session, account_id, run_id), error.admin_message(), ctx.clock())
    _record_connection_error(factory, account_id, error)
    return PlanOutcome(run_id, RunState.FAILED, ValidationReport(()), None, error.admin_message())


def _record_connection_error(
    factory: sessionmaker[Session], account_id: int, error: PeoplesyncError
) -> None:
    if not isinstance(error, ReconnectNeededError):
        return
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        connections.mark_reconnect_needed(connection, error.message)


def _plan_fetched(
    factory: sessionmaker[Session],
    account_id: int,
    run_id: int,
    fetched: MergeFetch,
    ctx: HrisContext,
) -> PlanOutcome:
    """Mirror what was fetched, then plan: only what changed when the directory is in step with
    the mirror (connections/mirror.py), else the whole company."""
    with unit_of_work(factory) as session:
        account = get_account(session, account_id)
        connection = connections.get_connection(session, account_id)
        run = get_run(session, account_id, run_id)
        started = time.perf_counter()
        mirror.update_mirror(
            session,
            connection,
            records=fetched.records,
            deleted=fetched.deleted_source_ids,
            full=fetched.full,
            run_id=run_id,
        )
        connections.mark_fetched(connection, fetch_started_at=fetched.started_at)
        basis = _basis(connection, frozenset(account.redacted_fields))
        run.mirror_basis = mirror.plan_basis(basis)
        run.timings = {
            "http": round(fetched.http_seconds, 4),
            "map": round(fetched.map_seconds, 4),
            "pages": fetched.pages,
            "mirror": round(time.perf_counter() - started, 4),
        }
        run.progress = {"fetched": len(fetched.records), "full": fetched.full}
        now = ctx.clock()
        today = local_today(account, now)
        state = _source_state(connection)
        changes = mirror.pending_changes(
            session, connection, version=account.directory_version, basis=basis, today=today
        )
        if changes is not None:
            company = MirrorCompany(session, account_id, connection.id)
            outcome = plan_run_changes(
                session, account, run, changes, company, today=today, now=now, source_state=state
            )
            if outcome is not None:
                return outcome
        snapshot = replace(basis, records=tuple(mirror.load_mirror(session, connection.id)))
        return plan_run(session, account, run, snapshot, today=today, now=now, source_state=state)


def _source_state(connection: Connection) -> SourceState:
    """What Merge said of its Employee sync when this sync began (for the stale-source guard)."""
    seen = connection.initial_sync or {}
    return SourceState(
        status=str(seen.get("status") or "UNKNOWN").upper(),
        provider=connections.PROVIDERS.get(connection.provider, connection.provider),
        detail=seen.get("reason"),
    )


def _basis(connection: Connection, redacted: frozenset[str]) -> SourceSnapshot:
    """What this sync compares (the fields and demographics the provider supports, less the
    redacted ones), as a snapshot still without records."""
    supported = connection.supported_fields
    provided = provided_fields(supported) - redacted
    demographics = frozenset(
        name
        for name, merge_field in DEMOGRAPHIC_SOURCES.items()
        if name not in redacted and (supported is None or merge_field in supported)
    )
    return SourceSnapshot(
        records=(),
        provided=provided & frozenset(CORE_FIELDS),
        demographic_names=demographics,
        complete=True,
        kind="merge",
    )
