"""Run every benchmark (or the ones named): `python -m bench [engine|first|hris|web|wire|...]`."""

from __future__ import annotations

import sys

from bench import busy, engine, first, fleet, hostile, hris, search, uploads, web, wire

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
# Run only when named (the fleet takes an hour at its default size; busy, pages while a
# 100,000-person import runs, a few minutes): `python -m bench fleet`, or `python -m
# bench.fleet --accounts 200 --workers 1,2,4 --slow` for a chosen size.


def _fleet() -> None:
    fleet.main([])


def _busy() -> None:
    busy.main([])


BY_NAME = {**BENCHES, "fleet": _fleet, "busy": _busy}


def run(names: list[str]) -> None:
    for name in names or list(BENCHES):
        print(f"== {name} ==")
        BY_NAME[name]()


run(sys.argv[1:])
