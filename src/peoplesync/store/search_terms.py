"""People search: the terms a person is found by, kept in `person_search_terms`.

A person is found by any word of their name or preferred name, by their email (which covers its
local part: a search is a prefix) and by their Employee Id, ignoring case and accents ("zoe" finds
Zoë, "allen" finds Kristin Allen). Each term is a row (account, term, person) of a table whose
primary key is that triple, so a search word is a range on a B-tree on both databases
(`term >= w AND term < w + U+10FFFF`): SQLite compares text bytewise, and PostgreSQL's column
has the "C" collation, so the range holds exactly the terms that start with the word. The email
needs no row: the same range on the people's unique (account, email_key) index finds it (its
column is "C" on PostgreSQL too), so a word is two ranges; only an email whose accent-free form
differs from its key ("zoë@...", which "zoe" must find) keeps a term. A trigram or full-text
index would find infixes too, but it is a different extension on each database, and nobody
searches for the middle of a word.

Writes stay small: a term that starts another of the person's terms, or their email, is dropped
("kristin" when the email is "kristin.allen@..."), as the longer one already finds it; typically
two rows a person (a first import of 100,000 writes 200,000 terms: with the email's own row it
was 300,000, 0.2-0.5 s more; a search costs a millisecond or two more, 57 ms at worst at 100,000
people, bench/search.py). The directory's writers (store/directory.py, people/service.py,
redaction) keep the rows in step in their own transaction: new people's terms in one bulk
insert, a changed person's by the difference between the terms of their old and new values.
So a person's terms are found by recomputing them, with no second index (by person) to keep
up: at 100,000 people that index cost PostgreSQL 40% of the terms' write. The price: whoever
changes what `search_terms` yields adds a migration that rebuilds the table (0017 shows how),
or rewrites would miss old terms; tests/people/test_search.py pins its output to remind them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Table,
    any_,
    bindparam,
    cast,
    delete,
    func,
    intersect,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from peoplesync.core.employee import fold
from peoplesync.store.bulk import bulk_insert, chunks
from peoplesync.store.models import Person, PersonSearchTerm

_terms = typed(Table, PersonSearchTerm.__table__)
TERM_COLUMNS = ("account_id", "term", "person_id")
TERM_LENGTH = 100  # characters kept of a term (and of a search word): the index stays small
_TOP = "\U0010ffff"  # sorts after every character, bytewise in UTF-8 too

# Letters that carry no combining mark to strip, spelled as people type them without accents.
_PLAIN = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",
    }  # dotless i
)


def fold_text(value: str) -> str:
    """Lower case without accents: 'Zoë Ærø' -> 'zoe aero'."""
    folded = value.casefold()
    if folded.isascii():
        return folded
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    return unicodedata.normalize("NFC", stripped.translate(_PLAIN))


def query_words(search: str) -> list[str]:
    """The words of a search, folded as terms are; a person must match every one."""
    return [w[:TERM_LENGTH] for w in dict.fromkeys(fold_text(search).split())]


def search_terms(
    name: str | None, preferred_name: str | None, email: str | None, employee_id: str | None
) -> set[str]:
    """What finds one person: each word of their names (and, for 'Okafor-Smith' or "O'Brien",
    its parts and its letters run together), their whole email and their Employee Id."""
    found: set[str] = set()
    for value in (name, preferred_name):
        if value:
            folded = fold_text(value)
            words = folded.split()
            if len(folded) <= TERM_LENGTH:  # no word to cut: the common case is one update
                found.update(words)
            else:
                found.update(word[:TERM_LENGTH] for word in words)
            if not "".join(words).isalnum():  # most names are: one test for the whole name
                for word in words:
                    if not word.isalnum():
                        found.update(part[:TERM_LENGTH] for part in _parts(word))
    keyed = None  # the email as people.email_key holds it, if a search finds it there
    for value in (email, employee_id):
        if value and (folded := fold_text(value).strip()):
            found.add(term := folded[:TERM_LENGTH])
            if value is email and term == folded == fold(value):
                keyed = term
    kept = _without_prefixes(found) if len(found) > 1 else found
    if keyed:  # found by its key (a range on the people's email index): no row of its own
        kept.discard(keyed)
    return kept


def _parts(word: str) -> list[str]:
    parts = "".join(c if c.isalnum() else " " for c in word).split()
    return [*parts, "".join(parts)] if parts else []


def _without_prefixes(terms: set[str]) -> set[str]:
    """Drop each term that starts another: a prefix search for it finds the longer one."""
    ordered = sorted(terms)  # the terms that start with a term follow it at once
    ordered.append("")  # starts with no term (none is empty): the last term is kept
    return {term for term, following in pairwise(ordered) if not following.startswith(term)}


def matches(account_id: int, words: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """People of the account with, for each of `words`, a term that starts with it: one index
    range a word, the ranges intersected.

    On PostgreSQL the matches are handed over as one array (`id = ANY((SELECT array_agg ...))`),
    looked up by primary key and then sorted. Given the plain `IN (SELECT ...)`, its planner
    walks the Users order (the name index) and probes each person until 50 match, which is
    quick when matches are spread out but scans 97,000 people for "zoe", whose matches all
    sort last (0.5 s at 100,000 people). SQLite already plans the IN by collecting the matches.
    """
    found = _matched_ids(account_id, words)
    if dialect == "postgresql":
        ids = found.subquery("matched")
        array = select(func.array_agg(ids.c.person_id)).scalar_subquery()
        return Person.id == any_(cast(array, ARRAY(String)))  # a value, not `ANY (SELECT ...)`
    return Person.id.in_(found)


def count_matches(session: Session, account_id: int, words: Sequence[str]) -> int:
    """How many people `matches` finds, from the terms' key alone (an index-only count)."""
    found = _matched_ids(account_id, words).subquery("matched")
    counted = select(func.count(func.distinct(found.c.person_id)))
    return session.scalar(counted) or 0


