"""Jinja templating in a sandbox, strict about undefined names, careful with secrets.

- `SandboxedEnvironment` + `StrictUndefined`: a template cannot reach Python internals and an
  undefined name is an error, never an empty string.
- A string that is one expression (`"{{ flag }}"`) renders to the expression's native value
  (a bool stays a bool, a Secret stays a Secret).
- A Secret may be inserted whole (`"{{ secrets.pw }}"`, or inside text); the result is then a
  Secret. Filters, attributes and string operations on a Secret are refused: they would
  otherwise see only `********` and produce a wrong value silently.
- What a template may cost is bounded (size, ranges, loops' time): `template_limits`.
"""

from __future__ import annotations

import contextvars
import re
import secrets as _random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from orchestrator import template_limits as limits
from orchestrator.durations import parse_duration
from orchestrator.secrets import Secret, SecretTextError, forbid_secret_text
from orchestrator.validation import suggest

_NONCE = _random.token_hex(8)
_PLACEHOLDER = re.compile(rf"\x00{_NONCE}:(\d+)\x00")
_SINGLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)
_collected: contextvars.ContextVar[list[Secret] | None] = contextvars.ContextVar(
    "collected_secrets", default=None
)

SMS_DATE_FORMAT = "%Y/%m/%d %H:%M.%S"  # "2000/06/13 06:28.53" (Q265358): yyyy/MM/dd HH:mm.ss


class TemplateError(Exception):
    """A template could not be parsed or rendered; the message says why."""


def sms_date(value: datetime) -> str:
    """Format a datetime as the SMS 2.0 client's REG_SZ dates: `2000/06/13 06:28.53`."""
    if not isinstance(value, datetime):
        raise TemplateError(f"sms_date expects a datetime, found {type(value).__name__}")
    return value.strftime(SMS_DATE_FORMAT)


class Templar:
    """Renders values with variables. One instance is safe to share between threads."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        env = _SecretAwareSandbox(undefined=StrictUndefined, autoescape=False)
        env.finalize = _finalize
        env.filters = {
            name: _guard(limits.limit_filter(name, f), name) for name, f in env.filters.items()
        }
        env.tests = {
            name: _guard(cast(Callable[..., Any], t), name) for name, t in env.tests.items()
        }
        env.filters["sms_date"] = _guard(sms_date, "sms_date")
        env.filters["duration"] = _guard(parse_duration, "duration")
        env.globals.update(now=self._now, ago=self._ago)
        self.env = env

    def _now(self) -> datetime:
        return self.clock()

    def _ago(self, duration: str) -> datetime:
        return self.clock() - parse_duration(duration)

    # --- checks at load time --------------------------------------------------------------

    def syntax_error(self, text: str) -> str | None:
        """Why `text` is not a valid template, or None."""
        try:
            self.env.parse(text)
        except TemplateSyntaxError as exc:
            return f"template syntax error: {exc.message}"
        return None

    def expression_error(self, expression: str) -> str | None:
        """Why `expression` (a `when:` or `until:`) is not a valid expression, or None."""
        if "{{" in expression or "{%" in expression:
            return "write the expression without {{ }} (it is already an expression)"
        try:
            self.env.compile_expression(expression)
        except TemplateSyntaxError as exc:
            return f"expression syntax error: {exc.message}"
        return None

    def names_used(self, text: str) -> set[str]:
        """Top-level variable names a template refers to."""
        return set(meta.find_undeclared_variables(self.env.parse(text)))

    # --- rendering ------------------------------------------------------------------------

    def render(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """`value` with every template string rendered; containers are rendered recursively."""
        if isinstance(value, str):
            return self.render_text(value, variables) if _is_template(value) else value
        if isinstance(value, dict):
            return {k: self.render(v, variables) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.render(v, variables) for v in value]
        return value

    def render_text(self, text: str, variables: Mapping[str, Any]) -> Any:
        """One template string: a native value for a lone expression, else text (or Secret)."""
        single = _SINGLE.match(text)
        if single and "}}" not in single.group(1) and "{%" not in text:
            return self.evaluate(single.group(1), variables)
        return self._render_mixed(text, variables)

    def evaluate(self, expression: str, variables: Mapping[str, Any]) -> Any:
        """The native value of an expression."""
        with forbid_secret_text():
            try:
                compiled = self.env.compile_expression(expression, undefined_to_none=False)
                with limits.Budget():
                    result = limits.sized(compiled(**variables))
                if isinstance(result, StrictUndefined):
                    str(result)  # raises UndefinedError with jinja's message
            except (TemplateSyntaxError, UndefinedError, SecurityError, SecretTextError) as exc:
                raise TemplateError(_explain(exc, variables)) from None
            except limits.TemplateLimitError as exc:
                raise TemplateError(str(exc)) from None
            except TemplateError:
                raise
            except Exception as exc:  # noqa: BLE001 -- any failure of user code becomes an input error
                raise TemplateError(f"{type(exc).__name__}: {exc}") from None
        return result

    def _compile(self, text: str) -> Any:
        """A template of text; statements are parsed first so that loops can be bounded."""
        if "{%" not in text:
            return self.env.from_string(text)
        return self.env.from_string(limits.bound_loops(self.env.parse(text), "bounded_iter"))

    def _render_mixed(self, text: str, variables: Mapping[str, Any]) -> Any:
        collected: list[Secret] = []
        token = _collected.set(collected)
        try:
            with forbid_secret_text(), limits.Budget():
                rendered = limits.bounded_output(self._compile(text).generate(**variables))
        except (TemplateSyntaxError, UndefinedError, SecurityError, SecretTextError) as exc:
            raise TemplateError(_explain(exc, variables)) from None
        except limits.TemplateLimitError as exc:
            raise TemplateError(str(exc)) from None
        except TemplateError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any failure of user code becomes an input error
            raise TemplateError(f"{type(exc).__name__}: {exc}") from None
        finally:
            _collected.reset(token)
        if not collected:
            return rendered
        clear = _PLACEHOLDER.sub(lambda m: collected[int(m.group(1))].reveal(), rendered)
        return Secret(clear, "+".join(dict.fromkeys(s.label for s in collected)))


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _finalize(value: Any) -> Any:
    """Called on every `{{ }}` output: a Secret becomes a placeholder, restored after render."""
    if isinstance(value, Secret):
        collected = _collected.get()
        if collected is None:
            raise TemplateError("a secret cannot be used here")
        collected.append(value)
        return f"\x00{_NONCE}:{len(collected) - 1}\x00"
    return value


def _guard(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """Refuse filters/tests on Secrets: they would only ever see the redacted text."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, Secret) for a in (*args, *kwargs.values())):
            raise TemplateError(
                f"the '{name}' filter cannot be applied to a secret; insert secrets whole,"
                " e.g. '{{ secrets.name }}'"
            )
        return func(*args, **kwargs)

    for attr in ("jinja_pass_arg",):  # keep jinja's pass_context/pass_environment markers
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    return guarded


