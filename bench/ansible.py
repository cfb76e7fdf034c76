"""Ansible as a peer: ansible-core's psrp connection, unmodified, running `raw` tasks that send
the same cmdlets as the engine's probes and changes (bench/baseline.py) to the same lab.

`raw` over psrp sends its text as a script (pypsrp `add_script`) with `exit $LASTEXITCODE`
appended, and reads the rc from the host's SetShouldExit; the lab runs such simple statements.
Each change is sent with -ErrorAction Stop, so a change that fails fails its task (rc 1) and
the run, as it fails the baseline's and the engine's.

"Nothing changes" is five probe tasks. "Everything changes" is each probe followed by its
change, unconditionally: deciding whether to change needs the probe's answer, which `raw`
gives only as text (a ServiceController's ToString is its type name) or through PowerShell
expressions, so the change is sent without a decision. That is the same work on the wire only
when every host x step needs its change, which is what the "change" runs measure.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from bench.baseline import ADMIN, MEMBER, PHASES, REG_NAME, REG_PATH, SERVICE, USERS_SID

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def available() -> bool:
    """ansible-core is installed in this environment (the bench extra)."""
    return importlib.util.find_spec("ansible") is not None and ANSIBLE_PLAYBOOK.exists()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


PROBES = (
    f"Get-Service -Name {SERVICE} -ErrorAction Stop",
    f"Get-ItemProperty -Path {_quote(REG_PATH)} -Name {REG_NAME}",
    f"Get-LocalUser -Name {ADMIN}",
    "Get-LocalUser",
    f"Get-LocalGroupMember -SID {USERS_SID}",
)


def changes(phase: str) -> tuple[str, ...]:
    """The five changes that bring a host to `phase`, from the other phase (bench/baseline.py)."""
    p = PHASES[phase]
    service = "Start-Service" if p.service == "started" else "Stop-Service"
    guest = "Enable-LocalUser" if p.guest_enabled else "Disable-LocalUser"
    member = "Add-LocalGroupMember" if p.member else "Remove-LocalGroupMember"
    stop = "-ErrorAction Stop"
    value = f"-Name {REG_NAME} -Value {_quote(p.mark)} -Type String"
    return (
        f"{service} -Name {SERVICE} {stop}",
        f"Set-ItemProperty -Path {_quote(REG_PATH)} {value} {stop}",
        f"Set-LocalUser -Name {ADMIN} -Description {_quote(p.description)} {stop}",
        f"{guest} -Name Guest {stop}",
        f"{member} -SID {USERS_SID} -Member {_quote(MEMBER)} {stop}",
    )


def write_playbook(workdir: Path, phase: str, *, change: bool) -> Path:
    """Five steps of raw tasks on every host (gather_facts off): probes, each followed by its
    change when `change`."""
    tasks: list[dict[str, Any]] = []
    for index, probe in enumerate(PROBES):
        tasks.append({"name": f"probe {index + 1}", "raw": probe})
        if change:
            tasks.append({"name": f"change {index + 1}", "raw": changes(phase)[index]})
    play = {"name": "bench", "hosts": "all", "gather_facts": False, "tasks": tasks}
    path = workdir / f"ansible-{'change' if change else 'probe'}-{phase}.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def write_inventory(lab_inventory: Path, hosts: list[str], name: str) -> Path:
    """An Ansible inventory for these lab clients: psrp over http on the lab's port, NTLM with
    message encryption (what the lab asks for over http), no proxy lookup, no reconnection
    retries (as the engine and the baseline). Written 0600: it holds the lab's password."""
    lab = yaml.safe_load(lab_inventory.read_text(encoding="utf-8"))
    settings = lab["all"]
    credential = lab["credentials"]["lab_operator"]
    secret = credential["password"].removeprefix("file:")
    password = (lab_inventory.parent / secret).read_text(encoding="utf-8").strip()
    clients = settings["children"]["clients"]["hosts"]
    data = {
        "all": {
            "vars": {
                "ansible_connection": "psrp",
                "ansible_port": settings["port"],
                "ansible_psrp_protocol": settings["scheme"],
                "ansible_psrp_auth": settings["auth"],
                "ansible_psrp_message_encryption": "auto",
                "ansible_psrp_cert_validation": "ignore",
                "ansible_psrp_ignore_proxy": True,
                "ansible_psrp_reconnection_retries": 0,
                "ansible_user": credential["username"],
                "ansible_password": password,
            },
            "hosts": {
                name: {
                    "ansible_host": clients[name]["address"],
                    "ansible_psrp_path": clients[name]["path"].lstrip("/"),
                }
                for name in hosts
            },
        }
    }
    path = lab_inventory.parent / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(data, sort_keys=False))
    return path


def argv(playbook: Path, inventory: Path, forks: int) -> list[str]:
    """ansible-playbook, run by this Python (the venv's)."""
    return [
        *(sys.executable, str(ANSIBLE_PLAYBOOK), str(playbook)),
        *("-i", str(inventory), "--forks", str(forks)),
    ]


def environment(workdir: Path) -> dict[str, str]:
    """Ansible's settings for the run, kept inside the bench's scratch directory."""
    home = workdir / "ansible-home"
    config = workdir / "ansible.cfg"
    if not config.exists():
        config.write_text("[defaults]\n", encoding="utf-8")
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(config),  # not a stray ansible.cfg from the working directory
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_NOCOLOR": "1",
        "LC_ALL": "C.UTF-8",  # ansible-core refuses a locale that is not UTF-8
    }