def _matched_ids(
    account_id: int, words: Sequence[str]
) -> Select[tuple[str]] | CompoundSelect[tuple[str]]:
    ranges = [_word_range(account_id, word) for word in words]
    return ranges[0] if len(ranges) == 1 else intersect(*ranges)


def _word_range(account_id: int, word: str) -> Select[tuple[str]]:
    """The people with a term, or an email, that starts with `word`: a range on the terms'
    key and one on the people's unique (account, email_key) index. Both, not their union: a
    person in both is counted once by every caller (`IN`, `= ANY`, `INTERSECT`, `count(DISTINCT)`).
    A select from them, as SQLite takes no compound inside another."""
    either = union_all(
        select(_terms.c.person_id).where(
            _terms.c.account_id == account_id,
            _terms.c.term >= word,
            _terms.c.term < word + _TOP,
        ),
        select(Person.id).where(
            Person.account_id == account_id,
            Person.email_key >= word,
            Person.email_key < word + _TOP,
        ),
    ).subquery()
    return select(either.c.person_id)


PersonValues = Sequence[Any]
"""(person id, name, preferred name, email, employee id): a row as the database hands it."""


def term_rows(account_id: int, people: Iterable[PersonValues]) -> Iterator[tuple[Any, ...]]:
    for person_id, name, preferred, email, employee_id in people:
        for term in search_terms(name, preferred, email, employee_id):
            yield (account_id, term, person_id)


def add_terms(session: Session, account_id: int, people: Iterable[PersonValues]) -> None:
    """The terms of people new to the table (one bulk insert)."""
    bulk_insert(session, _terms, TERM_COLUMNS, term_rows(account_id, people))


def insert_terms(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """Terms made already (`term_rows`), in one bulk insert."""
    bulk_insert(session, _terms, TERM_COLUMNS, rows)


SEARCHED = ("name", "preferred_name", "email", "employee_id")  # after the id, in PersonValues


def current_values(
    session: Session, account_id: int, person_ids: Iterable[str]
) -> dict[str, list[Any]]:
    """The searched values of these people as stored now (read before they change)."""
    found: dict[str, list[Any]] = {}
    query = text(
        f"SELECT id, {', '.join(SEARCHED)} FROM people WHERE account_id = :a AND id IN :p"  # noqa: S608 - our own names
    ).bindparams(bindparam("p", expanding=True))
    for chunk in chunks(set(person_ids)):
        for row in session.execute(query, {"a": account_id, "p": chunk}):
            found[row[0]] = list(row)
    return found


def move_terms(
    session: Session, account_id: int, moves: Iterable[tuple[PersonValues, PersonValues]]
) -> None:
    """Each person's terms from what their old values gave to what their new ones give: only
    the difference is written, each removed term deleted by its key."""
    removed: list[dict[str, Any]] = []
    added: list[tuple[Any, ...]] = []
    for old, new in moves:
        before, after = search_terms(*old[1:]), search_terms(*new[1:])
        removed.extend({"a": account_id, "t": t, "p": old[0]} for t in before - after)
        added.extend((account_id, t, new[0]) for t in after - before)
    if removed:
        session.execute(
            delete(_terms).where(
                _terms.c.account_id == bindparam("a"),
                _terms.c.term == bindparam("t"),
                _terms.c.person_id == bindparam("p"),
            ),
            removed,
        )
    bulk_insert(session, _terms, TERM_COLUMNS, added)
