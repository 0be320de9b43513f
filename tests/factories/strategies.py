"""Hypothesis strategies for the pure core: records, directories, sync cases, hierarchies, emails.

Values come from small pools so that a record and a person often agree (UNCHANGED), sometimes
differ by case only (demographics, emails) and sometimes really differ (UPDATE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, TypeVar

from hypothesis import assume
from hypothesis import strategies as st

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee, SourceSnapshot, fold
from peoplesync.core.fields import CORE_FIELDS
from peoplesync.core.plan import directory_after, plan
from peoplesync.core.validate import validate
from tests.factories.employees import TODAY

T = TypeVar("T")

IMPORT_DATE = TODAY
LOCAL_PARTS = ("ada", "grace", "alan", "edsger", "barbara", "ken")
DOMAINS = ("acme.example", "corp.acme.io")
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Zoë Ångström")
EMPLOYEE_IDS = ("1001", "1002", "A-7")
BIRTH_DATES = (None, date(1961, 5, 17), date(1995, 12, 31))
START_DATES = (None, date(2019, 3, 1), date(2024, 2, 29))
END_DATES = (
    None,
    IMPORT_DATE - timedelta(days=30),
    IMPORT_DATE,
    IMPORT_DATE + timedelta(days=30),
)
DEMOGRAPHIC_NAMES = ("Department", "Site")
DEMOGRAPHIC_VALUES = ("Engineering", "engineering", "ENGINEERING", "Sales", "sales", "Paris")
# A field a source may leave out; "email" is always there (every source carries it).
OPTIONAL_FIELDS = tuple(f for f in CORE_FIELDS if f != "email")


def base_email(k: int) -> str:
    """The address of identity `k`: unique per k, whatever the case."""
    return f"{LOCAL_PARTS[k % len(LOCAL_PARTS)]}.{k}@{DOMAINS[k % len(DOMAINS)]}"


@st.composite
def recased(draw: st.DrawFn, text: str) -> str:
    """`text` with each letter's case chosen at random."""
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=True))


def demographics(names: Sequence[str] = DEMOGRAPHIC_NAMES) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(names), st.sampled_from(DEMOGRAPHIC_VALUES))


@dataclass(frozen=True, slots=True)
class SyncCase:
    """A snapshot and the directory it is planned against, valid as the store would hold them.

    Records have unique emails and (when the source has IDs) unique source IDs; directory persons
    have unique ids, folded emails and source IDs (the store's unique constraints), and one
    spelling per demographic value (planning merges spellings, so no directory it built has two).
    """

    snapshot: SourceSnapshot
    directory: tuple[Person, ...]


Place = Literal["both", "source", "directory"]


@st.composite
def sync_cases(draw: st.DrawFn, *, max_people: int = 8, with_ids: bool | None = None) -> SyncCase:
    n = draw(st.integers(0, max_people))
    has_ids = draw(st.booleans()) if with_ids is None else with_ids
    provided = frozenset(CORE_FIELDS) - draw(st.frozensets(st.sampled_from(OPTIONAL_FIELDS)))
    names = draw(st.frozensets(st.sampled_from(DEMOGRAPHIC_NAMES)))
    places: list[Place] = [draw(st.sampled_from(("both", "source", "directory"))) for _ in range(n)]
    in_source = [k for k in range(n) if places[k] != "directory"]
    in_directory = [k for k in range(n) if places[k] != "source"]
    records = tuple(
        draw(_record(k, row, in_source, has_ids=has_ids, provided=provided, names=names))
        for row, k in enumerate(in_source, start=2)
    )
    spelling = {fold(v): draw(st.sampled_from(_spellings(v))) for v in DEMOGRAPHIC_VALUES}
    directory: list[Person] = []
    used_emails: set[str] = set()
    for k in in_directory:
        found = draw(_person(k, n, in_directory, used_emails))
        values = {name: spelling[fold(v)] for name, v in found.demographics.items()}
        directory.append(replace(found, demographics=values))
    snapshot = SourceSnapshot(
        records=records,
        provided=provided,
        demographic_names=names,
        complete=draw(st.booleans()),
        kind="merge" if has_ids else "csv",
    )
    return SyncCase(snapshot, tuple(directory))


def _spellings(value: str) -> list[str]:
    return [v for v in DEMOGRAPHIC_VALUES if fold(v) == fold(value)]


def _maybe(
    provided: frozenset[str], field: str, strategy: st.SearchStrategy[T]
) -> st.SearchStrategy[T | None]:
    """`strategy` for a field the source provides; None (not carried) for one it leaves out."""
    return strategy if field in provided else st.none()


