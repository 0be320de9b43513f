"""Merge JSON for the sandbox's records: pure functions of (catalog, entry, options).

Every Employee field of Merge's model is present, with nulls where the integration does not
supply it (`peoplesync.sandbox.providers`), plus one field Merge does not define (`pronouns`) and
a `field_mappings` payload, so clients prove they tolerate both. An employee's `groups` are its
department (type DEPARTMENT) and its team (type TEAM, or GROUP for HiBob, with
`is_commonly_used_as_team`). A company's quirks (`peoplesync.sandbox.quirks`) apply last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import orjson

from peoplesync.sandbox import quirks
from peoplesync.sandbox.catalog import (
    COMPANY,
    EMPLOYEE,
    EMPLOYMENT,
    GROUP,
    LOCATION,
    PAY_GROUP,
    TEAM,
    Catalog,
    GroupFacts,
)
from peoplesync.sandbox.company import CompanyFacts
from peoplesync.sandbox.ids import merge_time
from peoplesync.sandbox.orgchart import OFFICES, Place
from peoplesync.sandbox.people import Job, Person, TeamFacts
from peoplesync.sandbox.store import Entry, ModelStore

F = TypeVar("F")

Json = dict[str, Any]
EMPLOYEE_EXPANDS = frozenset(
    {"company", "employments", "groups", "home_location", "manager", "pay_group", "team"}
    | {"work_location"}
)
EMPLOYMENT_EXPANDS = frozenset({"employee", "pay_group"})
TEAM_EXPANDS = frozenset({"parent_team"})
GROUP_EXPANDS: frozenset[str] = frozenset()  # parent_group is a plain uuid in Merge's model
_RAW_STATUS = {"ACTIVE": "active", "INACTIVE": "terminated", "PENDING": "onboarding"}


@dataclass(frozen=True)
class RenderOptions:
    expand: frozenset[str] = frozenset()
    remote_data: bool = False
    sensitive: bool = False
    enum_origins: frozenset[str] = frozenset()


PLAIN = RenderOptions()
ENCODED_VARIANTS = 4  # sets of render options whose employees are kept encoded
MEMO_LIMIT = 4096  # nested renders kept per account (managers, teams, offices, ...)
_timestamp = lru_cache(maxsize=4096)(merge_time)


def _shared(
    cat: Catalog,
    model: str,
    store: ModelStore[F],
    slot: int,
    render: Callable[[Catalog, Entry[F], RenderOptions], Json],
) -> Json | None:
    """A nested (expanded) record, memoized by (model, slot, modified_at): many records of a
    page share a manager, a team or an office, and a change gives the record a new key."""
    entry = store.get(slot)
    if entry is None:
        return None
    key = (model, slot, entry.meta.modified)
    found: Json | None = cat.memo.get(key)
    if found is None:
        if len(cat.memo) >= MEMO_LIMIT:
            cat.memo.clear()
        found = cat.memo[key] = render(cat, entry, PLAIN)
    return found


def _common(cat: Catalog, model: str, entry: Entry[Any], remote_id: str | None) -> Json:
    return {
        "id": cat.id(model, entry.slot),
        "remote_id": remote_id,
        "created_at": _timestamp(entry.meta.created),
        "modified_at": _timestamp(entry.meta.modified),
    }


def _tail(entry: Entry[Any], remote: list[Json] | None, mappings: Json | None = None) -> Json:
    return {
        "remote_was_deleted": entry.meta.deleted,
        "field_mappings": mappings
        or {"organization_defined_targets": {}, "linked_account_defined_targets": {}},
        "remote_data": remote,
    }


def _enum(value: str | None, field: str, opts: RenderOptions) -> str | None:
    if value is None or field not in opts.enum_origins:
        return value
    return _RAW_STATUS.get(value, value.lower()) if field == "employment_status" else value.lower()


def _ref(
    cat: Catalog, model: str, slot: int | None, expand: bool, render: Callable[[int], Json | None]
) -> Any:
    if slot is None:
        return None
    return render(slot) if expand else cat.id(model, slot)


def employee_json(cat: Catalog, entry: Entry[Person], opts: RenderOptions = PLAIN) -> Json:
    p, ex, q = entry.facts, opts.expand, cat.quirks
    body = _common(cat, EMPLOYEE, entry, p.remote_id)
    expand_groups = "groups" in ex
    body |= {
        "employee_number": p.employee_number,
        "company": _ref(cat, COMPANY, 0, "company" in ex, lambda s: company_json(cat, s)),
        "first_name": p.first_name,
        "last_name": p.last_name,
        "preferred_name": p.preferred_name,
        "display_full_name": p.display_full_name,
        "username": None,
        "groups": [
            _ref(cat, GROUP, slot, expand_groups, lambda s: group_json(cat, s))
            for slot in (p.group, cat.team_group(p))
        ],
        "work_email": p.work_email,
        "personal_email": p.personal_email,
        "mobile_phone_number": p.mobile_phone,
        "employments": [
            _ref(cat, EMPLOYMENT, s, "employments" in ex, lambda s: employment_json(cat, s))
            for s in p.employments
        ],
        "home_location": _location(cat, p.home_location, "home_location" in ex),
        "work_location": _location(cat, p.work_location, "work_location" in ex),
        "manager": _ref(cat, EMPLOYEE, p.manager, "manager" in ex, lambda s: _manager(cat, s)),
        "team": _ref(cat, TEAM, p.team, "team" in ex, lambda s: team_json(cat, s)),
        "pay_group": _ref(
            cat, PAY_GROUP, p.pay_group, "pay_group" in ex, lambda s: pay_group_json(cat, s)
        ),
        "ssn": p.ssn if opts.sensitive else None,
        "gender": _enum(p.gender, "gender", opts),
        "ethnicity": None,
        "marital_status": None,
        "date_of_birth": quirks.hr_date(p.date_of_birth, p.index, q),
        "hire_date": quirks.hr_date(p.hire_date, p.index, q),
        "start_date": quirks.hr_date(p.start_date, p.index, q),
        "remote_created_at": _timestamp_of(p),
        "employment_status": _enum(p.employment_status, "employment_status", opts),
        "termination_date": quirks.hr_date(p.termination_date, p.index, q),
        "avatar": None,
        "custom_fields": None,
        "employee_url": None,
        "pronouns": p.pronouns,
    }
    mappings = {
        "organization_defined_targets": {"cost_center": p.cost_center},
        "linked_account_defined_targets": {"justworks_department": _department(cat, p)},
    }
    body |= _tail(entry, _employee_remote(cat, p) if opts.remote_data else None, mappings)
    for name in cat.integration.missing:
        body[name] = None
    if q.any:
        quirks.apply_to_employee(body, p.index, p.employment_status, q)
    return body


def employee_fragment(cat: Catalog, entry: Entry[Person], opts: RenderOptions) -> Any:
    """An employee's JSON, encoded once per (options, record version) and served from then on
    (an `orjson.Fragment`, spliced into a page as it is). Not with an expanded manager: the
    manager may change while the employee does not."""
    if "manager" in opts.expand:
        return employee_json(cat, entry, opts)
    kept = cat.encoded.get(opts)
    if kept is None:
        if len(cat.encoded) >= ENCODED_VARIANTS:
            cat.encoded.clear()
        kept = cat.encoded[opts] = {}
    key = (entry.slot, entry.meta.modified)
    found = kept.get(key)
    if found is None:
        found = kept[key] = orjson.Fragment(orjson.dumps(employee_json(cat, entry, opts)))
    return found


def precompute_employees(cat: Catalog, opts: RenderOptions) -> None:
    """Build the company and encode every employee as `opts` renders them, ahead of the first
    page."""
    cat.company.build()
    for slot in range(cat.employees.slots):
        entry = cat.employees.get(slot)
        if entry is not None:
            employee_fragment(cat, entry, opts)


def _timestamp_of(person: Person) -> str:
    return person.remote_created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _department(cat: Catalog, person: Person) -> str | None:
    group = cat.groups.get(person.group)
    return None if group is None else group.facts.name


def _employee_remote(cat: Catalog, p: Person) -> list[Json]:
    data = {
        "id": p.remote_id,
        "given_name": p.first_name,
        "family_name": p.last_name,
        "preferred_name": p.preferred_name,
        "work_email": p.work_email,
        "department": _department(cat, p),
        "employment_start_date": None if p.start_date is None else p.start_date.isoformat(),
        "member_status": _RAW_STATUS[p.employment_status],
    }
    return [{"path": f"/v1/members/{p.remote_id}", "data": data}]


def _manager(cat: Catalog, slot: int) -> Json | None:
    return _shared(cat, EMPLOYEE, cat.employees, slot, employee_json)


def _location(cat: Catalog, slot: int | None, expand: bool) -> Any:
    return _ref(cat, LOCATION, slot, expand, lambda s: location_json(cat, s))


def location_json(cat: Catalog, slot: int) -> Json | None:
    if slot < len(OFFICES):
        return _shared(cat, LOCATION, cat.locations, slot, location_entry_json)
    entry = cat.locations.get(slot)
    return None if entry is None else location_entry_json(cat, entry)


def employment_json(cat: Catalog, slot: int) -> Json | None:
    entry = cat.employments.get(slot)
    return None if entry is None else employment_entry_json(cat, entry)


def employment_entry_json(cat: Catalog, entry: Entry[Job], opts: RenderOptions = PLAIN) -> Json:
    job, ex = entry.facts, opts.expand
    member = cat.employees.get(job.employee)
    remote = f"{member.facts.remote_id}-{entry.slot % 4 + 1}" if member else None
    body = _common(cat, EMPLOYMENT, entry, remote)
    body |= {
        "employee": _ref(cat, EMPLOYEE, job.employee, "employee" in ex, lambda s: _manager(cat, s)),
        "job_title": job.job_title,
        "pay_rate": job.pay_rate,
        "pay_period": _enum(job.pay_period, "pay_period", opts),
        "pay_frequency": _enum(job.pay_frequency, "pay_frequency", opts),
        "pay_currency": job.pay_currency,
        "pay_group": _ref(
            cat, PAY_GROUP, job.pay_group, "pay_group" in ex, lambda s: pay_group_json(cat, s)
        ),
        "flsa_status": _enum(job.flsa_status, "flsa_status", opts),
        "effective_date": quirks.hr_date(job.effective_date, job.employee, cat.quirks),
        "employment_type": _enum(job.employment_type, "employment_type", opts),
    }
    body |= _tail(entry, _remote(opts, f"/v1/members/{remote}/jobs", job.job_title))
    if cat.quirks.lowercase_z and job.employee % 7 == 4:
        quirks.lower_stamps(body)
    return body


def _remote(opts: RenderOptions, path: str, value: object) -> list[Json] | None:
    return [{"path": path, "data": {"value": value}}] if opts.remote_data else None


def team_json(cat: Catalog, slot: int) -> Json | None:
    return _shared(cat, TEAM, cat.teams, slot, team_entry_json)


def team_entry_json(cat: Catalog, entry: Entry[TeamFacts], opts: RenderOptions = PLAIN) -> Json:
    team = entry.facts
    body = _common(cat, TEAM, entry, f"team-{entry.slot + 1}")
    parent = _ref(cat, TEAM, team.parent, "parent_team" in opts.expand, lambda s: team_json(cat, s))
    body |= {"name": team.name, "parent_team": parent}
    return body | _tail(entry, _remote(opts, "/v1/departments", team.name))


def group_json(cat: Catalog, slot: int) -> Json | None:
    return _shared(cat, GROUP, cat.groups, slot, group_entry_json)


def group_entry_json(cat: Catalog, entry: Entry[GroupFacts], opts: RenderOptions = PLAIN) -> Json:
    group = entry.facts
    kind = "department" if group.type == "DEPARTMENT" else "team"
    body = _common(cat, GROUP, entry, f"{kind}-{entry.slot + 1}")
    body |= {
        "parent_group": None if group.parent is None else cat.id(GROUP, group.parent),
        "name": group.name,
        "type": _enum(group.type, "type", opts),
        "is_commonly_used_as_team": group.is_commonly_used_as_team,
    }
    return body | _tail(entry, _remote(opts, f"/v1/{kind}s", group.name))


def location_entry_json(cat: Catalog, entry: Entry[Place], opts: RenderOptions = PLAIN) -> Json:
    place = entry.facts
    body = _common(cat, LOCATION, entry, f"address-{entry.slot + 1}")
    body |= {
        "name": place.name,
        "phone_number": place.phone_number,
        "street_1": place.street_1,
        "street_2": place.street_2,
        "city": place.city,
        "state": place.state,
        "zip_code": place.zip_code,
        "country": _enum(place.country, "country", opts),
        "location_type": _enum(place.location_type, "location_type", opts),
    }
    return body | _tail(entry, _remote(opts, "/v1/addresses", place.street_1))


def company_json(cat: Catalog, slot: int) -> Json | None:
    return _shared(cat, COMPANY, cat.companies, slot, company_entry_json)


def company_entry_json(
    cat: Catalog, entry: Entry[CompanyFacts], opts: RenderOptions = PLAIN
) -> Json:
    facts = entry.facts
    body = _common(cat, COMPANY, entry, f"company-{cat.seed}")
    body |= {
        "legal_name": facts.legal_name,
        "display_name": facts.display_name,
        "eins": [facts.ein],
    }
    return body | _tail(entry, _remote(opts, "/v1/company", facts.legal_name))


def pay_group_json(cat: Catalog, slot: int) -> Json | None:
    return _shared(cat, PAY_GROUP, cat.pay_groups, slot, pay_group_entry_json)


def pay_group_entry_json(cat: Catalog, entry: Entry[str], opts: RenderOptions = PLAIN) -> Json:
    body = _common(cat, PAY_GROUP, entry, f"pay-group-{entry.slot + 1}")
    body |= {"pay_group_name": entry.facts}
    return body | _tail(entry, _remote(opts, "/v1/pay_groups", entry.facts))
