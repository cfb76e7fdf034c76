"""Sandboxed, strict templating that keeps secrets secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrator.secrets import Secret
from orchestrator.templating import SecretNamespace, Templar, TemplateError

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
CANARY = "canary-Zq7!pw"


@pytest.fixture
def templar() -> Templar:
    return Templar(clock=lambda: NOW)


@pytest.fixture
def variables() -> dict[str, Any]:
    return {
        "site_code": "TB1",
        "enabled": True,
        "count": 3,
        "names": ["a", "b"],
        "secrets": SecretNamespace({"pw": Secret(CANARY, "pw")}),
    }


def test_a_lone_expression_keeps_its_native_type(
    templar: Templar, variables: dict[str, Any]
) -> None:
    """`{{ enabled }}` renders to the boolean, `{{ names }}` to the list."""
    assert templar.render("{{ enabled }}", variables) is True
    assert templar.render(" {{ names }} ", variables) == ["a", "b"]
    assert templar.render("{{ count + 1 }}", variables) == 4


def test_text_with_expressions_renders_to_text(templar: Templar, variables: dict[str, Any]) -> None:
    """Mixed text renders to a string; containers are rendered recursively."""
    rendered = templar.render({"a": ["SMSClient_{{ site_code }}"], "b": 5}, variables)
    assert rendered == {"a": ["SMSClient_TB1"], "b": 5}


def test_a_secret_stays_a_secret(templar: Templar, variables: dict[str, Any]) -> None:
    """A secret inserted whole, alone or inside text, renders to a Secret holding the value."""
    alone = templar.render("{{ secrets.pw }}", variables)
    inside = templar.render("pre-{{ secrets.pw }}-{{ site_code }}", variables)
    assert isinstance(alone, Secret)
    assert alone.reveal() == CANARY
    assert isinstance(inside, Secret)
    assert inside.reveal() == f"pre-{CANARY}-TB1"
    assert CANARY not in repr(inside) + str(inside)


@pytest.mark.parametrize(
    "template",
    [
        "{{ secrets.pw | upper }}",
        "{{ 'x' ~ secrets.pw }}",
        "{{ secrets.pw.reveal() }}",
        "{{ secrets.pw | length }}",
        "{% if secrets.pw is string %}x{% endif %}",
    ],
)
def test_secrets_cannot_be_transformed(
    templar: Templar, variables: dict[str, Any], template: str
) -> None:
    """Filters, tests, attributes and concatenation on a secret fail instead of leaking or garbling it."""
    with pytest.raises(TemplateError) as info:
        templar.render(template, variables)
    assert CANARY not in str(info.value)


def test_undeclared_secret_names_the_declared_ones(
    templar: Templar, variables: dict[str, Any]
) -> None:
    """Referring to a secret the playbook does not declare says so, with a suggestion."""
    with pytest.raises(TemplateError, match=r"secret 'pww' is not declared.*did you mean 'pw'"):
        templar.render("{{ secrets.pww }}", variables)


def test_undefined_variables_are_errors_with_a_suggestion(
    templar: Templar, variables: dict[str, Any]
) -> None:
    """StrictUndefined: a misspelled variable fails and suggests the close name."""
    with pytest.raises(TemplateError, match=r"'site_cod' is undefined; did you mean 'site_code'"):
        templar.render("SMSClient_{{ site_cod }}", variables)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ names.__class__ }}",
        "{{ site_code.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_the_sandbox_refuses_python_internals(
    templar: Templar, variables: dict[str, Any], template: str
) -> None:
    """Reaching Python internals from a template is a sandbox violation, reported as such."""
    with pytest.raises(TemplateError, match=r"sandbox|undefined"):
        templar.render(template, variables)


def test_syntax_errors_are_reported(templar: Templar) -> None:
    """A broken template and a broken expression are reported at load time."""
    assert templar.syntax_error("{{ a") is not None
    assert templar.syntax_error("ok {{ a }}") is None
    assert templar.expression_error("a >=") is not None
    assert templar.expression_error("{{ a }}") == (
        "write the expression without {{ }} (it is already an expression)"
    )


def test_sms_date_and_ago_produce_the_client_format(templar: Templar) -> None:
    """`ago('61d') | sms_date` is the REG_SZ format of Site Config Last Checked, 61 days back."""
    assert templar.render("{{ ago('61d') | sms_date }}", {}) == "2026/09/25 12:00.00"
    assert templar.render("{{ now() | sms_date }}", {}) == "2026/11/25 12:00.00"


def test_evaluate_returns_the_expression_value(templar: Templar, variables: dict[str, Any]) -> None:
    """`when:`/`until:` expressions evaluate to native values."""
    assert templar.evaluate("count > 2 and enabled", variables) is True
    with pytest.raises(TemplateError, match="undefined"):
        templar.evaluate("missing > 1", variables)
