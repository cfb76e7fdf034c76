"""What one template may cost: a bounded size for every value it builds, bounded ranges,
no unbounded repetition, and a time limit on its loops.

Playbook values and `-e` values are templates, and `-e` comes from whoever runs the command.
Jinja's sandbox keeps a template away from Python internals but not from building a 1 GB
string (`'a' * 10**9`), filling memory through a filter (`'a' | center(10**9)`) or looping
for hours (nested `for` over ranges). Each way a template can grow a value is checked *before*
the value is built, so the limit holds for memory, not only for the result:

- the operators `*`, `+`, `**`, `%` and `~`;
- the filters and string methods that take a width or multiply their input (`center`,
  `indent`, `format`, `join`, `replace`, `ljust`...);
- `range()` (at most MAX_RANGE items) and every `for` loop, which stops after
  MAX_SECONDS of rendering;
- the rendered text, counted while it is produced.

`lipsum()` (random text, minutes for large counts) is not offered, and macros and recursive
loops (unbounded recursion) are refused when a template is parsed: playbook values need
neither.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

from jinja2 import nodes

MAX_OUTPUT = 1_000_000  # characters of text or items of a list; playbook values are tiny
MAX_RANGE = 100_000  # items of range(), as jinja's own sandbox
MAX_SECONDS = 2.0  # of loops in one render; a playbook value renders in microseconds
MAX_INT_BITS = 65_536  # `**` beyond this is a number no Windows setting takes
_CHECK_EVERY = 256  # loop items between two readings of the clock

_WIDE_NUMBER = re.compile(r"\d{7,}")  # a format width or precision of 1,000,000 or more
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "template_deadline", default=None
)


class TemplateLimitError(Exception):
    """A template went past one of the limits; the message names the limit."""


def too_long(unit: str = "characters") -> TemplateLimitError:
    return TemplateLimitError(f"template result longer than {MAX_OUTPUT} {unit}")


def _unit(value: object) -> str:
    return "characters" if isinstance(value, str) else "items"


def _check_size(size: int, like: object) -> None:
    if size > MAX_OUTPUT:
        raise too_long(_unit(like))


def _sized(value: object) -> bool:
    return isinstance(value, str | list | tuple)


def _wide_format(text: str) -> bool:
    return bool(_WIDE_NUMBER.search(text))


# --- operators ----------------------------------------------------------------------------


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `left operator right` when its result would pass a limit; compute nothing."""
    if operator == "*":
        sized, count = (left, right) if _sized(left) else (right, left)
        if _sized(sized) and isinstance(count, int) and not isinstance(count, bool):
            _check_size(len(sized) * max(count, 0), sized)
    elif operator == "+":
        if _sized(left) and _sized(right):
            _check_size(len(left) + len(right), left)
    elif operator == "**":
        growing = isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
        if growing and abs(left).bit_length() * right > MAX_INT_BITS:
            raise TemplateLimitError(f"number larger than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str) and _wide_format(left):
        raise too_long()


def concat(values: Iterable[Any]) -> str:
    """`a ~ b ~ c`: the joined text, refused before joining when it would be too long."""
    parts = [str(value) for value in values]
    _check_size(sum(len(part) for part in parts), "")
    return "".join(parts)


def bounded_range(*args: int) -> range:
    """`range()` with at most MAX_RANGE items."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range() larger than {MAX_RANGE} items")
    return numbers


# --- filters and methods --------------------------------------------------------------------


def _any_wide_number(args: Iterable[Any]) -> bool:
    return any(
        isinstance(arg, int) and not isinstance(arg, bool) and arg > MAX_OUTPUT for arg in args
    )


def _no_wide_number(value: Any, *options: Any, **named: Any) -> tuple[Any, ...]:
    """center(width), indent(width), slice(slices): a width past the limit is refused."""
    if _any_wide_number((*options, *named.values())):
        raise too_long()
    return (value, *options)


def _no_wide_format(value: Any, *options: Any, **_: Any) -> tuple[Any, ...]:
    if isinstance(value, str) and _wide_format(value):
        raise too_long()
    return (value, *options)


def _join_size(items: list[Any], separator: Any) -> int:
    return sum(len(str(item)) for item in items) + len(str(separator)) * max(len(items) - 1, 0)


def _bounded_join(value: Any, *options: Any, **named: Any) -> tuple[Any, ...]:
    """join(d, attribute): the items are listed first (a generator from map() is drawn once,
    here), then their joined size is checked."""
    items = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else value
    separator = options[0] if options else named.get("d", "")
    if isinstance(items, list) and not (options[1:] or "attribute" in named):
        _check_size(_join_size(items, separator), "")
    return (items, *options)


def _replace_size(text: str, old: str, new: str) -> int:
    if not old:
        return len(text) + len(new) * (len(text) + 1)
    return len(text) + text.count(old) * max(len(new) - len(old), 0)


def _bounded_replace(value: Any, *options: Any, **named: Any) -> tuple[Any, ...]:
    old = options[0] if options else named.get("old", "")
    new = options[1] if len(options) > 1 else named.get("new", "")
    _check_size(_replace_size(str(value), str(old), str(new)), "")
    return (value, *options)


_FILTER_CHECKS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "center": _no_wide_number,
    "indent": _no_wide_number,
    "slice": _no_wide_number,
    "format": _no_wide_format,
    "join": _bounded_join,
    "replace": _bounded_replace,
}


def limit_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func`, or for a filter that can multiply its input, `func` checked first."""
    check = _FILTER_CHECKS.get(name)
    if check is None:
        return func
    passes_context = hasattr(func, "jinja_pass_arg")  # pass_eval_context: args[0] is no value

    def limited(*args: Any, **kwargs: Any) -> Any:
        lead, values = (args[:1], args[1:]) if passes_context else ((), args)
        return func(*lead, *check(*values, **kwargs), **kwargs)

    if passes_context:
        limited.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
    return limited


_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def check_call(callee: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a method call on text that would build a value past a limit."""
    # the sandbox hands out str.format wrapped (functools.update_wrapper keeps __wrapped__)
    owner = getattr(getattr(callee, "__wrapped__", callee), "__self__", None)
    name = getattr(callee, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS and _any_wide_number((*args, *kwargs.values())):
        raise too_long()
    if name in {"format", "format_map"} and _wide_format(owner):
        raise too_long()
    if name == "join" and args and isinstance(args[0], list | tuple):
        _check_size(_join_size(list(args[0]), owner), owner)
    if name == "replace" and len(args) >= 2:
        _check_size(_replace_size(owner, *args), owner)


# --- loops and time -------------------------------------------------------------------------


class Budget:
    """The time one render may spend in loops; entered around the render."""

    def __enter__(self) -> Budget:
        self._token = _deadline.set(time.monotonic() + MAX_SECONDS)
        return self

    def __exit__(self, *_: object) -> None:
        _deadline.reset(self._token)


def bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """The items of a `for` loop, stopping the render once its time is up."""
    deadline = _deadline.get()
    for count, item in enumerate(iterable):
        if deadline is not None and count % _CHECK_EVERY == 0 and time.monotonic() > deadline:
            raise TemplateLimitError(
                f"template took longer than {MAX_SECONDS:g} s (a loop that does not end?)"
            )
        yield item


def bounded_output(chunks: Iterable[str]) -> str:
    """The rendered text, refused as soon as it passes MAX_OUTPUT characters."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        _check_size(size, "")
        parts.append(chunk)
    return "".join(parts)


_REFUSED_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    nodes.Extends: "extends",
}


def bound_loops(template: nodes.Template, loop_guard: str) -> nodes.Template:
    """The parsed template with every `for` loop's items drawn through the environment's
    `loop_guard` method; a TemplateLimitError for statements with unbounded recursion."""
    for kind, name in _REFUSED_STATEMENTS.items():
        if next(template.find_all(kind), None) is not None:
            raise TemplateLimitError(f"{name} are not supported in playbook templates")
    for loop in template.find_all(nodes.For):
        if loop.recursive:
            raise TemplateLimitError("recursive loops are not supported in playbook templates")
        guard = nodes.EnvironmentAttribute(loop_guard, lineno=loop.lineno)
        loop.iter = nodes.Call(guard, [loop.iter], [], None, None, lineno=loop.lineno)
    return template


def sized(value: Any) -> Any:
    """A rendered native value, refused when it is past the size limit."""
    if isinstance(value, Sized) and _sized(value):
        _check_size(len(value), value)
    return value
