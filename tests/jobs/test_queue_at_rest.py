"""An uploaded file waits in the embedded queue (a SQLite file with a write-ahead log) only until
a worker takes it: afterwards no byte of it is left in the queue's files on disk."""

from __future__ import annotations

from pathlib import Path

from peoplesync.jobs.queue import InProcessConsumer
from tests.jobs.world import TaskLog, World

MARKER = b"Quintessa.Wolfhart-at-rest"


def _queue_files(world: World) -> dict[str, bytes]:
    path = Path(world.settings.queue_sqlite_path)
    found = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {p.name: p.read_bytes() for p in found if p.exists()}


def test_a_finished_upload_leaves_nothing_readable_in_the_queue_files(embedded: World) -> None:
    account_id = embedded.account()
    rows = "".join(
        f"{MARKER.decode()} {n},,E{n},q{n}@acme.example,1990-01-01,2020-01-01,,\n"
        for n in range(400)  # more than a page of SQLite: the file spills into overflow pages
    )
    data = (
        "Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,"
        "Manager Email\n" + rows
    ).encode()
    jobs = embedded.jobs()
    jobs.enqueue_csv_plan(account_id, data, "people.csv", "admin@acme.example")
    assert any(MARKER in content for content in _queue_files(embedded).values())  # waiting
    done = TaskLog(jobs.huey)
    with InProcessConsumer(jobs.huey, workers=1, periodic=False):
        done.wait("plan_file")
    (run,) = embedded.runs(account_id)
    assert run.state == "awaiting_review"  # the worker did read the file
    for name, content in _queue_files(embedded).items():
        assert MARKER not in content, name
