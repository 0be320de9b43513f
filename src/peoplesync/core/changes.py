"""What a planned item says changed: one field's before -> after (`FieldChange`), and a new
person's changes made from their record when read (`CreatedChanges`), with what every record's
planning shares (`PlanContext`, `DemographicCanon`). core/plan.py makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple, overload

from peoplesync.core.employee import PersonStatus, SourceEmployee, SourceSnapshot, Value, fold
from peoplesync.core.fields import VALUE_NAMES


class FieldChange(NamedTuple):
    """One field's before -> after. Values are strings (dates ISO, manager a person id).

    The plan's per-record items are NamedTuples, not frozen dataclasses: a 100,000-person first
    import makes a million of them, and a frozen dataclass costs four times as much to build.
    """

    field: str
    before: str | None
    after: str | None
    demographic: bool = False


class DemographicCanon:
    """Demographic values merged case-insensitively: the first spelling seen wins.

    `known` are the directory's (name, value) pairs, in the directory's order."""

    def __init__(self, known: Iterable[tuple[str, str]]) -> None:
        self._seen: dict[tuple[str, str], str] = {}
        self._known: dict[tuple[str, str], str] = {}  # (name, raw value) -> canonical spelling
        for name, value in known:
            self._seen.setdefault((name, fold(value)), value)

    def __call__(self, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        known = self._known.get((name, value))
        if known is None:
            known = self._seen.setdefault((name, fold(value)), value)
            self._known[(name, value)] = known
        return known

    def spellings(self, names: Iterable[str], given: Mapping[str, str]) -> tuple[str | None, ...]:
        """The canonical value of each of `names` in `given` (None where it has none), a
        spelling seen before read without a call: a first import asks this of 100,000 records,
        3-7 names each."""
        known = self._known
        return tuple(
            [
                None
                if (value := given.get(name)) is None
                else known.get((name, value)) or self(name, value)
                for name in names
            ]
        )


class PlanContext:
    """What every record's planning shares: the compared core values and their getter."""

    def __init__(
        self, snapshot: SourceSnapshot, canon: DemographicCanon, import_date: date
    ) -> None:
        self.canon = canon
        self.import_date = import_date
        compared = [i for i, name in enumerate(VALUE_NAMES) if name in snapshot.provided]
        self.fields = tuple(VALUE_NAMES[i] for i in compared)
        self.scalars = _picker(compared)
        self.nothing = (None,) * len(compared)
        self.compares_manager = "manager" in snapshot.provided
        self.demographic_names = tuple(sorted(snapshot.demographic_names))


