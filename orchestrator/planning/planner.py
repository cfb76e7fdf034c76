"""Planning: what a run would do, per host and step, from read-only probes.

The same module code as `run` (probe, then diff) runs against a PlanTransport that forwards
only commands not marked `mutating`; a mutating command raises instead of reaching a host, so
plan mode changes nothing by construction. Nothing is skipped silently: each host x step is
"will change" (before -> after), "no change", "skipped" (`when` false), or "unknown" with
the reason (an escape-hatch script, a wait, the host unreachable, or an earlier step that
would change what this one reads: predicted state flows through the steps).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.budget import revert_budget
from orchestrator.commands import Command, CommandResult, Transport
from orchestrator.engine import events as ev
from orchestrator.engine.breaker import Rejection
from orchestrator.engine.facts import Facts, registered_value
from orchestrator.engine.fanout import Fanout, OutKind
from orchestrator.engine.hoststep import ModuleLookup, module_for
from orchestrator.engine.step import Status, StepOutcome, drive
from orchestrator.errors import AuthError, ConnectError, InputError, OrchestratorError
from orchestrator.inventory.model import Host
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import Diff, DiffKind, StepContext
from orchestrator.planning.resources import Key, conflicts, resources
from orchestrator.playbook.binding import Binding
from orchestrator.playbook.model import Playbook, Step
from orchestrator.secrets import REDACTED, Secret
from orchestrator.templating import Templar, TemplateError


class PlanViolationError(OrchestratorError):
    """A mutating command was about to be sent in plan mode (a bug in a module: never sent)."""


class PlanTransport:
    """Forwards read-only commands; refuses every mutating one. Times the round trips."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.timings: list[float] = []

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Forward a read-only command; raise for a mutating one."""
        if command.mutating:
            raise PlanViolationError(f"plan mode refused to send {command.describe()}")
        started = time.monotonic()
        try:
            return self.inner.run(command, timeout=timeout)
        finally:
            self.timings.append(time.monotonic() - started)

    def close(self) -> None:
        """The inner transport belongs to the connector."""


@dataclass(frozen=True)
class Prediction:
    """What one step would do on one host.

    `probed` digests the state the prediction rests on ("" when nothing stable was probed: a
    wait's progress, an unknown); `failed` marks a host that could not be planned.
    """

    step_index: int
    step: str
    host: str
    kind: str  # will-change, no-change, unknown, skipped
    summary: str = ""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    probed: str = ""
    failed: bool = False


@dataclass
class PlanResult:
    """Every prediction, the preflight, and each window's revert budget."""

    predictions: list[Prediction] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    budgets: dict[str, WindowBudget] = field(default_factory=dict)

    def fingerprints(self) -> dict[str, str]:
        """Per host: one digest of every stable value probed there, step by step."""
        by_host: dict[str, list[str]] = {}
        for p in sorted(self.predictions, key=lambda p: (p.host, p.step_index)):
            by_host.setdefault(p.host, []).append(f"{p.step_index}:{p.kind}:{p.probed}")
        return {host: digest("|".join(parts)) for host, parts in by_host.items()}

    @property
    def changes_pending(self) -> bool:
        """True when some step will (or may) change something."""
        return any(p.kind in ("will-change", "unknown") for p in self.predictions)

    @property
    def failed(self) -> bool:
        """True when a host could not be planned (unreachable, rejected credential)."""
        return bool(self.rejections) or any(p.failed for p in self.predictions)


@dataclass(frozen=True)
class WindowBudget:
    """A window's worst-case revert time against its deadline."""

    seconds: float
    explained: str
    fits: bool


class Planner:
    """Plans a bound playbook against hosts through the command's fan-out, emitting events."""

    def __init__(
        self,
        playbook: Playbook,
        binding: Binding,
        fanout: Fanout,
        *,
        templar: Templar | None = None,
        modules: ModuleLookup = module_for,
    ) -> None:
        self.playbook = playbook
        self.binding = binding
        self.fanout = fanout
        self.templar = templar or Templar()
        self.modules = modules
        self.result = PlanResult()
        self.facts = Facts()
        self._registers = {s.register_as: s.name for s in playbook.steps() if s.register_as}
        self._changed: list[tuple[str, frozenset[Key]]] = []  # (step, resources)
        self._outcomes: dict[Key, tuple[str, str, Mapping[str, Any] | None]] = {}
        self._timings: list[float] = []
        self._lock = threading.Lock()

    @property
    def bus(self) -> ev.EventBus:
        """The plan's events (the fan-out's)."""
        return self.fanout.events

    def plan(self, run_id: str = "plan") -> PlanResult:
        """Predict every host x step; never sends a mutating command."""
        hosts = self.binding.hosts()
        self.bus.emit(
            ev.RunStarted(run_id, self.playbook.name, tuple(h.name for h in hosts), _now())
        )
        self.fanout.preflight(hosts)
        for index, (step, targets) in enumerate(self.binding.steps):
            self._plan_step(index, step, targets)
        self._budgets()
        self.result.rejections = self.fanout.rejections()
        self.bus.emit(ev.RunFinished(run_id, self.result.failed, _now()))
        return self.result

    def _plan_step(self, index: int, step: Step, targets: Sequence[Host]) -> None:
        self.bus.emit(ev.StepStarted(index, step.name, step.module, tuple(h.name for h in targets)))
        earlier = list(self._changed)
        predictions = self.fanout.map(
            targets, lambda host: self._plan_host(index, step, host, earlier)
        )
        for prediction in predictions:
            self._record(prediction)
        if not getattr(self.modules(step.module), "read_only", False):  # a wait only reads
            self._remember(step, targets, predictions)
        if step.register_as:
            self._register(step, targets, predictions)
        self.bus.emit(ev.StepFinished(index, step.name, {}))

    def _register(
        self, step: Step, targets: Sequence[Host], predictions: Sequence[Prediction]
    ) -> None:
        """What the step would register, where the plan knows it (a probe ran for real; a
        change is predicted); an unknown leaves the name undefined for later steps."""
        assert step.register_as is not None
        shared = len(targets) == 1
        for p, host in zip(predictions, targets, strict=True):
            status = _PREDICTED_STATUS.get(p.kind)
            if status is None or p.failed:
                continue
            outcome = StepOutcome(status, Diff(DiffKind.NONE, p.summary, p.before, p.after))
            self.facts.record(step.register_as, host.name, registered_value(status, outcome),
                              shared=shared)  # fmt: skip

    def _remember(
        self, step: Step, targets: Sequence[Host], predictions: Sequence[Prediction]
    ) -> None:
        """What this step may change, and the facts it would leave, for the steps after it."""
        touched: set[Key] = set()
        for p, host in zip(predictions, targets, strict=True):
            if p.kind not in ("will-change", "unknown"):
                continue
            for key in self._resources(step, host):
                touched.add(key)
                facts = p.after if p.kind == "will-change" and p.after else None
                self._outcomes[key] = (step.name, step.module, facts)
        if touched:
            self._changed.append((step.name, frozenset(touched)))

    def _plan_host(
        self,
        index: int,
        step: Step,
        host: Host,
        earlier: list[tuple[str, frozenset[tuple[str, ...]]]],
    ) -> Prediction:
        base = Prediction(index, step.name, host.name, "unknown")
        blocked = self._blocked(host)
        if blocked:
            return replace(base, reason=blocked, failed=True)
        variables = {**self.binding.variables.get(host.name, {}), **self.facts.for_host(host.name)}
        try:
            if not self._when(step, variables):
                return replace(base, kind="skipped", summary="when: condition is false")
        except TemplateError as exc:
            later = self._registered_by(str(exc))
            if later:
                return replace(base, reason=f"when: {later}")
            return replace(base, reason=f"when: {exc}", failed=True)
        depends = conflicts(self._resources(step, host), earlier)
        if depends:
            return self._from_earlier(base, step, host, depends) or replace(
                base, reason=f"depends on an earlier step: '{depends}' would change what it reads"
            )
        return self._probe(base, step, host, variables)

    def _from_earlier(
        self, base: Prediction, step: Step, host: Host, depends: str
    ) -> Prediction | None:
        """Predicted state flowing: diff against the state the earlier step would leave, when
        that step was the last to touch this one resource and its module can say the state
        from its facts (a program or a script in between makes it unknown)."""
        mine = self._resources(step, host)
        entry = self._outcomes.get(next(iter(mine))) if len(mine) == 1 else None
        args = self.binding.args_of(step, host)
        if entry is None or args is None:
            return None
        source, source_module, facts = entry
        if source != depends or source_module != step.module or facts is None:
            return None
        module = self.modules(step.module)
        state = getattr(module, "state_from_facts", lambda _f: None)(facts)
        if state is None:
            return None
        diff = module.diff(args, state)
        return replace(
            base,
            kind=_KINDS.get(diff.kind, "unknown"),
            summary=diff.summary,
            before=_clean(diff.before),
            after=_clean(diff.after),
            reason=f"predicted from what '{source}' would leave",
        )

    def _probe(
        self, base: Prediction, step: Step, host: Host, variables: Mapping[str, Any]
    ) -> Prediction:
        args, why = self._args(step, host)
        if args is None:
            return replace(base, reason=why, failed=not self._registered_later(why))
        module = self.modules(step.module)
        ctx = StepContext(
            host.name, variables, self.templar.evaluate, time.monotonic, left_run=self.fanout.left
        )
        transport = PlanTransport(self.fanout.transport(host))
        try:
            state = drive(module.probe(args, ctx), transport, sleep=time.sleep)
        except AuthError as exc:
            return replace(base, reason=f"authentication failed: {exc}", failed=True)
        except ConnectError as exc:
            self.fanout.take_out(host, OutKind.UNREACHABLE, f"host unreachable: {exc}")
            return replace(base, reason=f"host unreachable: {exc}", failed=True)
        except OrchestratorError as exc:
            return replace(base, reason=f"probe failed: {exc}", failed=True)
        finally:
            with self._lock:
                self._timings.extend(transport.timings)
        return _predicted(base, module, module.diff(args, state))

    def _blocked(self, host: Host) -> str:
        rejection = self.fanout.rejection(host)
        if rejection is not None:
            return f"host not contacted: credential '{rejection.credential}' was rejected"
        exclusion = self.fanout.exclusion(host)
        if exclusion is None:
            return ""
        if exclusion.kind is OutKind.UNREACHABLE and not exclusion.reason.startswith("host"):
            return f"host unreachable: {exclusion.reason}"
        return exclusion.reason

    def _when(self, step: Step, variables: Mapping[str, Any]) -> bool:
        if step.when is None or isinstance(step.when, bool):
            return step.when is not False
        return bool(self.templar.evaluate(step.when, variables))

    def _resources(self, step: Step, host: Host) -> frozenset[tuple[str, ...]]:
        args, _ = self._args(step, host)
        return resources(step.module, args, host.name) if args is not None else frozenset()

    def _args(self, step: Step, host: Host) -> tuple[ArgsModel | None, str]:
        """The step's arguments on the host, or why there are none."""
        if step.name not in self.binding.late:
            found = self.binding.args_of(step, host)
            return found, "" if found is not None else "no arguments were rendered for this host"
        try:
            return self.binding.render_late(step, host, self.facts.for_host(host.name)), ""
        except (InputError, TemplateError) as exc:
            names = ", ".join(sorted(self.binding.late[step.name]))
            return None, f"its arguments use {names}, registered at run time ({exc})"

    def _registered_by(self, error: str) -> str:
        """For an undefined name an earlier step registers: which step, in words."""
        for name, step in self._registers.items():
            if f"'{name}' is undefined" in error:
                return f"reads '{name}', which '{step}' registers during the run (unknown now)"
        return ""

    def _registered_later(self, why: str) -> bool:
        """Whether a prediction is unknown because it reads a registered name the plan cannot
        know (not a failure: the run will know it)."""
        return "registered at run time" in why or "is undefined" in why

    def _record(self, prediction: Prediction) -> None:
        self.result.predictions.append(prediction)
        p = prediction
        self.bus.emit(ev.Predicted(p.step, p.host, p.kind, p.summary, p.before, p.after, p.reason))

    # -- windows ---------------------------------------------------------------------------

    def _budgets(self) -> None:
        latency = max(self._timings, default=1.0)
        for window in self.playbook.windows():
            names = {s.name for s in window.steps}
            hosts = {p.host for p in self.result.predictions if p.step in names}
            timeouts = [
                h.connection.connection_timeout.total_seconds()
                for _, targets in self.binding.steps
                for h in targets
                if h.name in hosts
            ]
            budget = revert_budget(
                hosts=len(hosts),
                forks=self.fanout.forks,
                steps=len(window.steps),
                latency=latency,
                connect_timeout=max(timeouts, default=30.0),
            )
            fits = budget.seconds < window.deadline.total_seconds()
            self.result.budgets[window.name] = WindowBudget(budget.seconds, budget.explain(), fits)


def _predicted(base: Prediction, module: Any, diff: Diff) -> Prediction:
    """What the probed state says the step would do."""
    before, after = _clean(diff.before), _clean(diff.after)
    if getattr(module, "assertion", False) and diff.kind is not DiffKind.NONE:
        reason = f"precondition fails: {diff.summary}"  # a run would stop here
        return replace(base, summary=diff.summary, before=before, reason=reason, failed=True)
    if getattr(module, "read_only", False):
        # a wait's progress moves by itself (clients check in): not part of the fingerprint
        kind = "no-change" if diff.kind is DiffKind.NONE else "unknown"
        reason = "" if diff.kind is DiffKind.NONE else f"would wait: {diff.summary}"
        return replace(base, kind=kind, summary=diff.summary, before=before, reason=reason)
    return replace(
        base,
        kind=_KINDS.get(diff.kind, "unknown"),
        summary=diff.summary,
        before=before,
        after=after,
        reason=diff.reason,
        probed=digest(canonical(before)),
    )


_KINDS = {DiffKind.NONE: "no-change", DiffKind.CHANGE: "will-change"}
_PREDICTED_STATUS = {
    "no-change": Status.OK,
    "will-change": Status.CHANGED,
    "skipped": Status.SKIPPED,
}


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Before/after as plain JSON data; a Secret (never expected) becomes ********."""
    return {k: (REDACTED if isinstance(v, Secret) else v) for k, v in values.items()}


def canonical(values: Any) -> str:
    """Stable JSON text of plain values (sorted keys), for digests."""
    return json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))


def digest(text: str | bytes) -> str:
    """sha256 hex of text or bytes."""
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
