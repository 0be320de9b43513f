"""The sandbox's company as our Merge source reads it, pickled for bench/first.py `--sandbox`.

    python -m bench.fetched 100000 company.pickle

The sandbox runs as its own process and builds its company when it is created; the source walks
it over HTTP as a first sync does, and maps every record. What is pickled is the snapshot that
sync would plan from.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from bench.hris import sandbox_process, stored_company
from peoplesync.config import Settings
from peoplesync.sandbox import DEFAULT_API_KEY
from peoplesync.sources.merge.factory import merge_client
from peoplesync.sources.merge.source import MergeSource


def fetch(size: int, path: Path) -> None:
    """Read the sandbox's company of `size` through MergeSource; pickle the snapshot to `path`."""
    with sandbox_process() as (base_url, control):
        made = stored_company(control, size)
        client = merge_client(
            Settings(), base_url=base_url, api_key=DEFAULT_API_KEY, account_token=made.account_token
        )
        source = MergeSource(
            client, name="Justworks", supported=None, redacted=frozenset(), modified_after=None
        )
        snapshot = source.read().snapshot
    with path.open("wb") as out:
        pickle.dump(snapshot, out, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    fetch(int(sys.argv[1]), Path(sys.argv[2]))
