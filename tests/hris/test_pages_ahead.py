"""The pages of a Merge read fetched ahead of the mapping, in a thread of their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from peoplesync.errors import ProviderProtocolError
from peoplesync.sources.merge.fetch import pages_ahead


class Walk:
    """A page walk that records how far it got and whether it was closed."""

    def __init__(self, pages: int, fail_at: int | None = None) -> None:
        self.pages, self.fail_at = pages, fail_at
        self.produced = 0
        self.closed = threading.Event()
        self.thread_names: set[str] = set()

    def __iter__(self) -> Iterator[int]:
        try:
            for n in range(self.pages):
                self.thread_names.add(threading.current_thread().name)
                if n == self.fail_at:
                    raise ProviderProtocolError(f"page {n} is not JSON")
                self.produced += 1
                yield n
        finally:
            self.closed.set()


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_every_page_comes_once_in_order_from_another_thread() -> None:
    walk = Walk(50)
    with pages_ahead(iter(walk), depth=2) as pages:
        got = list(pages)
    assert got == list(range(50))
    assert walk.thread_names == {"merge-pages"}
    assert walk.closed.is_set()


def test_the_next_pages_are_fetched_while_one_is_mapped_but_no_more_than_the_depth() -> None:
    walk = Walk(100)
    with pages_ahead(iter(walk), depth=2) as pages:
        first = next(pages)
        # The reader holds page 0: two wait in the queue and a third is in the thread's hand.
        assert _wait_for(lambda: walk.produced == 4)
        time.sleep(0.2)
        assert walk.produced == 4, "the walk ran further ahead than its depth"
        assert first == 0
        assert list(pages) == list(range(1, 100))


def test_an_error_of_the_walk_is_raised_where_its_page_would_have_come() -> None:
    walk = Walk(10, fail_at=3)
    got: list[int] = []

    def read_all() -> None:
        with pages_ahead(iter(walk)) as pages:
            got.extend(pages)

    with pytest.raises(ProviderProtocolError, match="page 3 is not JSON"):
        read_all()
    assert got == [0, 1, 2]
    assert walk.closed.is_set()


def test_leaving_early_stops_the_thread_and_closes_the_walk_before_the_block_ends() -> None:
    walk = Walk(1_000)

    def map_one_then_fail() -> None:
        with pages_ahead(iter(walk), depth=2) as pages:
            next(pages)
            raise RuntimeError("mapping failed")

    with pytest.raises(RuntimeError, match="mapping failed"):
        map_one_then_fail()
    # Back from the block, nothing still reads from the client: it can be closed.
    assert not [t for t in threading.enumerate() if t.name == "merge-pages"]
    assert walk.closed.is_set()
    assert walk.produced < 10
