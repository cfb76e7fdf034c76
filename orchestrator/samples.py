"""Stand-in values for what only a run reads, so expressions can be checked before it.

`validate`, `plan` and `run` evaluate every `when:`, `until:` and `that:` once before any
host is contacted, with the real variables and, for what a probe or an earlier step will
read, a sample of the right type: a misspelled name or a comparison of a number with a
string then fails there, not hours into a run. A value whose type nobody declares is
`Unknown`, which accepts every operation, so it never causes a false alarm.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# The kinds a probe declares for its values, with the sample each stands for. Samples are
# typical values: a non-empty list and a ratio below 1, so `x[0]` and `x < 1` evaluate.
_SAMPLES: Mapping[str, Any] = {
    "bool": True,
    "int": 3,
    "float": 0.5,
    "str": "sample",
    "list": ["sample"],
}


class Unknown:
    """A value of unknown type: every attribute, item, comparison and operation works."""

    def __getattr__(self, name: str) -> Unknown:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Unknown:
        return self

    def __call__(self, *_args: object, **_kwargs: object) -> Unknown:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 1

    def __contains__(self, item: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True

    def __int__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0

    def __str__(self) -> str:
        return "unknown"

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __add__(self, other: object) -> Unknown:
        return self

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __add__
    __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __add__

    def __neg__(self) -> Unknown:
        return self


UNKNOWN = Unknown()


def sample(kind: str) -> Any:
    """The stand-in for a value of this kind ("int", "float", "bool", "str", "list"; a
    trailing "?" means it may also be null; "any" or anything else: Unknown)."""
    return _SAMPLES.get(kind.rstrip("?"), UNKNOWN)


def samples(kinds: Mapping[str, str]) -> dict[str, Any]:
    """A sample for each named value."""
    return {name: sample(kind) for name, kind in kinds.items()}


def matches(value: Any, kind: str) -> bool:
    """Whether a real value is of the declared kind (for the test that keeps them true)."""
    if value is None:
        return kind.endswith("?") or kind == "any"
    expected: dict[str, type | tuple[type, ...]] = {
        "bool": bool,
        "int": int,
        "float": (int, float),
        "str": str,
        "list": list,
    }
    wanted = expected.get(kind.rstrip("?"))
    if wanted is None:
        return True
    if kind.rstrip("?") in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, wanted)
