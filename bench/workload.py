"""What the engine and the baseline are given: inventories of N clients, and the playbooks.

The five steps and the two phases they alternate between come from bench/baseline.py (the
plain script), so the engine's playbook and the baseline ask for the same states.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bench.baseline import (
    ADMIN,
    MEMBER,
    PHASES,
    REG_NAME,
    REG_PATH,
    SERVICE,
    USERS_SID,
    Phase,
)

GUEST_SID = "S-1-5-21-*-501"  # the host's own Guest, whatever its localised name


def client_names(lab_inventory: Path) -> list[str]:
    """The lab's clients, in order (WKS0001, WKS0002 ...)."""
    data = yaml.safe_load(lab_inventory.read_text(encoding="utf-8"))
    return list(data["all"]["children"]["clients"]["hosts"])


def write_inventory(lab_inventory: Path, hosts: list[str], name: str) -> Path:
    """The lab's inventory cut down to these clients (one group, `clients`, role client),
    written beside it as `name` (its password file is named relative to it)."""
    path = lab_inventory.parent / name
    data = yaml.safe_load(lab_inventory.read_text(encoding="utf-8"))
    clients = data["all"]["children"]["clients"]
    chosen = {name: clients["hosts"][name] for name in hosts}
    data["all"]["children"] = {"clients": {"roles": clients["roles"], "hosts": chosen}}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def steps(phase: Phase) -> list[dict[str, Any]]:
    """The five steps, asking for this phase's state."""
    return [
        {
            "name": "service",
            "hosts": "client",
            "service": {"name": SERVICE, "state": phase.service},
        },
        {
            "name": "registry",
            "hosts": "client",
            "registry": {"path": REG_PATH, "name": REG_NAME, "type": "REG_SZ", "value": phase.mark},
        },
        {
            "name": "admin description",
            "hosts": "client",
            "local_user": {"name": ADMIN, "description": phase.description},
        },
        {
            "name": "guest",
            "hosts": "client",
            "local_user": {"sid": GUEST_SID, "enabled": phase.guest_enabled},
        },
        {
            "name": "users member",
            "hosts": "client",
            "local_group_member": {
                "group_sid": USERS_SID,
                "members": [MEMBER],
                "state": "present" if phase.member else "absent",
            },
        },
    ]


def write_playbook(path: Path, name: str, step_list: list[dict[str, Any]]) -> Path:
    """A playbook file of these steps."""
    path.write_text(yaml.safe_dump({"name": name, "steps": step_list}, sort_keys=False))
    return path


def phase_playbooks(workdir: Path) -> dict[str, Path]:
    """phase -> the 5-step playbook asking for it."""
    return {
        key: write_playbook(workdir / f"phase-{key}.yml", f"bench phase {key}", steps(phase))
        for key, phase in PHASES.items()
    }


def window_playbook(workdir: Path, guest_enabled_now: bool) -> Path:
    """A window that flips the local Guest on every client, then reverts it at its end."""
    window = {
        "window": {
            "name": "bench-guest",
            "deadline": "2h",
            "failsafe": "target",
            "steps": [
                {
                    "name": "flip guest",
                    "hosts": "client",
                    "local_user": {"sid": GUEST_SID, "enabled": not guest_enabled_now},
                }
            ],
        }
    }
    return write_playbook(workdir / "window.yml", "bench window revert", [window])
