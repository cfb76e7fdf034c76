"""A plain pypsrp script, NOT the project's code: proof that any WinRM client can use the lab.

    python plain_pypsrp_client.py INVENTORY.yml

It reads the inventory `orchestrator lab serve` wrote, then, over NTLM with message
encryption: enables and disables the local Guest of a member-server CAP by SID, creates an AD
user with a SecureString password, locks that user out with wrong passwords, triggers errors
to show their FullyQualifiedErrorIds, and recovers the site (Q236052 method 3) while watching
client check-in status move. It prints one JSON document with what it saw.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from pypsrp.complex_objects import ObjectMeta
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

NEW_PASSWORD = "Fresh-Acc0unt-2000"  # a fixture of this script, not a real secret


class Lab:
    def __init__(self, inventory_path: Path) -> None:
        inventory = yaml.safe_load(inventory_path.read_text())
        self.all = inventory["all"]
        credential = inventory["credentials"]["lab_operator"]
        self.user = credential["username"]
        password_file = credential["password"].removeprefix("file:")
        self.password = (inventory_path.parent / password_file).read_text().strip()
        self.hosts = {
            name: entry
            for group in self.all["children"].values()
            for name, entry in group["hosts"].items()
        }
        self.base = inventory_path.parent

    def wsman(self, host: str, user: str | None = None, password: str | None = None) -> WSMan:
        entry = self.hosts[host]
        https = self.all["scheme"] == "https"
        validation: Any = str(self.base / self.all["cert_validation"]) if https else True
        return WSMan(
            entry["address"],
            port=self.all["port"],
            path=entry["path"].lstrip("/"),
            ssl=https,
            auth="ntlm",
            username=user or self.user,
            password=password or self.password,
            encryption="auto",
            cert_validation=validation,
            reconnection_retries=0,
            operation_timeout=10,
            read_timeout=20,
            no_proxy=True,
        )


def run(pool: RunspacePool, cmdlet: str, **params: Any) -> tuple[list[Any], list[str]]:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    return output, [str(e.fq_error) for e in ps.streams.error]


def prop(obj: Any, name: str) -> Any:
    for bag in (getattr(obj, "adapted_properties", {}), getattr(obj, "extended_properties", {})):
        if name in bag:
            return bag[name]
    raise KeyError(name)


def text(value: Any) -> str:
    return str(getattr(value, "to_string", None) or value)


def local_guest(lab: Lab, seen: dict[str, Any]) -> None:
    with RunspacePool(lab.wsman("CAP1")) as pool:
        users, _ = run(pool, "Get-LocalUser")
        guest = next(text(prop(u, "SID")) for u in users if text(prop(u, "SID")).endswith("-501"))
        run(pool, "Enable-LocalUser", SID=guest)
        enabled = prop(run(pool, "Get-LocalUser", SID=guest)[0][0], "Enabled")
        run(pool, "Disable-LocalUser", SID=guest)
        disabled = prop(run(pool, "Get-LocalUser", SID=guest)[0][0], "Enabled")
    seen["guest"] = {
        "sid": guest,
        "enabled_after_enable": enabled,
        "enabled_after_disable": disabled,
    }


def new_ad_user(lab: Lab, seen: dict[str, Any]) -> None:
    with RunspacePool(lab.wsman("DC1")) as pool:
        pool.exchange_keys()
        secure = pool.serialize(NEW_PASSWORD, ObjectMeta("SS"))
        _, errors = run(
            pool,
            "New-ADUser",
            Name="lockme",
            SamAccountName="lockme",
            AccountPassword=secure,
            Enabled=True,
        )
        user = run(pool, "Get-ADUser", Identity="lockme")[0][0]
    seen["new_user"] = {"errors": errors, "enabled": prop(user, "Enabled")}


def lockout(lab: Lab, seen: dict[str, Any]) -> None:
    attempts = []
    for _ in range(6):
        try:
            with RunspacePool(lab.wsman("DC1", "CONTOSO\\lockme", "wrong-password")):
                attempts.append("ok")
        except AuthenticationError:
            attempts.append("401")
    try:
        with RunspacePool(lab.wsman("DC1", "CONTOSO\\lockme", NEW_PASSWORD)):
            right = "ok"
    except AuthenticationError:
        right = "401"
    with RunspacePool(lab.wsman("DC1")) as pool:
        user = run(
            pool, "Get-ADUser", Identity="lockme", Properties=["LockedOut", "BadLogonCount"]
        )[0][0]
        locked = [
            text(prop(a, "SamAccountName"))
            for a in run(pool, "Search-ADAccount", LockedOut=None)[0]
        ]
    seen["lockout"] = {
        "wrong_attempts": attempts,
        "right_password_after": right,
        "locked_out": prop(user, "LockedOut"),
        "search_locked": locked,
    }


def error_ids(lab: Lab, seen: dict[str, Any]) -> None:
    with RunspacePool(lab.wsman("DC1")) as pool:
        seen["errors"] = {
            "get_local_user": run(pool, "Get-LocalUser", Name="NoSuchUser")[1],
            "get_ad_user": run(pool, "Get-ADUser", Identity="nosuchuser")[1],
            "remove_ad_user_without_confirm": run(pool, "Remove-ADUser", Identity="lockme")[1],
            "unknown_command": run(pool, "Get-Bogus")[1],
        }


def summary(lab: Lab) -> dict[str, Any]:
    with RunspacePool(lab.wsman("SITE1")) as pool:
        result = run(pool, "Get-CMClientStatusSummary")[0][0]
    return {k: prop(result, k) for k in ("Total", "CheckedIn", "Failing")}


def recover(lab: Lab, seen: dict[str, Any]) -> None:
    """Q236052 method 3: new account, old one gone, Guest on the CAPs; watch clients recover."""
    history = [summary(lab)]
    with RunspacePool(lab.wsman("DC1")) as pool:
        pool.exchange_keys()
        secure = pool.serialize(NEW_PASSWORD, ObjectMeta("SS"))
        run(pool, "New-ADUser", Name="SMSClient2_TB1", AccountPassword=secure, Enabled=True)
        run(pool, "Remove-ADUser", Identity="SMSClient_TB1", Confirm=False)
        domain_sid = text(prop(run(pool, "Get-ADDomain")[0][0], "DomainSID"))
        run(pool, "Enable-ADAccount", Identity=f"{domain_sid}-501")
        run(pool, "Add-ADGroupMember", Identity="Domain Users", Members=[f"{domain_sid}-501"])
    with RunspacePool(lab.wsman("SITE1")) as pool:
        run(pool, "New-CMClientConnectionAccount", UserName="CONTOSO\\SMSClient2_TB1")
        run(pool, "Remove-CMClientConnectionAccount", UserName="CONTOSO\\SMSClient_TB1")
    with RunspacePool(lab.wsman("CAP1")) as pool:
        guest = next(
            text(prop(u, "SID"))
            for u in run(pool, "Get-LocalUser")[0]
            if text(prop(u, "SID")).endswith("-501")
        )
        run(pool, "Enable-LocalUser", SID=guest)
        run(pool, "Add-LocalGroupMember", SID="S-1-5-32-545", Member=[guest])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and history[-1]["CheckedIn"] < history[-1]["Total"]:
        time.sleep(2)
        history.append(summary(lab))
    seen["recovery"] = history


def main() -> None:
    lab = Lab(Path(sys.argv[1]))
    seen: dict[str, Any] = {}
    for check in (local_guest, new_ad_user, lockout, error_ids, recover):
        check(lab, seen)
    sys.stdout.write(json.dumps(seen, default=str) + "\n")


if __name__ == "__main__":
    main()
