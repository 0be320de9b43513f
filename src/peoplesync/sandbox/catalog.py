"""The common models of one linked account: a `ModelStore` per model over one synthetic company."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peoplesync.sandbox.company import EMPLOYMENT_SLOTS, CompanyFacts, SyntheticCompany
from peoplesync.sandbox.ids import ordered_uuid, slot_of
from peoplesync.sandbox.orgchart import OFFICES, Place
from peoplesync.sandbox.people import Job, Person, TeamFacts
from peoplesync.sandbox.providers import JUSTWORKS, Integration
from peoplesync.sandbox.quirks import Quirks
from peoplesync.sandbox.store import ModelStore

CREATED_STEP = 1_000  # microseconds between the Merge created_at of two base employees
# Model names used in ids; one per Merge common model the sandbox serves.
EMPLOYEE = "employee"
EMPLOYMENT = "employment"
LOCATION = "location"
TEAM = "team"
GROUP = "group"
PAY_GROUP = "pay_group"
COMPANY = "company"


@dataclass(frozen=True)
class GroupFacts:
    """A Group: a department (slots `0 .. departments - 1`) or a team (then one per Team)."""

    name: str
    type: str  # DEPARTMENT, or the integration's type for teams (TEAM, GROUP)
    is_commonly_used_as_team: bool
    parent: int | None  # group slot of the department a team belongs to


def group_facts(company: SyntheticCompany, team_type: str) -> tuple[GroupFacts, ...]:
    departments = [GroupFacts(name, "DEPARTMENT", False, None) for name in company.groups]
    slot_of_name = {g.name: slot for slot, g in enumerate(departments)}
    teams = [
        GroupFacts(
            team.name,
            team_type,
            True,
            None if team.parent is None else slot_of_name.get(company.teams[team.parent].name),
        )
        for team in company.teams
    ]
    return (*departments, *teams)


@dataclass
class Catalog:
    seed: int
    company: SyntheticCompany
    employees: ModelStore[Person]
    employments: ModelStore[Job]
    locations: ModelStore[Place]
    teams: ModelStore[TeamFacts]
    groups: ModelStore[GroupFacts]
    pay_groups: ModelStore[str]
    companies: ModelStore[CompanyFacts]
    next_employee: int  # slot of the next hire
    integration: Integration = JUSTWORKS
    quirks: Quirks = field(default_factory=Quirks)
    memo: dict[tuple[str, int, int], Any] = field(default_factory=dict)  # see records._memo
    # Encoded employees by render options, then (slot, modified): see records.employee_fragment.
    encoded: dict[Any, dict[tuple[int, int], Any]] = field(default_factory=dict)

    def id(self, model: str, slot: int) -> str:
        return ordered_uuid(self.seed, model, slot)

    def slot(self, model: str, merge_id: str) -> int | None:
        return slot_of(self.seed, model, merge_id)

    def team_group(self, person: Person) -> int:
        """The group slot of a person's team (team groups follow the departments)."""
        return len(self.company.groups) + person.team


def build_catalog(
    company: SyntheticCompany,
    base_time: int,
    *,
    integration: Integration = JUSTWORKS,
    quirks: Quirks | None = None,
) -> Catalog:
    """Stores whose base records were all synced by Merge at `base_time` (microseconds)."""
    size = company.size
    teams, pay_groups = company.teams, company.pay_groups
    groups = group_facts(company, integration.team_group_type)
    return Catalog(
        seed=company.seed,
        company=company,
        employees=ModelStore(size, company.person, base_time, created_step=CREATED_STEP),
        employments=ModelStore(size * EMPLOYMENT_SLOTS, company.job, base_time),
        locations=ModelStore(len(OFFICES) + size, company.home, base_time),
        teams=ModelStore(len(teams), teams.__getitem__, base_time),
        groups=ModelStore(len(groups), groups.__getitem__, base_time),
        pay_groups=ModelStore(len(pay_groups), pay_groups.__getitem__, base_time),
        companies=ModelStore(1, lambda _slot: company.facts, base_time),
        next_employee=size,
        integration=integration,
        quirks=quirks or Quirks(),
    )
