"""The common models of one linked account: a `ModelStore` per model over one synthetic company."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peoplesync.sandbox.company import EMPLOYMENT_SLOTS, CompanyFacts, SyntheticCompany
from peoplesync.sandbox.ids import ordered_uuid, slot_of
from peoplesync.sandbox.orgchart import OFFICES, Place
from peoplesync.sandbox.people import Job, Person, TeamFacts
from peoplesync.sandbox.store import ModelStore

# Model names used in ids; one per Merge common model the sandbox serves.
EMPLOYEE = "employee"
EMPLOYMENT = "employment"
LOCATION = "location"
TEAM = "team"
GROUP = "group"
PAY_GROUP = "pay_group"
COMPANY = "company"


@dataclass
class Catalog:
    seed: int
    company: SyntheticCompany
    employees: ModelStore[Person]
    employments: ModelStore[Job]
    locations: ModelStore[Place]
    teams: ModelStore[TeamFacts]
    groups: ModelStore[str]
    pay_groups: ModelStore[str]
    companies: ModelStore[CompanyFacts]
    next_employee: int  # slot of the next hire
    memo: dict[tuple[str, int, int], Any] = field(default_factory=dict)  # see records._memo

    def id(self, model: str, slot: int) -> str:
        return ordered_uuid(self.seed, model, slot)

    def slot(self, model: str, merge_id: str) -> int | None:
        return slot_of(self.seed, model, merge_id)


def build_catalog(company: SyntheticCompany, base_time: int) -> Catalog:
    """Stores whose base records were all synced by Merge at `base_time` (microseconds)."""
    size = company.size
    teams, groups, pay_groups = company.teams, company.groups, company.pay_groups
    return Catalog(
        seed=company.seed,
        company=company,
        employees=ModelStore(size, company.person, base_time),
        employments=ModelStore(size * EMPLOYMENT_SLOTS, company.job, base_time),
        locations=ModelStore(len(OFFICES) + size, company.home, base_time),
        teams=ModelStore(len(teams), teams.__getitem__, base_time),
        groups=ModelStore(len(groups), groups.__getitem__, base_time),
        pay_groups=ModelStore(len(pay_groups), pay_groups.__getitem__, base_time),
        companies=ModelStore(1, lambda _slot: company.facts, base_time),
        next_employee=size,
    )
