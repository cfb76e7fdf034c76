"""What a run would refuse for reasons that do not depend on live state, found before it.

Binding (binding.py) runs these on every path (`validate -i`, `plan`, `run`, resume,
rollback): a problem found here is an input error before any host is contacted, instead of
a step failing after irreversible ones.

- Every name a template or expression uses exists where it is used: in `when:`, in the
  arguments of steps rendered at run time, in `until:`/`that:` (which also see their probe's
  values). A name registered by a later step, or by the step itself, does not exist yet.
- `when:`, `until:` and `that:` are evaluated once with the real variables and samples of
  what the run will read (orchestrator/samples.py): a misspelled probe value or a comparison
  of a number with text fails here.
- `-e` names that no template, variable or expression uses are refused: a misspelled
  override would otherwise be ignored silently.
- The waits inside a window fit before its deadline, leaving the time its revert needs at
  the very least (the run measures it and may stop forward work earlier).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from orchestrator.budget import revert_budget
from orchestrator.durations import format_duration
from orchestrator.errors import Location, Problem
from orchestrator.inventory.model import Host
from orchestrator.playbook.model import Playbook, Step, Window
from orchestrator.playbook.variables import Var
from orchestrator.samples import UNKNOWN
from orchestrator.secrets import Secret
from orchestrator.templating import Templar, TemplateError
from orchestrator.validation import is_template, suggest
from orchestrator.yamlsource import NodePath, format_path, walk

if TYPE_CHECKING:
    from orchestrator.modules import Registry
    from orchestrator.playbook.binding import Binding

STATUS_SAMPLE = {"changed": False, "failed": False, "skipped": False, "ok": True}

# What an evaluation with samples may reveal: these failures would happen in the run too.
# Others (a division by zero, an index out of range) may come from the samples themselves.
_REPORTED = ("undefined variable", "TypeError", "not allowed in the template sandbox", "a secret")


class _Registered(dict[str, Any]):
    """What a step of unknown shape registers: its status fields, and anything else."""

    def __missing__(self, key: str) -> Any:
        return UNKNOWN


@dataclass(frozen=True)
class _Text:
    """One template or expression of a step, where it is written."""

    path: NodePath
    text: str
    expression: bool  # evaluated as an expression (when/until/that) rather than rendered
    values: Mapping[str, Any]  # what it sees besides variables and registered names


class Checks:
    """The static checks of one playbook against one registry of modules."""

    def __init__(self, playbook: Playbook, modules: Registry, templar: Templar) -> None:
        self.playbook = playbook
        self.modules = modules
        self.templar = templar
        self.globals = set(templar.env.globals)
        self.registered_by: dict[str, Step] = {
            s.register_as: s for s in playbook.steps() if s.register_as
        }
        self._results: dict[tuple[Any, ...], str | None] = {}

    # -- names and expressions, per step and host -------------------------------------------

    def step(
        self,
        step: Step,
        host: Host,
        variables: Mapping[str, Any],
        registered: Mapping[str, Any],
        binding: Binding,
        *,
        late: bool,
    ) -> None:
        """Report every undefined name and failing expression of a step on a host."""
        scope = {**variables, **registered}
        for text in self.texts(step, include_args=late):
            problem = self.check(text, scope)
            if problem is not None:
                binding.report(self.problem(text.path, problem), host)

    def texts(self, step: Step, *, include_args: bool) -> Iterator[_Text]:
        """The step's `when:`, its module's expressions, and (if asked) its templates."""
        if isinstance(step.when, str):
            yield _Text((*step.path, "when"), step.when, True, {})
        spec = self.modules[step.module]
        base = (*step.path, step.module)
        for expr in spec.expressions(step.args):
            yield _Text((*base, expr.field), expr.text, True, expr.values)
        if include_args:
            for sub, value in walk(step.args):
                if isinstance(value, str) and is_template(value):
                    yield _Text((*base, *sub), value, False, {})

    def check(self, text: _Text, scope: Mapping[str, Any]) -> str | None:
        """Why this text would fail in the run with these names, or None."""
        names = self.names(text)
        seen = {**scope, **text.values}
        missing = sorted(n for n in names if n not in seen and n not in self.globals)
        if missing:
            return self.undefined(missing[0], [*seen, *self.globals])
        key = (text.text, text.expression, *(_fingerprint(n, seen[n]) for n in sorted(names)))
        if key not in self._results:
            self._results[key] = self.evaluate(text, seen)
        return self._results[key]

    def evaluate(self, text: _Text, seen: Mapping[str, Any]) -> str | None:
        try:
            if text.expression:
                self.templar.evaluate(text.text, seen)
            else:
                self.templar.render(text.text, seen)
        except TemplateError as exc:
            message = str(exc)
            return message if message.startswith(_REPORTED) else None
        return None

    def names(self, text: _Text) -> set[str]:
        source = f"{{{{ {text.text} }}}}" if text.expression else text.text
        try:
            return self.templar.names_used(source)
        except Exception:  # noqa: BLE001 -- a syntax error is reported by the loader
            return set()

    def undefined(self, name: str, known: Iterable[str]) -> str:
        """The message for a name that does not exist where it is used."""
        later = self.registered_by.get(name)
        if later is not None:
            return (
                f"undefined variable: '{name}' is registered by step '{later.name}', which has"
                " not run at this point"
            )
        hint = suggest(name, known)
        return f"undefined variable: '{name}' is undefined" + (f"; {hint}" if hint else "")

    def problem(self, path: NodePath, message: str) -> Problem:
        source = self.playbook.source
        return Problem(source.value_at(path), format_path(path), message)

    def registers(self, step: Step) -> dict[str, Any]:
        """A sample of what `register:` keeps from this step: typed when the module knows
        the shape (a probe's values), else anything beside the status fields."""
        shape = self.modules[step.module].registers(step.args)
        if shape is None:
            return _Registered({**STATUS_SAMPLE, "after": _Registered()})
        return {**shape, **STATUS_SAMPLE, "after": {}}

    # -- names the playbook uses, for -e -------------------------------------------------

    def names_used(self) -> set[str]:
        """Every name any template or expression of the playbook uses."""
        used: set[str] = set()
        for _, value in walk(self.playbook.vars):
            if isinstance(value, str) and is_template(value):
                used |= self.names(_Text((), value, False, {}))
        for step in self.playbook.steps():
            for text in self.texts(step, include_args=True):
                used |= self.names(text)
        return used

    # -- windows -----------------------------------------------------------------------------

    def windows(self, binding: Binding) -> None:
        """Report a wait that cannot end before its window must start reverting."""
        for window in self.playbook.windows():
            hosts = {h.name: h for s in window.steps for h in binding.targets(s)}
            if not hosts:
                continue
            budget = revert_budget(  # a lower bound: every host at once, no latency
                hosts=len(hosts),
                forks=len(hosts),
                steps=len(window.steps),
                latency=0.0,
                connect_timeout=max(
                    h.connection.connection_timeout.total_seconds() for h in hosts.values()
                ),
            )
            room = window.deadline - timedelta(seconds=budget.seconds)
            for host in hosts.values():
                self.waits_fit(window, host, room, budget.seconds, binding)

    def waits_fit(
        self, window: Window, host: Host, room: timedelta, revert: float, binding: Binding
    ) -> None:
        """The waits of a window on one host, one after the other, end within `room`."""
        total = timedelta(0)
        for step in window.steps:
            args = binding.args_of(step, host)
            longest = self.modules[step.module].longest(args) if args is not None else None
            if longest is None:
                continue
            total += longest
            if total <= room:
                continue
            path = (*step.path, step.module, "timeout")
            before = total - longest
            waited = f" after {format_duration(before)} of earlier waits" if before else ""
            message = (
                f"this wait may last {format_duration(longest)}{waited}, but window"
                f" '{window.name}' must stop forward work {format_duration(room)} after it opens"
                f" (its deadline less at least {revert:.0f}s to revert: the hosts' connection"
                " timeout)"
            )
            fits = max(room - before, timedelta(0))
            hint = (
                f"give the wait a timeout of at most {format_duration(fits)}, or the window a"
                " longer deadline"
            )
            binding.report(Problem(self.playbook.source.value_at(path), format_path(path),
                                   message, hint), host)  # fmt: skip
            return


def unknown_overrides(
    extra: Mapping[str, Var], known: Iterable[str], playbook: Playbook
) -> list[Problem]:
    """Each -e name that nothing uses: it would be ignored, most likely misspelled."""
    names = set(known)
    problems = []
    for name, var in extra.items():
        if name in names:
            continue
        hint = suggest(name, names) or "check its spelling; a variable nothing uses is ignored"
        problems.append(
            Problem(
                var.location or Location("command line -e"),
                f"-e {name}",
                f"'{name}' is no variable of {playbook.path} or its inventory",
                hint,
            )
        )
    return problems


def _fingerprint(name: str, value: Any) -> tuple[str, Any]:
    """A cache key for a value: equal plain values share one evaluation across hosts."""
    if value is None or isinstance(value, str | int | float | bool):
        return name, (type(value).__name__, value)
    if isinstance(value, Secret):
        return name, "secret"
    plain = isinstance(value, list | tuple) and len(value) <= 64
    if plain and all(v is None or isinstance(v, str | int | float | bool) for v in value):
        return name, ("list", tuple(value))
    return name, ("object", id(value))
