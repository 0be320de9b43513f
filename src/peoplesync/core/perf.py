"""Keep the cyclic garbage collector out of bulk object building.

Building a 100,000-person plan allocates about a million small tuples, none of them cyclic; the
collector would scan the growing heap again and again and double the time. Collection resumes
(and catches up) when the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
