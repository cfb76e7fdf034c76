"""Binding a playbook to an inventory: which hosts each step targets, with which arguments.

Pure: given a playbook, an inventory, extra vars and secrets (real or placeholders), it
renders every step's arguments for every targeted host and validates them with the module's
schema. `validate -i` uses it to check everything short of contacting hosts; plan and run
use it to produce the arguments they send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import InputError, Problem
from orchestrator.inventory.model import Host, Inventory
from orchestrator.inventory.patterns import parse_pattern, select, unknown_names
from orchestrator.playbook.checks import Checks, unknown_overrides
from orchestrator.playbook.model import Playbook, Step
from orchestrator.playbook.variables import Var, VariableResolver, layer, vars_from_mapping
from orchestrator.playbook.vartypes import check_declared, typed_overrides
from orchestrator.secrets import Secret, SecretRequest, UnresolvedSecret
from orchestrator.templating import SecretNamespace, Templar, TemplateError
from orchestrator.validation import is_template, validate
from orchestrator.yamlsource import format_path, walk

if TYPE_CHECKING:  # the registry is passed in: playbook/ never imports the modules
    from orchestrator.modules import ArgsModel, Registry

LateRenderer = Callable[["Step", "Host", Mapping[str, Any]], "ArgsModel"]
"""Renders a step's arguments at run time, with what earlier steps registered."""


@dataclass(frozen=True)
class BoundStep:
    """One step on one host: the rendered, validated arguments."""

    step: Step
    host: Host
    args: ArgsModel


@dataclass
class Binding:
    """Every step bound to its hosts, and every problem found doing so."""

    steps: list[tuple[Step, tuple[Host, ...]]] = field(default_factory=list)
    bound: list[BoundStep] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: list[tuple[Problem, str | None]] = field(default_factory=list)
    late: dict[str, frozenset[str]] = field(default_factory=dict)  # step -> registered names
    # its arguments use: rendered at run time (render_late), once earlier steps registered them
    renderer: LateRenderer | None = None
    _args: dict[tuple[str, str], ArgsModel] = field(default_factory=dict)

    def add(self, bound: BoundStep) -> None:
        """Record a step's rendered arguments on a host."""
        self.bound.append(bound)
        self._args[(bound.step.name, bound.host.name)] = bound.args

    def hosts(self) -> list[Host]:
        """Every host some step targets, in the order steps first target them, once."""
        seen: dict[str, Host] = {}
        for _, targets in self.steps:
            for host in targets:
                seen.setdefault(host.name, host)
        return list(seen.values())

    def targets(self, step: Step) -> tuple[Host, ...]:
        """The hosts a step targets."""
        return next((hosts for bound, hosts in self.steps if bound.name == step.name), ())

    def args_of(self, step: Step, host: Host) -> ArgsModel | None:
        """The rendered arguments of a step on a host (None for a step rendered late)."""
        return self._args.get((step.name, host.name))

    def render_late(self, step: Step, host: Host, facts: Mapping[str, Any]) -> ArgsModel:
        """A late step's arguments, rendered with what earlier steps registered; InputError
        naming the file, line and field when they do not render or validate."""
        assert self.renderer is not None, "render_late on a binding without a renderer"
        return self.renderer(step, host, {**self.variables.get(host.name, {}), **facts})

    def report(self, problem: Problem, host: Host | None = None) -> None:
        """Record a problem, on a host or on the playbook as a whole."""
        self.issues.append((problem, host.name if host else None))

    @property
    def problems(self) -> list[Problem]:
        """One problem per place and message, naming the hosts it concerns."""
        hosts_of: dict[Problem, list[str]] = {}
        for problem, host in self.issues:
            names = hosts_of.setdefault(problem, [])
            if host is not None and host not in names:
                names.append(host)
        return [_with_hosts(problem, hosts) for problem, hosts in hosts_of.items()]


def secret_requests(playbook: Playbook) -> list[SecretRequest]:
    """What the playbook's `secrets:` asks for; `file:` paths are relative to the playbook."""
    base_dir = Path(playbook.path).parent
    return [
        SecretRequest(name, source, playbook.source.value_at(("secrets", name)), base_dir)
        for name, source in playbook.secrets.items()
    ]


def placeholder_secrets(playbook: Playbook) -> dict[str, Secret]:
    """Stand-ins for the playbook's secrets when they are not to be fetched (validation)."""
    return {name: UnresolvedSecret(name) for name in playbook.secrets}


