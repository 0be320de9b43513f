"""Run every benchmark (or the ones named): `python -m bench [engine|first|hris|web|wire|...]`."""

from __future__ import annotations

import sys

from bench import engine, first, fleet, hostile, hris, search, uploads, web, wire

BENCHES = {
    "engine": engine.main,
    "first": first.main,
    "hostile": hostile.main,
    "hris": hris.main,
    "search": search.main,
    "uploads": uploads.main,
    "web": web.main,
    "wire": wire.main,
}
# Run only when named (an hour at its default size): `python -m bench fleet`, or `python -m
# bench.fleet --accounts 200 --workers 1,2,4 --slow` for a chosen size.


def _fleet() -> None:
    fleet.main([])


BY_NAME = {**BENCHES, "fleet": _fleet}


def run(names: list[str]) -> None:
    for name in names or list(BENCHES):
        print(f"== {name} ==")
        BY_NAME[name]()


run(sys.argv[1:])
