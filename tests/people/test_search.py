"""People search: any word of a name, the email or its local part, the Employee Id; case and
accents ignored; kept in step by every write. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from peoplesync.accounts.redaction import redact
from peoplesync.accounts.service import create_account
from peoplesync.people.service import change_email, list_people
from peoplesync.store.models import Account, PersonSearchTerm
from peoplesync.store.models import Person as PersonRow
from peoplesync.store.search_terms import fold_text, search_terms
from tests.people.directory import people, rec, snap, sync
from tests.support import NOW

STAFF = (
    rec(1, name="Kristin Allen", email="k.allen@acme.example", employee_id="E-1001"),
    rec(2, name="Zoë Ærø", preferred_name="Zo", email="zoe@acme.example"),
    rec(3, name="Ngozi Okafor-Smith", email="ngozi@acme.example", employee_id="X_2"),
    rec(4, name="Seán O'Brien", email="sean.obrien@acme.example"),
    rec(5, name="Allen Kristinsson", email="ak@acme.example"),
    rec(6, name="Zoe Allenby", email="zallenby@acme.example", employee_id="E-2002"),
)


@pytest.fixture
def staff(session: Session, account: Account) -> dict[str, PersonRow]:
    sync(session, account, snap(*STAFF))
    return people(session, account)


def found(session: Session, account: Account, search: str, **filters: str) -> list[str]:
    page = list_people(session, account.id, search=search, **filters)  # type: ignore[arg-type]
    assert page.total == len(page.people)
    return sorted(p.name or "" for p in page.people)


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("allen", ["Allen Kristinsson", "Kristin Allen", "Zoe Allenby"]),  # any word, a prefix
        ("ALLEN", ["Allen Kristinsson", "Kristin Allen", "Zoe Allenby"]),
        ("allen kristin", ["Allen Kristinsson", "Kristin Allen"]),  # every word, any order
        ("kristin allen", ["Allen Kristinsson", "Kristin Allen"]),
        ("zoe", ["Zoe Allenby", "Zoë Ærø"]),  # accents ignored, both ways
        ("ZOË", ["Zoe Allenby", "Zoë Ærø"]),
        ("aero", ["Zoë Ærø"]),  # letters without a combining mark
        ("zo", ["Zoe Allenby", "Zoë Ærø"]),
        ("sean", ["Seán O'Brien"]),
        ("o'brien", ["Seán O'Brien"]),
        ("obrien", ["Seán O'Brien"]),
        ("brien", ["Seán O'Brien"]),
        ("smith", ["Ngozi Okafor-Smith"]),  # a part of a double name
        ("okafor-smith", ["Ngozi Okafor-Smith"]),
        ("k.allen", ["Kristin Allen"]),  # the email's local part
        ("K.Allen@acme.example", ["Kristin Allen"]),  # the whole email
        ("sean.obr", ["Seán O'Brien"]),
        ("e-1001", ["Kristin Allen"]),  # the Employee Id, any case
        ("E-", ["Kristin Allen", "Zoe Allenby"]),
        ("  allen   kristinsson ", ["Allen Kristinsson"]),
        ("nobody", []),
        ("allen nobody", []),
        ("acme.example", []),  # the domain alone finds no one: a search starts a word
        ("%", []),  # no wildcards
        ("x%", []),
        ("_", []),
        ("x_2", ["Ngozi Okafor-Smith"]),
    ],
)
def test_search_finds_any_word_of_a_name_the_email_or_the_employee_id(
    session: Session,
    account: Account,
    staff: dict[str, PersonRow],
    search: str,
    names: list[str],
) -> None:
    assert found(session, account, search) == names


def test_a_blank_search_lists_everyone(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    assert len(found(session, account, "   ")) == len(STAFF)


def test_search_combines_with_the_status_filter(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    sync(session, account, snap(*(r for r in STAFF if r.name != "Zoe Allenby")))  # she leaves
    assert found(session, account, "allen", status="former") == ["Zoe Allenby"]
    assert found(session, account, "allen", status="active") == [
        "Allen Kristinsson",
        "Kristin Allen",
    ]


def test_search_stays_in_its_account(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    other = create_account(session, "Other Co", now=NOW)
    session.flush()
    sync(session, other, snap(rec(1, name="Kristin Allen", email="kristin@other.example")))
    assert found(session, other, "allen") == ["Kristin Allen"]
    assert [p.email for p in list_people(session, other.id, search="allen").people] == [
        "kristin@other.example"
    ]
    assert found(session, account, "kristin@other") == []


def test_a_sync_that_renames_people_moves_their_search_terms(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    moved = [
        rec(1, name="Kristin Lindqvist", email="k.lindqvist@acme.example", employee_id="E-9")
        if r.source_id == "src-1"
        else r
        for r in STAFF
    ]
    sync(session, account, snap(*moved))
    assert found(session, account, "lindqvist") == ["Kristin Lindqvist"]
    assert found(session, account, "k.lindq") == ["Kristin Lindqvist"]
    assert found(session, account, "e-9") == ["Kristin Lindqvist"]
    assert found(session, account, "k.allen") == []
    assert found(session, account, "e-1001") == []
    assert found(session, account, "allen") == ["Allen Kristinsson", "Zoe Allenby"]


def test_an_admins_email_change_moves_the_search_terms(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    person = staff["src-5"]
    change_email(session, account.id, person.id, "a.kristinsson@acme.example", actor="a", now=NOW)
    assert found(session, account, "a.kristinsson") == ["Allen Kristinsson"]
    assert found(session, account, "ak@") == []


def test_a_redacted_employee_id_leaves_the_search_terms(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    redact(session, account, ["employee_id"], now=NOW, actor=None)
    stored = session.scalars(
        select(PersonSearchTerm.term).where(PersonSearchTerm.account_id == account.id)
    ).all()
    assert stored  # names and emails stay searchable
    assert not [t for t in stored if t.startswith(("e-", "x_"))]
    assert found(session, account, "e-1001") == []
    assert found(session, account, "allen") == ["Allen Kristinsson", "Kristin Allen", "Zoe Allenby"]


def stored(session: Session, account: Account) -> set[tuple[str, str]]:
    rows = session.execute(
        select(PersonSearchTerm.term, PersonSearchTerm.person_id).where(
            PersonSearchTerm.account_id == account.id
        )
    )
    return {(term, person_id) for term, person_id in rows}


def recomputed(session: Session, account: Account) -> set[tuple[str, str]]:
    session.expire_all()
    return {
        (term, p.id)
        for p in people(session, account).values()
        for term in search_terms(p.name, p.preferred_name, p.email, p.employee_id)
    }


def test_every_write_leaves_exactly_the_terms_the_people_have_now(
    session: Session, account: Account, staff: dict[str, PersonRow]
) -> None:
    assert stored(session, account) == recomputed(session, account) != set()
    renamed = [
        rec(3, name="Ngozi Smith", preferred_name="Ngo", email="n.smith@acme.example")
        if r.source_id == "src-3"
        else rec(4, name="Seán O'Brien", email="obrien@acme.example", employee_id="E-4")
        if r.source_id == "src-4"
        else r
        for r in STAFF
    ]
    sync(session, account, snap(*renamed))
    assert stored(session, account) == recomputed(session, account)
    change_email(
        session, account.id, staff["src-2"].id, "zoe.aero@acme.example", actor="a", now=NOW
    )
    assert stored(session, account) == recomputed(session, account)
    redact(session, account, ["preferred_name"], now=NOW, actor=None)
    assert stored(session, account) == recomputed(session, account)
    assert ("ngo", staff["src-3"].id) not in stored(session, account)


def test_the_terms_are_pinned_change_them_with_a_migration() -> None:
    """A person's terms are deleted by recomputing them (store/search_terms.py): if this output
    changes, add a migration that rebuilds `person_search_terms`, as 0008 fills it."""
    # The email is found by its key (people.email_key), and "kristin" by the email.
    assert search_terms("Kristin Allen", None, "kristin.allen@acme.example", "E-1001") == {
        "allen",
        "e-1001",
    }
    assert search_terms("Seán O'Brien-Ngata", "Sean", "SOB@acme.example", None) == {
        "brien",
        "ngata",
        "o'brien-ngata",
        "obrienngata",
        "sean",
    }
    # An email whose accent-free form is not its key keeps its term ("zoe" finds "zoë@").
    assert search_terms("Zoë Ærø", None, "Zoë@acme.example", None) == {"aero", "zoe@acme.example"}
    assert search_terms(None, None, None, None) == set()
    assert search_terms("x" * 150, None, None, None) == {"x" * 100}
    assert fold_text("Zoë ÆRØ Straße İz Łódź") == "zoe aero strasse iz lodz"


def test_a_search_range_compares_bytewise_on_postgresql(postgres_engine: Engine) -> None:
    """A word is a range on the terms and on the email keys: under a language collation that
    range would hold words that do not start with it ("kri-stin" sorts among "kristin..."), so
    both columns are "C" on PostgreSQL (as migrated; this test database's own collation is
    C.UTF-8, so the searches alone could not tell). SQLite compares text bytewise."""
    with postgres_engine.connect() as db:
        found = db.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND ((table_name = 'people' AND "
                "column_name = 'email_key') OR (table_name = 'person_search_terms' AND "
                "column_name = 'term')) ORDER BY table_name"
            )
        ).all()
    assert [tuple(row) for row in found] == [
        ("people", "email_key", "C"),
        ("person_search_terms", "term", "C"),
    ]
