"""Run every benchmark (or the ones named): `python -m bench [engine|hris|search|web]`."""

from __future__ import annotations

import sys

from bench import engine, hostile, hris, search, uploads, web

BENCHES = {
    "engine": engine.main,
    "hostile": hostile.main,
    "hris": hris.main,
    "search": search.main,
    "uploads": uploads.main,
    "web": web.main,
}


def run(names: list[str]) -> None:
    for name in names or list(BENCHES):
        print(f"== {name} ==")
        BENCHES[name]()


run(sys.argv[1:])
