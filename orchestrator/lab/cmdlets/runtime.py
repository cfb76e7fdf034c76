"""What a cmdlet function sees: its spec, bound arguments, the session, and the streams.

Common parameters are honoured here: -ErrorAction (Stop makes a non-terminating error
terminating; SilentlyContinue and Ignore drop it), -WhatIf, and -Confirm (ConfirmImpact High
cmdlets prompt by default, which fails in a non-interactive session, e.g. psake/psake#62).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from orchestrator.lab.cmdlets.binder import Binder, Bound
from orchestrator.lab.cmdlets.errors import (
    CmdletError,
    ErrorKind,
    Identity,
    binding,
    confirm_prompt_failed,
    what_if_text,
)
from orchestrator.lab.cmdlets.params import COMMON, SHOULD_PROCESS, Param
from orchestrator.lab.contract import ErrorRecord, InvocationResult
from orchestrator.lab.domain.host import Host, Module
from orchestrator.lab.domain.state import LabState


class Impact(enum.IntEnum):
    """ConfirmImpact; $ConfirmPreference defaults to High."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


def _never_wait(_until: datetime) -> bool:
    return True


@dataclass
class Session:
    """Where and as whom a pipeline runs."""

    state: LabState
    host: Host
    user: str
    stop: threading.Event = field(default_factory=threading.Event)
    wait_until: Callable[[datetime], bool] = _never_wait  # lab time; False when stopped
    remote: bool = True  # a WinRM session: no network credentials (the second hop)
    can_wait: bool = True  # False inside a scheduled task run from a clock event

    @property
    def now(self) -> datetime:
        """The host's clock."""
        return self.state.host_now(self.host)


@dataclass(frozen=True)
class CmdletSpec:
    """A cmdlet: its name, FQEID class, parameters and the function that implements it."""

    name: str
    class_name: str
    run: Callable[[Invocation], None]
    params: tuple[Param, ...] = ()
    impact: Impact | None = None  # None: no ShouldProcess (-WhatIf/-Confirm not accepted)
    cdxml: bool = False
    module: Module = Module.CORE
    one_of: tuple[tuple[str, ...], ...] = ()  # parameter sets: at most one of each tuple
    require_one: tuple[str, ...] = ()  # and at least one of these (else the set is ambiguous)

    @property
    def identity(self) -> Identity:
        """The error identity of this cmdlet."""
        return Identity(self.name, self.class_name)

    def binder(self) -> Binder:
        """A binder over the declared and common parameters."""
        extra = SHOULD_PROCESS if self.impact is not None else ()
        return Binder(self.identity, (*self.params, *COMMON, *extra))

    def pipeline_param(self) -> Param | None:
        """The parameter that takes pipeline input, if any."""
        return next((p for p in self.params if p.pipeline), None)

    def check_sets(self, args: Bound, *, piped: bool) -> None:
        """Parameter sets: two parameters of one exclusive group cannot be used together, and
        a cmdlet without a default set needs one of `require_one`."""
        clash = any(sum(args.has(n) for n in group) > 1 for group in self.one_of)
        pipe = self.pipeline_param()
        piped_in = piped and pipe is not None and pipe.name in self.require_one
        missing = bool(self.require_one) and not piped_in
        missing = missing and not any(args.has(n) for n in self.require_one)
        if clash or missing:
            raise CmdletError(
                binding(
                    self.identity,
                    "Parameter set cannot be resolved using the specified named parameters. "
                    "One or more parameters issued cannot be used together or an "
                    "insufficient number of parameters were provided.",
                    "AmbiguousParameterSet",
                )
            )


class Invocation:
    """One run of a cmdlet's body (once per pipeline input object)."""

    def __init__(
        self, spec: CmdletSpec, args: Bound, session: Session, sink: InvocationResult
    ) -> None:
        self.spec = spec
        self.args = args
        self.session = session
        self.outputs: list[Any] = []
        self._sink = sink

    @property
    def state(self) -> LabState:
        """The domain."""
        return self.session.state

    @property
    def host(self) -> Host:
        """The host the pipeline runs on."""
        return self.session.host

    def write(self, obj: Any) -> None:
        """Write an object to the output stream."""
        self.outputs.append(obj)

    def record(
        self,
        message: str,
        kind: ErrorKind,
        target_name: str = "",
        target_type: str = "",
        target_object: Any = None,
    ) -> ErrorRecord:
        """An ErrorRecord with this cmdlet's identity."""
        return self.spec.identity.record(message, kind, target_name, target_type, target_object)

    def write_error(self, record: ErrorRecord) -> None:
        """A non-terminating error, subject to -ErrorAction."""
        action = self.args.text("ErrorAction", "Continue")
        if action == "Stop":
            raise CmdletError(record, escalated=True)
        if action in ("SilentlyContinue", "Ignore"):
            return
        self._sink.errors.append(record)

    def fail(self, record: ErrorRecord) -> NoReturn:
        """A terminating error: stops this statement whatever -ErrorAction says."""
        raise CmdletError(record)

    def should_process(self, target: str, action: str) -> bool:
        """ShouldProcess: False under -WhatIf; prompting (and failing) when confirmation is due."""
        impact = self.spec.impact
        assert impact is not None, f"{self.spec.name} does not support ShouldProcess"
        cdxml = self.spec.cdxml
        if self.args.flag("WhatIf"):
            self._sink.verbose.append(what_if_text(action, target, cdxml=cdxml))
            return False
        confirm = self.args.get("Confirm")
        if confirm is True or (confirm is None and impact >= Impact.HIGH):
            self.fail(confirm_prompt_failed(self.spec.identity, action, target, cdxml=cdxml))
        return True

    def warn(self, text: str) -> None:
        """A warning record."""
        if self.args.text("WarningAction", "Continue") not in ("SilentlyContinue", "Ignore"):
            self._sink.warnings.append(text)