@st.composite
def _record(
    draw: st.DrawFn,
    k: int,
    row: int,
    in_source: Sequence[int],
    *,
    has_ids: bool,
    provided: frozenset[str],
    names: frozenset[str],
) -> SourceEmployee:
    manager_source_id = manager_email = None
    if "manager" in provided and (m := draw(st.none() | st.sampled_from(in_source))) is not None:
        if has_ids and draw(st.booleans()):
            manager_source_id = f"S{m}"
        else:
            manager_email = draw(recased(base_email(m)))
    return SourceEmployee.of(
        location=f"row {row}",
        source_id=f"S{k}" if has_ids else None,
        employee_id=draw(_maybe(provided, "employee_id", st.sampled_from(EMPLOYEE_IDS))),
        name=draw(_maybe(provided, "name", st.sampled_from(NAMES))),
        preferred_name=draw(_maybe(provided, "preferred_name", st.sampled_from((None, "Ada")))),
        email=draw(recased(base_email(k))),
        birth_date=draw(_maybe(provided, "birth_date", st.sampled_from(BIRTH_DATES))),
        start_date=draw(_maybe(provided, "start_date", st.sampled_from(START_DATES))),
        end_date=draw(_maybe(provided, "end_date", st.sampled_from(END_DATES))),
        manager_source_id=manager_source_id,
        manager_email=manager_email,
        demographics=draw(demographics(sorted(names))) if names else {},
    )


@st.composite
def _person(
    draw: st.DrawFn, k: int, n: int, in_directory: Sequence[int], used_emails: set[str]
) -> Person:
    """Person `k`: their own address (any case), an old one, or one another identity uses."""
    choices = [base_email(k), f"old.{k}@acme.example", *(base_email(j) for j in range(n))]
    free = [e for e in choices if fold(e) not in used_emails]
    email = draw(st.none() | st.sampled_from(free).flatmap(recased))
    if email is not None:
        used_emails.add(fold(email))
    manager = draw(st.none() | st.sampled_from(in_directory))
    return Person.of(
        id=f"p{k}",
        status=draw(st.sampled_from(PersonStatus)),
        source_id=draw(st.sampled_from((f"S{k}", None))),
        employee_id=draw(st.sampled_from((None, *EMPLOYEE_IDS))),
        name=draw(st.sampled_from((None, *NAMES))),
        preferred_name=draw(st.sampled_from((None, "Ada"))),
        email=email,
        birth_date=draw(st.sampled_from(BIRTH_DATES)),
        start_date=draw(st.sampled_from(START_DATES)),
        end_date=draw(st.sampled_from(END_DATES)),
        manager_id=None if manager is None else f"p{manager}",
        demographics=draw(demographics((*DEMOGRAPHIC_NAMES, "Legacy"))),
    )


# --- arbitrary records, for "validate never raises" ---------------------------------------------

_any_text = st.none() | st.text(max_size=12)


