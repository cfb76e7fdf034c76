"""probe: read one thing and keep its values for later steps (with `register:`); change nothing.

    - name: Read which clients are broken
      hosts: site_server[0]
      probe:
        sms_client_status: {site_code: TB1, clients: "{{ targets('client') }}"}
      register: site                       # later: when: inventory_hostname in site.broken

One of the probes `wait_for` polls (probes.py), read once. Its values are the step's diff's
`before`, which is what `register:` keeps; a plan reads them for real (they are read-only), so
predictions that depend on them are exact.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from orchestrator.commands import Command
from orchestrator.modules.base import ArgsModel, ModuleSpec
from orchestrator.modules.probes import (
    READERS,
    AdUserStatus,
    ConnectionAccounts,
    LocalUserStatus,
    PathStatus,
    RegistryValue,
    ServiceStatus,
    SmsClientStatus,
    SmsSite,
    Values,
    chosen_probe,
    probe_samples,
)
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext


class ProbeChoice(ArgsModel):
    """At most one probe, by name, with its arguments."""

    sms_client_status: SmsClientStatus | None = None
    sms_site: SmsSite | None = None
    service: ServiceStatus | None = None
    registry: RegistryValue | None = None
    path: PathStatus | None = None
    ad_user: AdUserStatus | None = None
    local_user: LocalUserStatus | None = None
    connection_accounts: ConnectionAccounts | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> Self:
        given = self.probes_given()
        if len(given) > 1:
            raise ValueError(f"one probe per step; found {', '.join(sorted(given))}")
        return self

    def probes_given(self) -> set[str]:
        """The names of the probes given (at most one)."""
        return {n for n in self.model_fields_set if n in READERS and getattr(self, n) is not None}

    def chosen(self) -> tuple[str, ArgsModel] | None:
        """The probe's name and arguments, if one was given."""
        for name in self.probes_given():
            return name, getattr(self, name)
        return None

    def read(self, ctx: StepContext) -> Logic[Values]:
        """The probe's values ({} without a probe)."""
        chosen = self.chosen()
        if chosen is None:
            return {}
        name, args = chosen
        return (yield from READERS[name](args, ctx))


class Args(ProbeChoice):
    """Arguments of probe: exactly one probe."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if not self.probes_given():
            raise ValueError(f"name one probe: {', '.join(READERS)}")
        return self


class Probe(ModuleTraits):
    """The probe module."""

    name = "probe"
    read_only = True

    def probe(self, args: Args, ctx: StepContext) -> Logic[Values]:
        """Read the probe's values."""
        return (yield from args.read(ctx))

    def diff(self, args: Args, state: Values) -> Diff:
        """Nothing to change: the values read are the diff's `before`."""
        chosen = args.chosen()
        name = chosen[0] if chosen else "nothing"
        return Diff(DiffKind.NONE, f"read {name}", dict(state))

    def apply(self, _args: Args, _state: Any, _ctx: StepContext) -> Logic[None]:
        """Never called: a probe has nothing to change."""
        return
        yield  # a generator that does nothing

    def undo(self, _args: Args, _state: Any) -> tuple[Command, ...] | None:
        """Nothing to undo."""
        return ()


SPEC = ModuleSpec(
    "probe",
    Args,
    "read a probe's values (for register:), changing nothing",
    implementation=Probe(),
    registers=lambda args: probe_samples(chosen_probe(args)),
)