class SecretNamespace(Mapping[str, Secret]):
    """`secrets` in templates: the playbook's declared secrets, by name."""

    def __init__(self, secrets: Mapping[str, Secret]) -> None:
        self._secrets = dict(secrets)

    def __getitem__(self, name: str) -> Secret:
        try:
            return self._secrets[name]
        except KeyError:
            hint = suggest(name, self._secrets)
            raise TemplateError(
                f"secret '{name}' is not declared in the playbook's secrets:"
                + (f" ({hint})" if hint else "")
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `a ~ b` checked for size like the other operators."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 -- jinja's name
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _SecretAwareSandbox(SandboxedEnvironment):
    """The sandbox, plus: no attribute of a Secret is reachable from a template, and what a
    template may build or spend is bounded (`template_limits`)."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = limits.bounded_range
        self.globals.pop("lipsum", None)  # random text, minutes for a large count

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 -- jinja's signature
        limits.check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    @staticmethod
    def bounded_concat(values: tuple[Any, ...]) -> str:
        return limits.concat(values)

    @staticmethod
    def bounded_iter(iterable: Any) -> Any:
        return limits.bounded_iter(iterable)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, Secret):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, SecretNamespace):
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, SecretNamespace) and isinstance(argument, str):
            return obj[argument]
        return super().getitem(obj, argument)


def _explain(exc: Exception, variables: Mapping[str, Any]) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error: {exc.message}"
    if isinstance(exc, UndefinedError):
        missing = re.match(r"'(\w+)' is undefined", exc.message or "")
        hint = suggest(missing.group(1), variables) if missing else ""
        return f"undefined variable: {exc.message}" + (f"; {hint}" if hint else "")
    if isinstance(exc, SecurityError):
        return f"not allowed in the template sandbox: {exc}"
    return (
        f"a secret cannot be used this way: {exc}; insert it whole, e.g. '{{{{ secrets.name }}}}'"
    )


_SYNTAX_CHECKER: Templar | None = None


def expression_syntax_error(expression: str) -> str | None:
    """Why `expression` is not a valid `when:`/`until:` expression, or None (load-time check)."""
    global _SYNTAX_CHECKER  # noqa: PLW0603 -- one lazily built, stateless checker
    if _SYNTAX_CHECKER is None:
        _SYNTAX_CHECKER = Templar()
    return _SYNTAX_CHECKER.expression_error(expression)


def template_syntax_error(text: str) -> str | None:
    """Why `text` is not a valid template, or None (load-time check)."""
    global _SYNTAX_CHECKER  # noqa: PLW0603 -- one lazily built, stateless checker
    if _SYNTAX_CHECKER is None:
        _SYNTAX_CHECKER = Templar()
    return _SYNTAX_CHECKER.syntax_error(text)
