"""One account's upload cannot stall the others (issue 19): a hostile 100,000-column file and a
large employee file, uploaded by one account to the real server with its worker, while another
account keeps reading and writing through the API on the same SQLite database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from peoplesync.sources.csv_source import MAX_COLUMNS, TEMPLATE_HEADER
from tests.web.site import Site, running_site
from tests.web.tenants import wait_run

ROWS = 20_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("upload")) as found:
        yield found


def big_file() -> bytes:
    lines = [",".join(TEMPLATE_HEADER) + ",Team"]
    lines.extend(
        f"Person {i},,E{i},person{i}@big.example,1980-01-01,2020-01-01,,"
        f"{'person0@big.example' if i else ''},Team {i % 30}"
        for i in range(ROWS)
    )
    return ("\n".join(lines) + "\n").encode()


class Neighbour:
    """Another account's admin script: reads its runs and changes a setting, in a loop."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.statuses: list[int] = []
        self.slowest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Neighbour:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        shares = (0.2, 0.3)
        turn = 0
        while not self._stop.is_set():
            turn += 1
            body = {"leaver_threshold_share": shares[turn % 2]}
            for method, path, json in (
                ("GET", "/api/v1/runs", None),
                ("PATCH", "/api/v1/account", body),
            ):
                started = time.monotonic()
                self.statuses.append(self.api.request(method, path, json=json).status_code)
                self.slowest = max(self.slowest, time.monotonic() - started)


def test_a_hostile_upload_is_refused_at_once_and_the_neighbours_go_on(site: Site) -> None:
    uploader = site.api(site.token(site.account("Uploader")))
    neighbour = site.api(site.token(site.account("Neighbour")))
    header = ",".join(["Name", "Email", *(f"c{i}" for i in range(100_000))]) + "\n"
    with Neighbour(neighbour) as other:
        sent = uploader.post(
            "/api/v1/syncs/csv", files={"file": ("wide.csv", header.encode(), "text/csv")}
        )
        assert sent.status_code == 202, sent.text
        run = wait_run(uploader, sent.json()["run_id"], until={"failed"})
        time.sleep(0.5)
    assert f"at most {MAX_COLUMNS}" in run["error"]
    assert "100,000" in run["error"] or "100,002" in run["error"]
    assert other.statuses
    assert set(other.statuses) == {200}


def test_while_one_account_plans_a_large_file_another_reads_and_writes(site: Site) -> None:
    uploader = site.api(site.token(site.account("Big")))
    neighbour = site.api(site.token(site.account("Small")))
    with Neighbour(neighbour) as other:
        sent = uploader.post(
            "/api/v1/syncs/csv", files={"file": ("big.csv", big_file(), "text/csv")}
        )
        assert sent.status_code == 202, sent.text
        run = wait_run(uploader, sent.json()["run_id"], until={"awaiting_review", "failed"})
    assert run["state"] == "awaiting_review", run
    assert run["counts"]["create"] == ROWS
    assert other.statuses
    assert set(other.statuses) == {200}
    assert other.slowest < 10  # waited on no lock: SQLite's busy timeout alone is 30 s
