"""An account's demographics as admins manage them: how many people carry each, delete one.

Deleting a demographic removes its values from the directory only: past runs, their plans and the
change log keep the values they recorded (they name the demographic, not its row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from peoplesync.accounts.history import record_event
from peoplesync.accounts.service import bump_version
from peoplesync.errors import NotFoundError
from peoplesync.store.models import Demographic, PersonDemographic


@dataclass(frozen=True, slots=True)
class DemographicUsage:
    id: int
    name: str
    people: int  # how many people carry a value


def list_demographics(session: Session, account_id: int) -> list[DemographicUsage]:
    """Every demographic of the account with its number of values, in one grouped query."""
    rows = session.execute(
        select(Demographic.id, Demographic.name, func.count(PersonDemographic.person_id))
        .outerjoin(PersonDemographic, PersonDemographic.demographic_id == Demographic.id)
        .where(Demographic.account_id == account_id)
        .group_by(Demographic.id, Demographic.name)
        .order_by(Demographic.name, Demographic.id)
    )
    return [DemographicUsage(did, name, count) for did, name, count in rows]


def delete_demographic(
    session: Session, account_id: int, demographic_id: int, *, actor: str, now: datetime
) -> int:
    """Delete the demographic and every person's value for it; returns how many values went."""
    name = session.scalar(
        select(Demographic.name).where(
            Demographic.id == demographic_id, Demographic.account_id == account_id
        )
    )
    if name is None:
        raise NotFoundError(
            "There is no such demographic in this account.",
            hint="Reload the demographics list: it may have been deleted already.",
        )
    removed = session.execute(
        delete(PersonDemographic).where(PersonDemographic.demographic_id == demographic_id),
        execution_options={"synchronize_session": False},
    )
    values_removed = int(removed.rowcount)  # type: ignore[attr-defined]
    session.execute(delete(Demographic).where(Demographic.id == demographic_id))
    record_event(
        session,
        account_id,
        "demographic.deleted",
        now=now,
        actor=actor,
        detail={"name": name, "values_removed": values_removed},
    )
    session.flush()
    bump_version(session, account_id)
    return values_removed
