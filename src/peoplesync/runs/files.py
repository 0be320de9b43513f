"""Employee files as a sync's source: whether an upload is a partial or a full import.

    partial   the people in the file are created and updated; nobody leaves
    full      the file is the whole company: everyone not in it leaves (today's behaviour)

Without an HRIS an upload is full unless asked otherwise. With an HRIS connected the HRIS is the
source of truth, so an upload is partial unless asked otherwise, and a full one, which replaces
the HRIS as the source of truth for everyone not in the file, needs its own confirmation
(`replace_hris`: the web form's checkbox, the API's flag, the CLI's `--replace-hris`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import get_account, local_today
from peoplesync.connections import mapping
from peoplesync.connections import service as connections
from peoplesync.core.employee import SourceSnapshot
from peoplesync.core.mapping import demographic_names, remap, split_excluded
from peoplesync.core.states import RunState
from peoplesync.errors import InputError
from peoplesync.runs.service import Planned, get_run, move, plan_company
from peoplesync.sources.base import Source, SourceBatch
from peoplesync.sources.files import open_file
from peoplesync.store.db import reading, unit_of_work
from peoplesync.store.models import Account


def connected_hris(session: Session, account_id: int) -> str | None:
    """The name of the account's connected HRIS, if it has one."""
    found = connections.list_connections(session, account_id)
    return connections.PROVIDERS.get(found[0].provider, found[0].provider) if found else None


def replaces_hris_warning(provider: str) -> str:
    return (
        f"A full import replaces {provider} as the source of truth for everyone not in the "
        f"file: each of them would leave, although {provider} still has them."
    )


def import_mode(
    session: Session, account_id: int, *, partial: bool | None, replace_hris: bool = False
) -> bool:
    """Whether the upload is a partial import (`partial` None: the default for the account);
    a full one beside a connected HRIS without `replace_hris` is refused, saying why."""
    provider = connected_hris(session, account_id)
    if partial is None:
        return provider is not None
    if not partial and provider is not None and not replace_hris:
        raise InputError(
            replaces_hris_warning(provider),
            hint="Confirm that the file replaces "
            f"{provider} (the form's checkbox, the API's 'replace_hris', the CLI's "
            "--replace-hris), or import it as a partial import.",
            field="replace_hris",
        )
    return partial


def open_upload(
    factory: sessionmaker[Session],
    account_id: int,
    data: bytes,
    *,
    name: str | None,
    sheet: str | None,
) -> Source:
    """The upload's source (CSV or XLSX, told by its bytes), redacting what the account asks."""
    with unit_of_work(factory) as session:
        redacted = frozenset(get_account(session, account_id).redacted_fields)
    return open_file(data, name=name, redacted=redacted, sheet=sheet)


def plan_upload(
    factory: sessionmaker[Session],
    account_id: int,
    run_id: int,
    batch: SourceBatch,
    clock: Callable[[], datetime],
) -> Planned:
    """Plan what a file holds (only reads: no write lock while it computes); a partial import
    makes nobody leave."""
    with unit_of_work(factory) as session:
        run = get_run(session, account_id, run_id)
        move(run, RunState.PLANNING, clock())
        partial = run.partial
        mapping.remember_columns(
            session, account_id, sorted(batch.snapshot.demographic_names), clock()
        )
    with reading(factory) as session:
        account = get_account(session, account_id)
        snapshot = mapped_file(session, account, batch.snapshot)
        return plan_company(
            session,
            account,
            snapshot,
            today=local_today(account, clock()),
            source_issues=batch.issues,
            partial=partial,
        )


def mapped_file(session: Session, account: Account, snapshot: SourceSnapshot) -> SourceSnapshot:
    """A file's records under the account's file mapping: each column's values under the
    demographic it maps to (a redacted one never), the excluded records apart."""
    redacted = frozenset(account.redacted_fields)
    found = mapping.load_mapping(session, account.id, "file")
    if any(t in redacted for t in found.targets.values()):
        found = found.with_targets(
            {s: "" if t in redacted else t for s, t in found.targets.items()}
        )
    columns = snapshot.demographic_names
    mapped = replace(
        snapshot,
        records=remap(snapshot.records, found),
        demographic_names=demographic_names(columns, found) - redacted,
    )
    return split_excluded(mapped)
