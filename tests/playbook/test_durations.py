"""Durations as people write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1d", 86400),
        ("500ms", 0.5),
        ("30", 30),
        (45, 45),
        (0.25, 0.25),
    ],
)
def test_accepted_forms(text: str | float, seconds: float) -> None:
    """Units ms, s, m, h, d, combinations and plain numbers of seconds are read."""
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["2x", "h", "", "-5s", -1, True, "1.5.2s", None])
def test_rejected_forms(bad: object) -> None:
    """Unknown units, negatives, booleans and empty text are errors that say what is expected."""
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(bad)


@pytest.mark.parametrize("text", ["90s", "1h30m", "2h", "1d2h3m4s", "500ms", "0s"])
def test_format_reads_back(text: str) -> None:
    """format_duration gives text that parses back to the same duration."""
    value = parse_duration(text)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("huge", [1e300, float("inf"), float("nan"), "99999999999d"])
def test_huge_durations_are_refused(huge: object) -> None:
    """Values beyond a year (or infinite) are an input error, not an OverflowError."""
    with pytest.raises(ValueError, match="at most 365d"):
        parse_duration(huge)
