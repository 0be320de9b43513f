"""Refusing hostile files, and reading large ones, in bounded time (issue 15).

a header of 100,000 columns          refused at once (the 500-column cap), not parsed
a 50 MB employee file                parsed to records, its time beside the bytes per second
"""

from __future__ import annotations

import time

from peoplesync.errors import CsvFormatError
from peoplesync.sources.csv_source import TEMPLATE_HEADER, parse_csv

MB = 1024 * 1024


def wide_file(columns: int = 100_000) -> bytes:
    return (",".join(["Name", "Email", *(f"Column {i}" for i in range(columns))]) + "\n").encode()


def large_file(size: int = 50 * MB) -> bytes:
    header = ",".join([*TEMPLATE_HEADER, "Team", "Location", "Job Title"]) + "\n"
    lines = [header]
    total, i = len(header), 0
    while total < size:
        line = (
            f"Person Number{i},,E{i:07d},person.{i}@bench.example,1980-01-01,2020-01-06,,"
            f"{'person.0@bench.example' if i else ''},Team {i % 40},City {i % 25},"
            f"Engineer grade {i % 7}\n"
        )
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines).encode()


def best_of(runs: int, work: object) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


def refuse(data: bytes) -> None:
    try:
        parse_csv(data)
    except CsvFormatError:
        return
    raise AssertionError("a 100,000-column file was not refused")


def main() -> None:
    wide = wide_file()
    took = best_of(5, lambda: refuse(wide))
    size = len(wide) / MB
    print(f"refuse a header of 100,000 columns ({size:.1f} MB)       : {took * 1000:7.1f} ms")
    large = large_file()
    rows = large.count(b"\n") - 1
    took = best_of(3, lambda: parse_csv(large))
    print(
        f"parse a {len(large) / MB:.0f} MB file ({rows:,} employees) to records : {took:7.2f} s "
        f"({len(large) / MB / took:.0f} MB/s)"
    )


if __name__ == "__main__":
    main()
