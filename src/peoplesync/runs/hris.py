"""The HRIS side of a sync (Justworks through Merge): what the sync use case (`runs.sync`) asks
of a connection.

    refresh_status   ask Merge how its own sync stands, record it on the connection
    open_source      the connection's `MergeSource`: the whole company, or what changed since
                     the last fetch began
    mirror_fetched   write what was fetched into the mirror (store/mirror.py)
    plan_mirrored    plan from it: only what changed when the directory is in step with the
                     mirror, else the whole company (only reads)

Network calls happen between units of work, never inside one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import httpx
import structlog
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import get_account, local_today
from peoplesync.config import Settings
from peoplesync.connections import mapping
from peoplesync.connections import service as connections
from peoplesync.core.employee import SourceEmployee
from peoplesync.core.guard import SourceState
from peoplesync.core.mapping import split_excluded
from peoplesync.core.states import RunState
from peoplesync.crypto import SecretBox
from peoplesync.errors import PeoplesyncError, ReconnectNeededError, RunCancelledError
from peoplesync.notify.service import Notifier
from peoplesync.runs.service import Planned, get_run, move, plan_company, plan_part
from peoplesync.sources.base import SourceBatch
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.factory import account_pacer, merge_client
from peoplesync.sources.merge.pacing import Pacer
from peoplesync.sources.merge.source import MergeSource
from peoplesync.sources.merge.status import employee_sync_state
from peoplesync.sources.merge.windows import windows_for
from peoplesync.store import mirror
from peoplesync.store.company import MirrorCompany
from peoplesync.store.db import reading, unit_of_work
from peoplesync.store.models import Account, Connection, SyncRun

log = structlog.get_logger(__name__)
_WORKING = (RunState.QUEUED, RunState.FETCHING)  # while the source is read


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

    def client(self, connection: Connection, pacer: Pacer | None = None) -> MergeClient:
        api_key, token = connections.credentials(connection, self.box)
        return merge_client(
            self.settings,
            base_url=connection.base_url,
            api_key=api_key,
            account_token=token,
            transport=self.transport,
            pacer=pacer,
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
            details = client.account_details()
            if details.relink_needed:
                name = connections.provider_name(connection)
                raise ReconnectNeededError(
                    f"Merge says the link to {name} needs its credentials again (RELINK_NEEDED).",
                    hint=f"Reconnect {name} from Settings > Data Integrations.",
                )
            state = employee_sync_state(client.sync_status())
            supported = client.available_actions()
    except ReconnectNeededError as err:
        record_connection_error(factory, account_id, err)
        raise
    finally:
        if timings is not None:
            timings["http"] = timings.get("http", 0.0) + client.http_seconds
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        connections.record_initial_sync(
            connection, done=state.ready, progress=state.progress(), now=ctx.clock()
        )
        connection.linked_account_id = connection.linked_account_id or details.id
        connection.supported_fields = sorted(supported) if supported is not None else None
        return connection


def open_source(
    session: Session, account: Account, connection: Connection, ctx: HrisContext, *, full: bool
) -> MergeSource:
    """The connection's source for this sync: everything (`full`, a first fetch, or a fetch
    under another field mapping than the mirror's), or what changed since the last fetch
    began."""
    pacer = account_pacer(ctx.settings)  # every client of this sync shares the budget
    api_key, token = connections.credentials(connection, ctx.box)
    base_url = connection.base_url

    def client_for() -> MergeClient:  # built in the fetch's threads, after this unit of work
        return merge_client(
            ctx.settings,
            base_url=base_url,
            api_key=api_key,
            account_token=token,
            transport=ctx.transport,
            pacer=pacer,
        )

    mapped = mapping.load_mapping(session, account.id, "merge")
    remapped = connection.mirror_mapping != mapped.key()  # the mirror was mapped otherwise
    return MergeSource(
        ctx.client(connection, pacer),
        name=connections.provider_name(connection),
        supported=connection.supported_fields,
        redacted=frozenset(account.redacted_fields),
        modified_after=None if full or remapped else connection.last_fetch_started_at,
        mapping=mapped,
        windows=windows_for(
            ctx.settings.merge_rate_limit_per_minute, ctx.settings.merge_fetch_windows
        ),
        client_for=client_for,
    )


def progress_reporter(
    factory: sessionmaker[Session],
    run_id: int,
    also: Callable[[int], None] | None,
    every: float,
    estimate: Callable[[], dict[str, float]] | None = None,
) -> Callable[[int], None]:
    """Record on the run how many employees have been read so far (pages poll it), with the
    source's `estimate` of the time left if it has one, at most once per `every` seconds, each
    in its own short unit of work; a run an admin cancelled meanwhile stops the read there."""
    last = time.monotonic()

    def report(fetched: int) -> None:
        nonlocal last
        if also is not None:
            also(fetched)
        if time.monotonic() - last >= every:
            last = time.monotonic()
            with unit_of_work(factory) as session:
                stamp = update(SyncRun).where(SyncRun.id == run_id, SyncRun.state.in_(_WORKING))
                progress = {"fetched": fetched, **(estimate() if estimate else {})}
                done = session.execute(stamp.values(progress=progress))
            if not done.rowcount:  # type: ignore[attr-defined]
                raise RunCancelledError(
                    "The sync was cancelled while it read the source; nothing was imported."
                )

    return report


def record_connection_error(
    factory: sessionmaker[Session], account_id: int, error: PeoplesyncError
) -> None:
    """A connection Merge no longer accepts says so on its page (and refuses syncs)."""
    if not isinstance(error, ReconnectNeededError):
        return
    with unit_of_work(factory) as session:
        connection = connections.get_connection(session, account_id)
        connections.mark_reconnect_needed(connection, error.message)


def mirror_fetched(
    session: Session, account: Account, run: SyncRun, source: MergeSource, batch: SourceBatch
) -> None:
    """Write what was fetched into the mirror (a short write: planning reads it afterwards)."""
    connection = connections.get_connection(session, account.id)
    started = time.perf_counter()
    mirror.update_mirror(
        session,
        connection,
        records=batch.snapshot.records,
        deleted=batch.deleted,
        full=batch.snapshot.complete,
        run_id=run.id,
    )
    if batch.started_at is not None:
        connections.mark_fetched(connection, fetch_started_at=batch.started_at)
    if batch.snapshot.complete:
        connection.mirror_mapping = source.mapping.key()
    run.mirror_basis = mirror.plan_basis(source.basis)
    run.timings = {
        **{k: round(v, 4) for k, v in batch.timings.items() if k != "pages"},
        "pages": int(batch.timings.get("pages", 0)),
        "mirror": round(time.perf_counter() - started, 4),
    }
    run.progress = {"fetched": len(batch.snapshot.records), "full": batch.snapshot.complete}


def plan_mirrored(
    session: Session,
    account: Account,
    source: MergeSource,
    *,
    today: date,
    fetched: Sequence[SourceEmployee] | None = None,
) -> tuple[Planned, SourceState]:
    """Plan from the mirror (only reads): only what changed when the directory is in step with
    it, else the whole company; with what Merge said of its own sync (for the guard).

    `fetched`: the records of a full fetch just written to the mirror. The whole company is then
    planned from them as the mirror holds them (one per source ID, in source-ID order) instead
    of being read back and decoded again: the same records, a second copy of 100,000 fewer."""
    connection = connections.get_connection(session, account.id)
    basis = source.basis
    state = _source_state(connection)
    changes = None
    if source.mapping.exclusion is None:  # excluded people are planned with the whole company
        changes = mirror.pending_changes(
            session, connection, version=account.directory_version, basis=basis, today=today
        )
    if changes is not None:
        company = MirrorCompany(session, account.id, connection.id)
        planned = plan_part(session, account, changes, company, today=today)
        if planned is not None:
            return planned, state
    if fetched is None:
        records = tuple(mirror.load_mirror(session, connection.id))
    else:
        records = tuple(mirror.as_mirrored(fetched))
    snapshot = replace(basis, records=records)
    return plan_company(session, account, split_excluded(snapshot), today=today), state


def mirror_and_plan(
    factory: sessionmaker[Session],
    account_id: int,
    run_id: int,
    source: MergeSource,
    batch: SourceBatch,
    *,
    clock: Callable[[], datetime],
) -> tuple[Planned, SourceState]:
    """Mirror what was fetched (a short write), then plan from it (only reads: no write lock
    while it computes)."""
    with unit_of_work(factory) as session:
        account = get_account(session, account_id)
        run = get_run(session, account_id, run_id)
        mirror_fetched(session, account, run, source, batch)
        move(run, RunState.PLANNING, clock())
    with reading(factory) as session:
        account = get_account(session, account_id)
        full = batch.snapshot.records if batch.snapshot.complete else None
        return plan_mirrored(
            session, account, source, today=local_today(account, clock()), fetched=full
        )


def tell_reconnect_needed(
    factory: sessionmaker[Session], notifier: Notifier, account_id: int, detail: str, now: datetime
) -> None:
    """Email the admins that the connection must be redone (an automated sync was refused)."""
    with unit_of_work(factory) as session:
        account = get_account(session, account_id)
        found = connections.list_connections(session, account_id)
        provider = connections.PROVIDERS.get(found[0].provider) if found else None
        notifier.reconnect_needed(session, account, provider or "the HRIS", detail, now)


def lost_connection(session: Session, account_id: int) -> Connection | None:
    """The account's connection that must be redone, if one must."""
    found = connections.list_connections(session, account_id)
    lost = [c for c in found if c.status == connections.ConnectionStatus.RECONNECT_NEEDED]
    return lost[0] if lost else None


def _source_state(connection: Connection) -> SourceState:
    """What Merge said of its Employee sync when this sync began (for the stale-source guard)."""
    seen = connection.initial_sync or {}
    return SourceState(  # Merge's freshness (last_sync_result), not its `status` of the moment
        status=str(seen.get("freshness") or seen.get("status") or "UNKNOWN").upper(),
        provider=connections.provider_name(connection),
        detail=seen.get("reason"),
    )
