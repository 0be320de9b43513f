"""What a planned item says changed: one field's before -> after (`FieldChange`), and a new
person's changes made from their record when read (`CreatedChanges`), with what every record's
planning shares (`PlanContext`, `DemographicCanon`). core/plan.py makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
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
        self._demographics = tuple([canon(name, given.get(name)) for name in ctx.demographic_names])

    def encoded(self) -> list[list[Any]]:
        """[field, before (None), after, demographic (0 or 1)] of each change: the form a plan
        is stored in (`store.plans.encode_changes`), made without the FieldChanges."""
        ctx, rec = self._ctx, self._record
        rows: list[list[Any]] = []
        add = rows.append
        if rec.source_id is not None:
            add(["source_id", None, rec.source_id, 0])
        for field, after in zip(ctx.fields, ctx.scalars(rec.values), strict=True):
            if after is not None:
                add([field, None, after if after.__class__ is str else field_text(after), 0])
        if self._manager_id is not None:
            add(["manager", None, self._manager_id, 0])
        for name, value in zip(ctx.demographic_names, self._demographics, strict=True):
            if value is not None:
                add([name, None, value, 1])
        add(["status", None, self._status.value, 0])
        return rows

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


def field_text(value: object) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
