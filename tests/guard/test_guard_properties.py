"""Property tests of the guard over generated directories and sources (Hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from peoplesync.core.employee import Person, PersonStatus, SourceEmployee
from peoplesync.core.guard import GuardReason, guard, leaver_limit
from peoplesync.core.plan import ChangeKind
from peoplesync.core.policy import SyncPolicy
from tests.guard.people import person, planned, record

NAMES = st.text(alphabet="abcdefgh ", min_size=1, max_size=8).filter(str.strip)
# Birth dates far from every other date in the data, and demographic values of their own shape:
# if either ever shows up in a finding, the test sees it.
BIRTH_DATES = st.dates(min_value=date(1901, 1, 1), max_value=date(1949, 12, 31))
GENDERS = st.sampled_from(["GV-alpha", "GV-beta", "GV-gamma"])


@st.composite
def directories(draw: st.DrawFn) -> list[Person]:
    size = draw(st.integers(min_value=1, max_value=12))
    return [
        person(
            n,
            name=draw(NAMES),
            birth_date=draw(st.none() | BIRTH_DATES),
            status=draw(st.sampled_from(list(PersonStatus))),
            demographics={"Gender": draw(GENDERS)},
        )
        for n in range(size)
    ]


@st.composite
def changes(draw: st.DrawFn, directory: list[Person], *, identity: bool) -> list[SourceEmployee]:
    """Some people kept (each maybe changed), some gone, some new."""
    records = []
    for p in directory:
        if not draw(st.booleans()):
            continue  # gone: a leaver if active
        kw: dict[str, object] = {"demographics": {"Gender": draw(GENDERS)}}
        if identity:
            if draw(st.booleans()):
                kw["name"] = draw(NAMES)
            if draw(st.booleans()):
                kw["email"] = f"moved{draw(st.integers(0, 30))}@acme.example"
            if draw(st.booleans()):
                kw["birth_date"] = draw(BIRTH_DATES)
        else:
            kw["start_date"] = draw(st.dates(min_value=date(2000, 1, 1)))
        records.append(record(p, **kw))
    for n in range(draw(st.integers(0, 3))):
        records.append(record(person(1000 + n), email=f"new{n}@acme.example"))
    return records


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_redacted_field_never_appears_in_a_finding(data: st.DataObject) -> None:
    directory = data.draw(directories())
    records = data.draw(changes(directory, identity=True))
    redacted = frozenset({"birth_date", "Gender"})
    report = guard(planned(directory, *records), directory, policy=SyncPolicy(redacted=redacted))
    text = repr(report.to_dicts())
    dates = {p.birth_date for p in directory} | {r.birth_date for r in records}
    for value in dates - {None}:
        assert str(value) not in text
    assert "GV-" not in text
    for finding in report.findings:
        assert not redacted & set(finding.fields)
        assert not redacted & {c[0] for c in finding.changes}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_birth_date_values_are_never_shown_even_unredacted(data: st.DataObject) -> None:
    directory = data.draw(directories())
    records = data.draw(changes(directory, identity=True))
    text = repr(guard(planned(directory, *records), directory).to_dicts())
    for value in {p.birth_date for p in directory} | {r.birth_date for r in records}:
        assert value is None or str(value) not in text


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_no_identity_change_means_no_privacy_finding(data: st.DataObject) -> None:
    directory = data.draw(directories())
    records = data.draw(changes(directory, identity=False))
    report = guard(planned(directory, *records), directory)
    assert GuardReason.PRIVACY not in report.reasons


@settings(max_examples=150, deadline=None)
@given(st.data(), st.floats(0, 1), st.integers(0, 12))
def test_mass_leavers_agree_with_counting(data: st.DataObject, share: float, count: int) -> None:
    directory = data.draw(directories())
    records = data.draw(changes(directory, identity=False))
    result = planned(directory, *records)
    report = guard(result, directory, policy=SyncPolicy(leaver_share=share, leaver_count=count))
    leavers = sum(1 for i in result.items if i.kind is ChangeKind.LEAVE)
    active = sum(1 for p in directory if p.status is PersonStatus.ACTIVE)
    expected = leavers > 0 and leavers > share * active and leavers >= count
    assert (GuardReason.MASS_LEAVER in report.reasons) is expected
    assert leaver_limit(active, share, count) == max(share * active, count - 1)


@settings(max_examples=100, deadline=None)
@given(directories(), st.data())
def test_any_email_swap_is_flagged_naming_both(
    directory: list[Person], data: st.DataObject
) -> None:
    if len(directory) < 2:
        return
    i, j = data.draw(
        st.lists(st.integers(0, len(directory) - 1), min_size=2, max_size=2, unique=True)
    )
    first, second = directory[i], directory[j]
    swapped = {first.id: second.email, second.id: first.email}
    records = [record(p, email=swapped.get(p.id, p.email)) for p in directory]
    report = guard(planned(directory, *records), directory)
    swaps = [f for f in report.findings if f.code == "email_swapped"]
    assert len(swaps) == 1
    assert set(swaps[0].person_ids) == {first.id, second.id}


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_findings_only_name_people_of_the_directory_or_the_plan(data: st.DataObject) -> None:
    directory = data.draw(directories())
    directory = [p.changed(email=p.email.upper()) if p.email else p for p in directory]
    records = data.draw(changes(directory, identity=True))
    result = planned(directory, *records)
    known = {p.id for p in directory} | {i.person_id for i in result.items}
    for finding in guard(result, directory).findings:
        assert set(finding.person_ids) <= known