@st.composite
def arbitrary_snapshots(draw: st.DrawFn, *, max_records: int = 8) -> SourceSnapshot:
    """Records with any values at all (not normalized), but each with its own location."""
    count = draw(st.integers(0, max_records))
    pool_emails = st.none() | st.sampled_from(("a@b.example", "A@B.example", "bad", "")) | _any_text
    records = []
    for i in range(count):
        refs = st.none() | st.sampled_from([f"sid{j}" for j in range(count)]) | _any_text
        records.append(
            SourceEmployee.of(
                location=f"row {i + 2}",
                source_id=draw(
                    st.none() | st.sampled_from(("sid0", "sid1", f"sid{i}")) | _any_text
                ),
                employee_id=draw(_any_text),
                name=draw(_any_text),
                preferred_name=draw(_any_text),
                email=draw(pool_emails),
                birth_date=draw(st.none() | st.dates()),
                start_date=draw(st.none() | st.dates()),
                end_date=draw(st.none() | st.dates()),
                manager_source_id=draw(refs),
                manager_email=draw(pool_emails),
                demographics=draw(st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
            )
        )
    return SourceSnapshot(
        records=tuple(records),
        provided=draw(st.frozensets(st.sampled_from(CORE_FIELDS))),
        demographic_names=draw(st.frozensets(st.text(max_size=5))),
        complete=draw(st.booleans()),
    )


# --- hierarchies, for loop detection ------------------------------------------------------------

Link = int | Literal["dangling"] | None


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """`links[i]` is record i's manager: another record's index, itself, a dangling one, or none."""

    records: tuple[SourceEmployee, ...]
    links: tuple[Link, ...]


@st.composite
def hierarchies(draw: st.DrawFn, *, max_size: int = 12) -> Hierarchy:
    n = draw(st.integers(1, max_size))
    dangling: st.SearchStrategy[Link] = st.just("dangling")
    links: list[Link] = [draw(st.none() | dangling | st.integers(0, n - 1)) for _ in range(n)]
    records = []
    for i, link in enumerate(links):
        by_email = draw(st.booleans())
        ref = "nobody" if link == "dangling" else None if link is None else str(link)
        manager_source_id = manager_email = None
        if ref is not None and by_email:
            manager_email = f"{ref}@acme.example"
        elif ref is not None:
            manager_source_id = f"s{ref}"
        records.append(
            SourceEmployee.of(
                location=f"row {i + 2}",
                source_id=f"s{i}",
                name=f"Person {i}",
                email=f"{i}@acme.example",
                manager_source_id=manager_source_id,
                manager_email=manager_email,
            )
        )
    return Hierarchy(tuple(records), tuple(links))


# --- email addresses ----------------------------------------------------------------------------

PLAIN_LOCAL_ALPHABET = "abcXYZ019._%+-"  # what the fast path takes
PLAIN_LABEL_ALPHABET = "abzAZ09-"
LOCAL_ALPHABET = PLAIN_LOCAL_ALPHABET + "!#'éüßı"
LABEL_ALPHABET = PLAIN_LABEL_ALPHABET + "éü"
TLDS = (
    "com",
    "io",
    "example",
    "test",
    "localhost",
    "local",
    "onion",
    "arpa",
    "invalid",
    "internal",
)


@st.composite
def plausible_emails(draw: st.DrawFn) -> str:
    """Strings shaped like addresses: dots, hyphens, unicode, long labels, special-use TLDs."""
    plain = draw(st.booleans())  # half the time, only characters the fast path takes
    local_alphabet = PLAIN_LOCAL_ALPHABET if plain else LOCAL_ALPHABET
    label_alphabet = PLAIN_LABEL_ALPHABET if plain else LABEL_ALPHABET
    local = draw(st.text(local_alphabet, min_size=1, max_size=70))
    labels = draw(
        st.lists(st.text(label_alphabet, min_size=1, max_size=70), min_size=1, max_size=3)
    )
    tld = draw(st.sampled_from(TLDS) | st.text(label_alphabet, min_size=1, max_size=5))
    at = draw(st.sampled_from(("@", "@", "@", "@@", "")))
    return f"{local}{at}{'.'.join((*labels, tld))}"


# --- a company that changed since the directory was last in step with it ----------------------


@dataclass(frozen=True, slots=True)
class ChangeCase:
    """A directory in step with the company `before` (planned and applied on IMPORT_DATE), and the
    company `after` some HR changes, planned on `today`.

    `changed` are the records the store would plan alone: those fetched since (new or changed)
    and those whose end date has come since IMPORT_DATE. Records name managers by source ID, as
    Merge's do.
    """

    before: SourceSnapshot
    directory: tuple[Person, ...]
    after: SourceSnapshot
    changed: frozenset[str]
    deleted: frozenset[str]
    today: date


def by_source_id(records: Sequence[SourceEmployee]) -> tuple[SourceEmployee, ...]:
    return tuple(sorted(records, key=lambda r: r.source_id or ""))


@st.composite
def steady_companies(draw: st.DrawFn, *, max_people: int = 8) -> SyncCase:
    """A valid company with source IDs (a forest of managers named by source ID, one employee ID
    each) and a directory to plan it against."""
    case = draw(sync_cases(max_people=max_people, with_ids=True))
    records = case.snapshot.records
    sid_of = {fold(r.email): r.source_id for r in records if r.email}
    order = {r.source_id: i for i, r in enumerate(records)}
    seen_ids: set[str] = set()
    steady = []
    for i, rec in enumerate(records):
        manager = rec.manager_source_id or (
            sid_of.get(fold(rec.manager_email)) if rec.manager_email else None
        )
        if manager is not None and order[manager] >= i:
            manager = None  # managers come earlier: no loops
        employee_id = None if rec.employee_id in seen_ids else rec.employee_id
        if employee_id:
            seen_ids.add(employee_id)
        steady.append(
            rec.changed(manager_source_id=manager, manager_email=None, employee_id=employee_id)
        )
    before = replace(case.snapshot, records=by_source_id(steady), complete=True)
    return SyncCase(before, case.directory)


@st.composite
def changed_records(
    draw: st.DrawFn, before: SourceSnapshot, directory: Sequence[Person]
) -> tuple[list[SourceEmployee], frozenset[str], frozenset[str]]:
    """`before` after hires, changes and deletions: (records, changed IDs, deleted IDs)."""
    n = len(before.records)
    first_hire = 50  # identities 0..max_people are the company's and the directory's
    hires = draw(st.integers(0, 2))
    actions = draw(
        st.lists(st.sampled_from(("keep", "keep", "change", "delete")), min_size=n, max_size=n)
    )
    kept = [r for r, a in zip(before.records, actions, strict=True) if a != "delete"]
    deleted = frozenset(
        r.source_id or "" for r, a in zip(before.records, actions, strict=True) if a == "delete"
    )
    ids = [r.source_id or "" for r in kept] + [f"S{first_hire + h}" for h in range(hires)]
    emails = [base_email(k) for k in (*range(n), *range(first_hire, first_hire + hires))] + [
        p.email for p in directory if p.email
    ]
    changed: set[str] = set()
    after: list[SourceEmployee] = []
    for rec, action in zip(before.records, actions, strict=True):
        if action == "change":
            after.append(draw(_changed(rec, before, ids=ids, emails=emails, deleted=deleted)))
            changed.add(rec.source_id or "")
        elif action == "keep":
            after.append(rec)
    for h in range(hires):
        k = first_hire + h
        fresh = draw(
            _record(
                k,
                k + 2,
                list(range(k + 1)),
                has_ids=True,
                provided=before.provided,
                names=before.demographic_names,
            )
        )
        fresh = replace(fresh, manager_source_id=None, manager_email=None)
        after.append(draw(_changed(fresh, before, ids=ids, emails=emails, deleted=deleted)))
        changed.add(f"S{k}")
    return after, frozenset(changed), deleted


@st.composite
def _changed(
    draw: st.DrawFn,
    rec: SourceEmployee,
    before: SourceSnapshot,
    *,
    ids: Sequence[str],
    emails: Sequence[str],
    deleted: frozenset[str],
) -> SourceEmployee:
    """`rec` with some fields redrawn: another email (maybe someone else's), manager (maybe
    itself, a deleted one or nobody known), dates, IDs and demographics."""
    provided = before.provided
    changes: dict[str, object] = {}
    if draw(st.booleans()):
        changes["email"] = draw(st.sampled_from(emails).flatmap(recased))
    if "manager" in provided and draw(st.booleans()):
        managers = [*ids, *sorted(deleted), "S-nobody"]
        changes["manager_source_id"] = draw(st.none() | st.sampled_from(managers))
    pools: tuple[tuple[str, Sequence[object]], ...] = (
        ("name", NAMES),
        ("employee_id", EMPLOYEE_IDS),
        ("birth_date", BIRTH_DATES),
        ("end_date", END_DATES),
    )
    for field, pool in pools:
        if field in provided and draw(st.booleans()):
            changes[field] = draw(st.sampled_from(pool))
    redraw_demographics = draw(st.booleans())
    if before.demographic_names and redraw_demographics:
        changes["demographics"] = draw(demographics(sorted(before.demographic_names)))
    return rec.changed(**changes)


@st.composite
def _long_gone(draw: st.DrawFn) -> Person:
    k = draw(st.integers(80, 83))
    return Person.of(
        f"gone{k}",
        draw(st.sampled_from((PersonStatus.FORMER, PersonStatus.DEACTIVATED))),
        source_id=draw(st.none() | st.just(f"S{k}")),
        employee_id=draw(st.none() | st.sampled_from(EMPLOYEE_IDS)),
        name=draw(st.sampled_from(NAMES)),
        email=base_email(k),
        end_date=IMPORT_DATE - timedelta(days=90),
    )


@st.composite
def change_cases(draw: st.DrawFn, *, max_people: int = 8) -> ChangeCase:
    """A directory in step with a company (planned from `steady_companies`), then changes."""
    start = draw(steady_companies(max_people=max_people))
    first = plan(start.snapshot, start.directory, import_date=IMPORT_DATE)
    assume(not first.issues and validate(start.snapshot, today=IMPORT_DATE).ok)
    directory = tuple(directory_after(start.directory, first))
    # People who left long ago (issue 11): their emails and Employee Ids are there to re-use.
    directory += tuple(draw(st.lists(_long_gone(), max_size=2, unique_by=lambda p: p.id)))
    assume(
        len({p.email_key for p in directory if p.email_key})
        == sum(1 for p in directory if p.email_key)
    )
    records, changed, deleted = draw(changed_records(start.snapshot, directory))
    today = IMPORT_DATE + timedelta(days=draw(st.sampled_from((0, 1, 30, 45))))
    # active through the end date (core.employee.has_left): former once a day has passed it
    come = {r.source_id or "" for r in records if r.end_date and IMPORT_DATE <= r.end_date < today}
    after = replace(start.snapshot, records=by_source_id(records))
    return ChangeCase(start.snapshot, directory, after, changed | come, deleted, today)
