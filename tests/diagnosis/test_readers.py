"""The sans-IO readers: what they send (read-only, structured) and how they read the answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest

from orchestrator.commands import Command, CommandResult, ErrorInfo, RemoteObject
from orchestrator.diagnosis.readers import (
    read_account,
    read_cap,
    read_client_host,
    read_directory,
    read_site,
)
from orchestrator.engine.step import drive
from orchestrator.errors import RemoteError
from orchestrator.modules.protocol import Logic
from orchestrator.planning.planner import PlanTransport

Answer = Callable[[Command], CommandResult]
NOT_FOUND = "ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException"


class Scripted:
    """A transport answering each cmdlet from a script; it records what was sent."""

    def __init__(self, script: Mapping[str, Answer]) -> None:
        self.script = script
        self.sent: list[Command] = []

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        self.sent.append(command)
        return self.script[command.cmdlet](command)

    def close(self) -> None:
        """Nothing to release."""


def out(*values: Any) -> Answer:
    return lambda c: CommandResult(
        c, tuple(RemoteObject(v) if isinstance(v, dict) else v for v in values)
    )


def error(fqid: str, message: str = "no") -> Answer:
    return lambda c: CommandResult(c, (), (ErrorInfo(message, f"{fqid},Some.Command"),))


def run(logic: Logic[Any], script: Mapping[str, Answer]) -> tuple[Any, list[Command]]:
    transport = Scripted(script)
    value = drive(logic, PlanTransport(transport), sleep=lambda _s: None)
    assert not any(c.mutating for c in transport.sent)
    return value, transport.sent


STATUS = {
    "Name": "WKS0001", "SiteCode": "TB1", "Installed": True, "Status": "Failing",
    "LastError": 2147942405, "KnownAccounts": ["CONTOSO\\SMSClient_TB1"],
    "LockedOutAccounts": ["CONTOSO\\SMSClient_TB1"], "SiteConfigLastChecked": "2000/01/01 15:00.00",
    "TimestampReadable": True,
}  # fmt: skip
SITE = {
    "Get-CMClientConnectionAccount": out(
        {"UserName": "CONTOSO\\SMSClient2_TB1", "Order": 2},
        {"UserName": "CONTOSO\\SMSClient_TB1", "Order": 1},
    ),
    "Get-CMClientStatus": out(STATUS, {**STATUS, "Name": "OTHER", "SiteCode": "XYZ"}),
}


def test_the_site_is_read_with_its_accounts_in_order_and_its_settings() -> None:
    """Accounts by Order, the site's clients only, and Get-CMSite's logon methods."""
    cm_site = {"LogonDiscovery": False, "LogonInstallation": True, "LogonPoints": ["SITE1"],
               "LogonShare": "\\\\SITE1\\SMSLOGON", "SmsmanPath": None}  # fmt: skip
    site, sent = run(read_site("SITE1", "TB1"), {**SITE, "Get-CMSite": out(cm_site)})
    assert site.accounts == ("CONTOSO\\SMSClient_TB1", "CONTOSO\\SMSClient2_TB1")
    assert [c.name for c in site.clients] == ["WKS0001"]
    assert site.clients[0].last_error == 2147942405
    assert site.settings.logon_installation is True
    assert site.settings.logon_discovery is False
    assert site.settings.smsman_path is None
    assert [(c.cmdlet, c.param("SiteCode")) for c in sent] == [
        ("Get-CMClientConnectionAccount", "TB1"), ("Get-CMClientStatus", "TB1"),
        ("Get-CMSite", "TB1")]  # fmt: skip


def test_a_site_without_get_cmsite_has_unknown_settings_not_a_failure() -> None:
    """CommandNotFoundException from Get-CMSite: the settings are unknown, and say why."""
    site, _ = run(
        read_site("SITE1", "TB1"), {**SITE, "Get-CMSite": error("CommandNotFoundException")}
    )
    assert site.settings is None
    assert site.settings_unknown == "Get-CMSite is not available on SITE1"


def test_an_unknown_site_code_fails_the_reading() -> None:
    """SiteNotFound from the site's own cmdlets is an error, not an empty site."""
    with pytest.raises(RemoteError, match="not a site"):
        run(
            read_site("SITE1", "XYZ"),
            {"Get-CMClientConnectionAccount": error("SiteNotFound", "XYZ is not a site")},
        )


