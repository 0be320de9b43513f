"""People search at 100,000 people, on SQLite and PostgreSQL (issue 14).

A 100,000-person company with realistic names (92 first names x 91 last names, some accented: a
last name is shared by about 1,100 people), imported as a first sync (the apply now also writes
the search terms), then each search is asked 3 + 20 times through `people.list_people`, what the
Users page, the API and `peoplesync users` call: the count and the first page of 50.
Target: every search < 100 ms (p95).
PostgreSQL too (a fresh schema) when PEOPLESYNC_BENCH_POSTGRES_URL or
PEOPLESYNC_TEST_POSTGRES_URL names a server (measured right after the import: a VACUUM, as
autovacuum would do soon after, changed nothing measurable).
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from dataclasses import replace

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import postgres_schema, sqlite_file
from bench.engine import NOW, TODAY, company, timed
from peoplesync.accounts.service import create_account
from peoplesync.core.employee import SourceSnapshot
from peoplesync.people.service import list_people
from peoplesync.runs import service as runs
from peoplesync.store.db import migrate, session_factory, unit_of_work
from peoplesync.store.models import Person, PersonSearchTerm
from peoplesync.store.search_terms import add_terms, fold_text

TARGET_MS = 100.0
WARMUPS = 3
SAMPLES = 20
FIRST_NAMES = (
    "Kristin Zoë José Søren Chloé Renée Björn Łukasz Siobhán Ana Ben Carla Dmitri Elif Farah "
    "Grace Hiro Ines Jamal Keiko Liam Maya Noah Olga Priya Quinn Rosa Sam Tariq Uma Victor "
    "Wen Ximena Yusuf Zara Aaron Bianca Caleb Daria Emil Fiona Gustav Hana Ivan Julia Kofi "
    "Lena Mateo Nadia Oscar Paula Rahul Sofia Tomas Ursula Vera William Xavier Yara Zoe Adele "
    "Bruno Celia Diego Elena Felix Greta Hugo Irene Jonas Kira Leo Mila Nils Oona Pedro Rania "
    "Stefan Tara Ugo Valeria Wanda Yann Zeynep Amir Beatriz Cyrus Dalia Enzo Freya Gael Helga"
)
LAST_NAMES = (
    "Allen Okafor-Smith O'Brien Müller García Nguyễn Kowalski Johansson Dubois Rossi Tanaka "
    "Khan Silva Novak Ivanova Haddad Fischer Moreau Costa Yilmaz Andersen Petrov Schmidt "
    "Martin Lopez Kim Park Chen Singh Patel Brown Wilson Taylor Thomas Moore Jackson White "
    "Harris Clark Lewis Walker Young King Wright Scott Green Baker Adams Nelson Hill Campbell "
    "Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins Edwards Stewart Flores "
    "Morris Murphy Rivera Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard "
    "Ward Cox Diaz Richardson Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes Price"
)
FIRST, LAST = FIRST_NAMES.split(), LAST_NAMES.split()
SEARCHES = (
    "allen",  # a last name: about 1,100 people
    "zoe",  # a first name, accent-insensitive: Zoë and Zoe
    "kristin allen",  # two words: a dozen people
    "Müller",
    "kristin.allen.0@",  # the local part of an email
    "e0004242",  # an Employee Id
    "k",  # one letter: thousands of people, the widest search
    "nobody",  # nobody
)


def named_company() -> SourceSnapshot:
    snapshot = company()
    records = []
    for i, r in enumerate(snapshot.records):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        local = f"{fold_text(first)}.{fold_text(last).replace(chr(39), '')}.{i}"
        records.append(r.changed(name=f"{first} {last}", email=f"{local}@bench.example"))
    return replace(snapshot, records=tuple(records))


def build(label: str, factory: sessionmaker[Session]) -> int:
    snapshot = named_company()
    with unit_of_work(factory) as session:
        account = create_account(session, f"bench {secrets.token_hex(3)}", now=NOW)
        session.flush()
        run = runs.start_run(session, account, trigger="cli", source_kind="csv", now=NOW)
        runs.plan_run(session, account, run, snapshot, today=TODAY, now=NOW)
    with unit_of_work(factory) as session:
        account = session.merge(account)
        run = session.merge(run)
        _, apply_s = timed(lambda: runs.apply_run(session, account, run, now=NOW))
        terms = session.scalar(select(func.count()).select_from(PersonSearchTerm))
    print(
        f"[{label}] setup: first import of 100,000 applied in {apply_s:5.2f} s "
        f"(with {terms:,} search terms, {(terms or 0) / 100_000:.1f} a person)"
    )
    print(
        f"[{label}] of which writing the search terms (measured again apart, rolled back): "
        f"{rewrite_terms(factory, account.id):5.2f} s"
    )
    return account.id


def rewrite_terms(factory: sessionmaker[Session], account_id: int) -> float:
    """The share of the import that the search terms cost: all of them written again under
    another account number (into a table that already holds this account's, without colliding
    with them)."""
    session = factory()
    try:
        people = session.execute(
            select(
                Person.id, Person.name, Person.preferred_name, Person.email, Person.employee_id
            ).where(Person.account_id == account_id)
        ).all()
        _, took = timed(lambda: add_terms(session, account_id + 1_000_000, people))
    finally:
        session.rollback()
        session.close()
    return took


def measure(
    factory: sessionmaker[Session], account_id: int, search: str
) -> tuple[int, list[float]]:
    samples: list[float] = []
    total = 0
    for i in range(WARMUPS + SAMPLES):
        with unit_of_work(factory) as session:
            start = time.perf_counter()
            page = list_people(session, account_id, search=search, limit=50)
            took = (time.perf_counter() - start) * 1000
        total = page.total
        if i >= WARMUPS:
            samples.append(took)
    return total, samples


def bench(label: str, engine: Engine) -> None:
    migrate(engine)
    factory = session_factory(engine)
    account_id = build(label, factory)
    report(label, factory, account_id)


def report(label: str, factory: sessionmaker[Session], account_id: int) -> None:
    width = max(len(s) for s in SEARCHES) + 2
    print(f"[{label}] {'search':<{width}} {'found':>7}  median ms   p95 ms  < {TARGET_MS:.0f} ms")
    for search in SEARCHES:
        total, samples = measure(factory, account_id, search)
        median = statistics.median(samples)
        high = statistics.quantiles(samples, n=20, method="inclusive")[-1]
        verdict = "yes" if high < TARGET_MS else "NO"
        shown = f'"{search}"'
        print(f"[{label}] {shown:<{width}} {total:>7,}  {median:9.1f} {high:8.1f}  {verdict}")


def main() -> None:
    with sqlite_file() as engine:
        bench("SQLite", engine)
    url = os.environ.get("PEOPLESYNC_BENCH_POSTGRES_URL") or os.environ.get(
        "PEOPLESYNC_TEST_POSTGRES_URL"
    )
    if not url:
        print("[PostgreSQL] skipped: set PEOPLESYNC_BENCH_POSTGRES_URL to run it")
        return
    try:
        with postgres_schema(url) as engine:
            bench("PostgreSQL", engine)
    except OperationalError as err:
        print(f"[PostgreSQL] skipped: no server at {url} ({err.orig})")


if __name__ == "__main__":
    main()
