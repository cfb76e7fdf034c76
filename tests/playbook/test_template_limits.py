"""What one template may cost is bounded: each way of growing a value is refused before the
value is built, loops stop after a time limit, and everything else renders as before."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import template_limits as limits
from orchestrator.templating import Templar, TemplateError

HANG = 30  # seconds: far past every limit; a render still going then is a hang, not slowness


@contextmanager
def _no_hang() -> Iterator[None]:
    """Turn a render that never ends into a failure instead of a stuck test run."""

    def _hung(*_: object) -> None:
        raise AssertionError(f"the template was still rendering after {HANG} s")

    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _render(text: str, **variables: Any) -> Any:
    with _no_hang():
        return Templar().render(text, variables)


REFUSED = [
    ("{{ 'a' * 10**9 }}", "template result longer than 1000000 characters"),
    ("{{ 10**9 * 'a' }}", "template result longer than 1000000 characters"),
    ("{{ [0] * 10**9 }}", "template result longer than 1000000 items"),
    ("{{ big + big }}", "template result longer than 1000000 characters"),
    ("{{ big ~ big }}", "template result longer than 1000000 characters"),
    ("x{{ 'a' * 10**9 }}", "template result longer than 1000000 characters"),
    ("{{ 7 ** 1000000 }}", f"number larger than {limits.MAX_INT_BITS} bits"),
    ("{{ '%01000000000d' % 1 }}", "template result longer than 1000000 characters"),
    ("{{ '%s' | format('a') | center(10**9) }}", "template result longer than"),
    ("{{ 'a' | center(10**9) }}", "template result longer than 1000000 characters"),
    ("{{ 'a' | indent(10**9) }}", "template result longer than 1000000 characters"),
    ("{{ [1] | slice(10**9) | list }}", "template result longer than 1000000 characters"),
    ("{{ 'a'.ljust(10**9) }}", "template result longer than 1000000 characters"),
    ("{{ '{:>1000000000}'.format(1) }}", "template result longer than 1000000 characters"),
    ("{{ ([big] * 3) | join }}", "template result longer than 1000000 characters"),
    ("{{ ([big] * 3) | map('string') | join }}", "template result longer than 1000000 chara"),
    ("{{ big | replace('a', 'aa') }}", "template result longer than 1000000 characters"),
    ("{{ ''.join([big, big]) }}", "template result longer than 1000000 characters"),
    ("{{ range(10**9) | list }}", "range() larger than 100000 items"),
    ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
    ("{% for i in range(3) %}{{ big }}{% endfor %}", "template result longer than 1000000"),
    (
        (
            "{% set ns = namespace(x='ab') %}{% for i in range(40) %}"
            "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x | length }}"
        ),
        "template result longer than 1000000 characters",
    ),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        f"template took longer than {limits.MAX_SECONDS:g} s",
    ),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "macros are not supported"),
    ("{% for i in [1] recursive %}{{ loop([1]) }}{% endfor %}", "recursive loops are not"),
]


@pytest.mark.parametrize(("template", "said"), REFUSED)
def test_a_template_past_a_limit_is_a_template_error_naming_it(template: str, said: str) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(template, big="a" * 600_000)
    assert said in str(caught.value)


ALLOWED = [
    ("{{ 'ab' * 3 }}", "ababab"),
    ("{{ [0] * 2 }}", [0, 0]),
    ("{{ 2 ** 10 }}", 1024),
    ("{{ '%05d' % 42 }}", "00042"),
    ("{{ 'x' | center(5) }}", "  x  "),
    ("{{ ['a', 'b'] | join(',') }}", "a,b"),
    ("{{ 'a,b'.split(',') | map('upper') | join('-') }}", "A-B"),
    ("{{ 'ab' | replace('a', 'c') }}", "cb"),
    ("{{ 'x' ~ 1 }}", "x1"),
    ("{{ '{:>4}'.format(1) }}", "   1"),
    ("{{ range(3) | list }}", [0, 1, 2]),
    ("n={% for i in range(3) %}{{ i }}{% endfor %}", "n=012"),
    ("{{ 'a' * 1000000 }}", "a" * 1_000_000),  # exactly the limit
]


@pytest.mark.parametrize(("template", "rendered"), ALLOWED)
def test_ordinary_templates_render_as_before(template: str, rendered: Any) -> None:
    assert _render(template) == rendered


# --- fuzz: any composition of the ways to grow a value ends quickly, within the limits -----

NUMBERS = st.sampled_from(["0", "1", "3", "1000", "10**5", "10**6", "10**7", "10**9"])
ATOMS = st.one_of(NUMBERS, st.sampled_from(["'ab'", "[1, 2]", "big", "range(1000) | list"]))


def _grown(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["*", "+", "~", "**", "%"]), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    )
    filtered = st.tuples(
        children,
        st.sampled_from(
            [
                "center({n})",
                "indent({n})",
                "slice({n}) | list",
                "join",
                "replace('a', 'aaaa')",
                "list",
                "string",
                "batch({n}) | list",
            ]
        ),
        NUMBERS,
    ).map(lambda parts: f"({parts[0]} | {parts[1].format(n=parts[2])})")
    ranged = NUMBERS.map(lambda n: f"(range({n}) | list)")
    return st.one_of(binary, filtered, ranged)


EXPRESSIONS = st.recursive(ATOMS, _grown, max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, st.booleans())
def test_any_template_ends_quickly_within_the_limits(expression: str, looped: bool) -> None:
    """Whatever the composition, a render ends (error or value), and a value it returns is
    within the size limit."""
    template = (
        f"{{% for i in range(10**5) %}}{{{{ {expression} }}}}{{% endfor %}}"
        if looped
        else f"{{{{ {expression} }}}}"
    )
    try:
        value = _render(template, big="a" * 600_000)
    except TemplateError:
        return
    if isinstance(value, str | list | tuple):
        assert len(value) <= limits.MAX_OUTPUT
