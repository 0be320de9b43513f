"""Hostile CSV bytes through the real parser: every input is an employee batch or one clear
`CsvFormatError` naming its line; nothing else ever escapes, whatever the bytes."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from peoplesync.errors import CsvFormatError
from peoplesync.sources.csv_source import TEMPLATE_HEADER, parse_csv
from tests.fuzz.conftest import examples

CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", '"', '""', "\x00", "\ufeff", "\r", "\n", ";", "\t", "2024-02-30"]),
    st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
)
HEADERS = st.lists(
    st.one_of(st.sampled_from([*TEMPLATE_HEADER, "name", "Team", ""]), st.text(max_size=8)),
    min_size=0,
    max_size=12,
)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=6))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoded = text.encode("utf-8", "surrogatepass")
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + encoded


LINE = re.compile(r"Line \d+: ")


@seed(15)
@settings(
    max_examples=examples(400),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=files())
def test_any_bytes_are_a_batch_or_a_clear_error_with_its_line(
    data: bytes, tried: Counter[str]
) -> None:
    tried["csv files parsed"] += 1
    refused: CsvFormatError | None = None
    try:
        batch = parse_csv(data)
    except CsvFormatError as err:
        refused = err
    if refused is not None:
        assert LINE.match(refused.message), refused.message
        return
    assert batch.snapshot.records
    for issue in batch.issues:
        assert (issue.location or "").startswith("row ")
        assert issue.field