def _picker(positions: Sequence[int]) -> Callable[[tuple[Value, ...]], tuple[Value, ...]]:
    """The values at `positions`, as a tuple (an itemgetter, which C-speeds the diff)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        at = positions[0]
        return lambda values: (values[at],)
    return lambda values: ()


class CreatedChanges(Sequence[FieldChange]):
    """A new person's changes: every value the record has (before: nothing), in the order
    core/plan.py's `_diff` gives an update's, and the status; made from the record each time
    they are read, not kept.

    A first import of 100,000 people would otherwise hold about 1.2 million FieldChange tuples
    from planning until the plan is stored (about 1 KB a person: a gigabyte at a million), and
    build them in the plan's time (measured: 0.9-1.2 -> 0.5-0.7 s). The demographics are
    made canonical when planned, in record order (the first spelling seen wins, as for every
    other item); the rest is a pure function of the record. Compares equal to the tuple."""

    __slots__ = ("_ctx", "_demographics", "_manager_id", "_record", "_status")

    def __init__(
        self,
        ctx: PlanContext,
        record: SourceEmployee,
        manager_id: str | None,
        status: PersonStatus,
    ) -> None:
        canon, given = ctx.canon, record.demographics
        self._ctx, self._record, self._status = ctx, record, status
        self._manager_id = manager_id if ctx.compares_manager else None
        self._demographics = canon.spellings(ctx.demographic_names, given)

    def stored(self) -> dict[str, Any]:
        """The compact form a plan stores a create in (`store.plans.save_plan`): its values by
        field, its demographics by name, its status, and the folded name and email the people
        row keeps (`keys`: what the database cannot fold, so that store/creates.py can write a
        first import's people from the stored plan in SQL). Against the per-change form, at 100,000
        creates: a sixth fewer bytes (35 -> 29 MB), a quarter less time to make (0.52 -> 0.39
        s) and a fifth less to decode (0.47 -> 0.38 s), and apply reads the values by field
        straight into the people rows. `expand_created` gives the per-change form, in order."""
        ctx, rec = self._ctx, self._record
        values: dict[str, Any] = {} if rec.source_id is None else {"source_id": rec.source_id}
        for field, after in zip(ctx.fields, ctx.scalars(rec.values), strict=True):
            if after is not None:
                values[field] = after if after.__class__ is str else field_text(after)
        if self._manager_id is not None:
            values["manager"] = self._manager_id
        demographics = {
            name: value
            for name, value in zip(ctx.demographic_names, self._demographics, strict=True)
            if value is not None
        }
        name, email = values.get("name"), values.get("email")
        keys = {"name": fold(name) if name else None, "email": fold(email) if email else None}
        return {
            "values": values,
            "demographics": demographics,
            "status": self._status.value,
            "keys": keys,
        }

    def encoded(self) -> list[list[Any]]:
        """[field, before (None), after, demographic (0 or 1)] of each change: the per-change
        form (`store.plans.encode_changes`), made without the FieldChanges."""
        return expand_created(self.stored())

    def _changes(self) -> tuple[FieldChange, ...]:
        return tuple([_new(FieldChange, (f, b, a, d == 1)) for f, b, a, d in self.encoded()])

    def __iter__(self) -> Iterator[FieldChange]:
        return iter(self._changes())

    def __len__(self) -> int:
        return len(self.encoded())

    def __bool__(self) -> bool:
        return True  # a new person always has a status

    @overload
    def __getitem__(self, index: int) -> FieldChange: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[FieldChange, ...]: ...
    def __getitem__(self, index: int | slice) -> FieldChange | tuple[FieldChange, ...]:
        return self._changes()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CreatedChanges | tuple):
            return self._changes() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._changes())

    def __repr__(self) -> str:
        return repr(self._changes())


_new = tuple.__new__  # a FieldChange without its Python-level __new__


def expand_created(stored: Mapping[str, Any]) -> list[list[Any]]:
    """A create's compact stored form (`CreatedChanges.stored`) as [field, None, after,
    demographic] lists: its values, its demographics, then its status."""
    values = sorted(stored["values"].items(), key=_in_field_order)
    rows = [[field, None, after, 0] for field, after in values]
    rows.extend([name, None, value, 1] for name, value in sorted(stored["demographics"].items()))
    rows.append(["status", None, stored["status"], 0])
    return rows


# The order a create's values are planned in (`CreatedChanges.stored`), which a stored form
# read back need not keep: a JSON store may order an object's keys its own way (PostgreSQL's
# JSONB sorts them by length).
_FIELD_ORDER = {name: i for i, name in enumerate(("source_id", *VALUE_NAMES, "manager"))}


def _in_field_order(item: tuple[str, Any]) -> int:
    return _FIELD_ORDER[item[0]]


class StoredCreate(Sequence[list[Any]]):
    """A create as a stored plan gives it back: the compact form (`data`, which the directory's
    writer reads directly), read as its [field, before, after, demographic] lists."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(expand_created(self.data))

    def __len__(self) -> int:
        return len(expand_created(self.data))

    def __bool__(self) -> bool:
        return True  # a status, always

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...
    def __getitem__(self, index: int | slice) -> list[Any] | list[list[Any]]:
        return expand_created(self.data)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredCreate):
            return self.data == other.data
        if isinstance(other, Sequence):
            return expand_created(self.data) == [list(c) for c in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as the lists it stands for

    def __repr__(self) -> str:
        return repr(expand_created(self.data))


def field_text(value: object) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