def test_accounts_are_read_by_sam_name_with_their_lockout_facts() -> None:
    """Get-ADUser -Identity <sam> -Properties ...; a missing one exists=False; another
    domain's is not looked up; Search-ADAccount -LockedOut lists the locked ones."""
    user = {"SamAccountName": "SMSClient_TB1", "SID": "S-1-5-21-1-2-3-1104", "Enabled": True,
            "LockedOut": True, "BadLogonCount": 5, "LockoutTime": 125914716000000000,
            "LastBadPasswordAttempt": "2000-01-04T15:00:08Z"}  # fmt: skip

    def get_user(c: Command) -> CommandResult:
        if c.param("Identity") == "SMSClient_TB1":
            return out(user)(c)
        return error(NOT_FOUND)(c)

    script = {
        "Get-ADDomain": out(
            {"NetBIOSName": "CONTOSO", "DNSRoot": "contoso.com", "DomainSID": "S-1-5-21-1-2-3"}
        ),
        "Get-ADUser": get_user,
        "Search-ADAccount": out({"SamAccountName": "SMSClient_TB1"}),
    }
    names = ("CONTOSO\\SMSClient_TB1", "CONTOSO\\Gone_TB1", "OTHER\\x", "SMSClient_TB1")
    directory, sent = run(read_directory("DC1", names), script)
    by_name = {a.name: a for a in directory.accounts}
    old = by_name["CONTOSO\\SMSClient_TB1"]
    assert (old.exists, old.locked_out, old.bad_logon_count) == (True, True, 5)
    assert old.lockout_time == "2000-01-04T15:00:00+00:00"  # FILETIME converted
    assert by_name["CONTOSO\\Gone_TB1"].exists is False
    assert by_name["OTHER\\x"].foreign
    assert directory.locked_out == ("SMSClient_TB1",)
    identities = [c.param("Identity") for c in sent if c.cmdlet == "Get-ADUser"]
    assert identities == ["SMSClient_TB1", "Gone_TB1", "SMSClient_TB1"]
    search = next(c for c in sent if c.cmdlet == "Search-ADAccount")
    assert search.param("LockedOut") is True


def test_a_member_server_caps_guest_is_found_by_rid_501() -> None:
    """Get-LocalUser, the -501 account whatever its name, and LimitBlankPasswordUse."""
    script = {
        "Get-LocalUser": out({"Name": "Administrator", "SID": "S-1-5-21-9-500", "Enabled": True},
                             {"Name": "Invité", "SID": "S-1-5-21-9-501", "Enabled": False}),
        "Get-ItemProperty": out({"LimitBlankPasswordUse": 1}),
    }  # fmt: skip
    cap, sent = run(read_cap("CAP1", on_dc=False), script)
    assert (cap.guest, cap.guest_enabled, cap.limit_blank_password_use) == ("Invité", False, 1)
    registry = sent[-1]
    assert registry.param("Path") == "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"


def test_a_dc_caps_guest_is_the_domain_guest() -> None:
    """On a DC: Get-ADDomain's DomainSID, then Get-ADUser <DomainSID>-501."""
    script = {
        "Get-ADDomain": out({"DomainSID": "S-1-5-21-1-2-3"}),
        "Get-ADUser": out(
            {"SamAccountName": "Guest", "SID": "S-1-5-21-1-2-3-501", "Enabled": True}
        ),
        "Get-ItemProperty": error("System.Management.Automation.PSArgumentException"),
    }
    cap, sent = run(read_cap("DC1", on_dc=True), script)
    assert (cap.guest, cap.guest_enabled, cap.limit_blank_password_use) == ("Guest", True, None)
    assert (
        next(c for c in sent if c.cmdlet == "Get-ADUser").param("Identity") == "S-1-5-21-1-2-3-501"
    )


def test_a_client_host_is_read_for_insecure_guest_auth_and_smsman() -> None:
    """AllowInsecureGuestAuth from the LanmanWorkstation parameters; Test-Path per path."""
    script = {"Get-ItemProperty": out({"AllowInsecureGuestAuth": 0}), "Test-Path": out(False)}
    host, sent = run(read_client_host("WKS0001", ["C:\\smsman.exe"]), script)
    assert host.allow_insecure_guest_auth == 0
    assert host.smsman_at("c:\\SMSMAN.exe") is False
    assert sent[-1].param("Path") == ["C:\\smsman.exe"]


def test_a_reader_that_sent_a_change_would_be_refused() -> None:
    """Behind PlanTransport a mutating command raises before reaching the host."""
    from orchestrator.planning.planner import PlanViolationError

    def changing() -> Logic[None]:
        yield Command.of("Enable-LocalUser", mutating=True, Name="Guest")

    with pytest.raises(PlanViolationError):
        drive(changing(), PlanTransport(Scripted({})), sleep=lambda _s: None)


def test_an_account_of_this_domain_by_dns_name_is_looked_up() -> None:
    """contoso.com\\name is this domain's account, like CONTOSO\\name."""
    account, sent = run(read_account("contoso.com\\x", ("CONTOSO", "contoso.com")),
                        {"Get-ADUser": error(NOT_FOUND)})  # fmt: skip
    assert not account.foreign
    assert sent[0].param("Identity") == "x"