class Binder:
    """Binds playbooks to one inventory with one set of extra vars and secrets."""

    def __init__(
        self,
        inventory: Inventory,
        extra_vars: Mapping[str, Var],
        modules: Registry,
        templar: Templar | None = None,
    ) -> None:
        self.inventory = inventory
        self.extra_vars = extra_vars
        self.modules = modules
        self.templar = templar or Templar()
        self.resolver = VariableResolver(self.templar)

    def bind(self, playbook: Playbook, secrets: Mapping[str, Secret]) -> Binding:
        """Targets and rendered arguments of every step; problems are collected, not raised.

        A step whose arguments use a name an earlier step registers is rendered at run time
        (`Binding.render_late`): what it reads does not exist before the run."""
        binding = Binding(renderer=self._late_renderer(playbook))
        checks = Checks(playbook, self.modules, self.templar)
        self.check_overrides(playbook, checks, binding)
        variables: dict[str, dict[str, Any] | None] = {}
        registered: dict[str, Any] = {}  # name -> a sample of what the run will register
        for step in playbook.steps():
            hosts = self.targets(playbook, step, binding)
            binding.steps.append((step, hosts))
            uses = frozenset(self.names_in(step.args) & registered.keys())
            if uses:
                binding.late[step.name] = uses
            for host in hosts:
                if host.name not in variables:
                    variables[host.name] = self.host_variables(playbook, host, secrets, binding)
                host_vars = variables[host.name]
                if host_vars is not None:
                    binding.variables[host.name] = host_vars
                    if not uses:
                        self.render(playbook, step, host, host_vars, binding)
                    checks.step(step, host, host_vars, registered, binding, late=bool(uses))
            if step.register_as:
                registered[step.register_as] = checks.registers(step)
        checks.windows(binding)
        return binding

    def check_overrides(self, playbook: Playbook, checks: Checks, binding: Binding) -> None:
        """-e names nothing uses are problems: a misspelled override is never ignored."""
        known = {
            *playbook.vars,
            *playbook.var_types,
            *(name for host in self.inventory.hosts for name in host.vars),
            *checks.names_used(),
            *self.inventory_names_used(),
        }
        for problem in unknown_overrides(self.extra_vars, known, playbook):
            binding.report(problem)

    def inventory_names_used(self) -> set[str]:
        """Names the inventory's templated variables use (they may come from -e)."""
        return {
            name
            for host in self.inventory.hosts
            for _, value in walk(dict(host.vars))
            if isinstance(value, str) and is_template(value)
            for name in _names_or_none(self.templar, value)
        }

    def names_in(self, args: Any) -> set[str]:
        """Every top-level name the templates in a step's arguments use."""
        return {
            name
            for _, value in walk(args)
            if isinstance(value, str) and is_template(value)
            for name in self.templar.names_used(value)
        }

    def _late_renderer(self, playbook: Playbook) -> LateRenderer:
        def render(step: Step, host: Host, variables: Mapping[str, Any]) -> ArgsModel:
            late = Binding()
            self.render(playbook, step, host, variables, late)
            args = late.args_of(step, host)
            if args is None:
                raise InputError(late.problems)
            return args

        return render

    def targets(self, playbook: Playbook, step: Step, binding: Binding) -> tuple[Host, ...]:
        """The hosts a step's `hosts:` selects (after --limit); unknown names are problems."""
        pattern = parse_pattern(step.hosts)
        path = (*step.path, "hosts")
        for name, hint in unknown_names(self.inventory, pattern):
            binding.report(
                Problem(
                    playbook.source.value_at(path),
                    format_path(path),
                    f"'{name}' is no role, group or host in {self.inventory.path}",
                    hint,
                )
            )
        return select(self.inventory, pattern)

    def host_variables(
        self, playbook: Playbook, host: Host, secrets: Mapping[str, Secret], binding: Binding
    ) -> dict[str, Any] | None:
        """The variables a host's templates see, or None when they cannot be resolved."""
        lower = layer(
            vars_from_mapping(playbook.vars, playbook.source, ("vars",), "playbook vars"),
            _inventory_vars(host),
        )
        for problem in check_declared(lower, playbook.var_types):
            binding.report(problem, host)
        try:
            overrides = typed_overrides(self.extra_vars, lower, playbook.var_types)
        except InputError as exc:
            for problem in exc.problems:
                binding.report(problem)  # the same for every host whose default is the same
            return None
        try:
            return self.resolver.resolve(layer(lower, overrides), self.magic(host, secrets))
        except InputError as exc:
            for problem in exc.problems:
                binding.report(problem, host)
            return None

    def magic(self, host: Host, secrets: Mapping[str, Secret]) -> dict[str, Any]:
        """Names the engine provides to every template."""
        return {
            "inventory_hostname": host.name,
            "group_names": list(host.groups),
            "roles": sorted(host.roles),
            "groups": {name: list(group.hosts) for name, group in self.inventory.groups.items()},
            "secrets": SecretNamespace(secrets),
            "targets": self.targets_of,
        }

    def targets_of(self, pattern: str) -> list[str]:
        """`targets('client')` in templates: host names a pattern selects in this run."""
        return [host.name for host in select(self.inventory, parse_pattern(pattern))]

    def render(
        self,
        playbook: Playbook,
        step: Step,
        host: Host,
        variables: Mapping[str, Any],
        binding: Binding,
    ) -> None:
        """Render one step's arguments for one host and validate them."""
        base = (*step.path, step.module)
        try:
            rendered = self.templar.render(step.args, variables)
        except TemplateError as exc:
            binding.report(
                Problem(playbook.source.value_at(base), format_path(base), str(exc)), host
            )
            return
        args, found = validate(self.modules[step.module].args, rendered, playbook.source, base)
        for problem in found:
            binding.report(problem, host)
        if args is not None:
            binding.add(BoundStep(step, host, args))


def _names_or_none(templar: Templar, text: str) -> set[str]:
    try:
        return templar.names_used(text)
    except Exception:  # noqa: BLE001 -- a syntax error is the inventory loader's to report
        return set()


def _inventory_vars(host: Host) -> dict[str, Var]:
    result = {}
    for name, value in host.vars.items():
        origin = host.origins.get(f"vars.{name}")
        result[name] = Var(
            value, origin.location if origin else None, origin.scope if origin else "inventory"
        )
    return result


def _with_hosts(problem: Problem, hosts: list[str]) -> Problem:
    if not hosts:
        return problem
    shown = ", ".join(hosts[:5]) + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else "")
    hint = f"on {shown}" + (f"; {problem.hint}" if problem.hint else "")
    return Problem(problem.location, problem.field, problem.message, hint)
