"""The kinds of step. Each module file holds one kind: its argument schema and its logic
(probe, diff, apply, undo), reached as `MODULES[name].implementation`."""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.modules import (
    ad_group_member,
    ad_user,
    assertion,
    local_group_member,
    local_user,
    powershell,
    probe,
    process,
    registry,
    scheduled_task,
    service,
    sms_connection_account,
    wait_for,
)
from orchestrator.modules.base import ArgsModel, ModuleSpec

Registry = Mapping[str, ModuleSpec]
"""The modules a playbook may use, by name: passed in to the loader, binder and engine."""

MODULES: Registry = {
    spec.name: spec
    for spec in (
        local_user.SPEC,
        local_group_member.SPEC,
        ad_user.SPEC,
        ad_group_member.SPEC,
        registry.SPEC,
        service.SPEC,
        scheduled_task.SPEC,
        process.SPEC,
        wait_for.SPEC,
        probe.SPEC,
        assertion.SPEC,
        sms_connection_account.SPEC,
        powershell.SPEC,
    )
}

__all__ = ["MODULES", "ArgsModel", "ModuleSpec", "Registry"]
