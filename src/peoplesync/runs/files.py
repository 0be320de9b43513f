"""Employee files as a sync's source: whether an upload is a partial or a full import.

    partial   the people in the file are created and updated; nobody leaves
    full      the file is the whole company: everyone not in it leaves (today's behaviour)

Without an HRIS an upload is full unless asked otherwise. With an HRIS connected the HRIS is the
source of truth, so an upload is partial unless asked otherwise, and a full one, which replaces
the HRIS as the source of truth for everyone not in the file, needs its own confirmation
(`replace_hris`: the web form's checkbox, the API's flag, the CLI's `--replace-hris`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from peoplesync.connections import service as connections
from peoplesync.errors import InputError


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
