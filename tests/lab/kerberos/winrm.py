"""Reaching a Kerberos lab (LabOptions(kerberos=True)) with unmodified pypsrp."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from pypsrp.complex_objects import ObjectMeta
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from orchestrator.lab.harness import LabOptions, RunningLab

# MIT's error codes (krb5 com_err table), as krb5.Krb5Error.err_code out of a pypsrp call
PREAUTH_FAILED = -1765328360  # KDC_ERR_PREAUTH_FAILED: wrong password
CLIENT_REVOKED = -1765328366  # KDC_ERR_CLIENT_REVOKED: locked out or disabled
CLIENT_UNKNOWN = -1765328378  # KDC_ERR_C_PRINCIPAL_UNKNOWN: no such principal
OPERATOR = "labadmin"
OPERATOR_PASSWORD = "Lab-Operator-2000!"
REALM = "CONTOSO.COM"


def start_lab(tmp_path: Path, **options: Any) -> RunningLab:
    """tb1-lockout with 2 clients, a hand-driven clock, and the domain's KDC."""
    settings: dict[str, Any] = {
        "scenario": "tb1-lockout",
        "clients": 2,
        "manual_clock": True,
        "kerberos": True,
        "state_dir": tmp_path / "lab",
    }
    settings.update(options)
    return RunningLab(LabOptions(**settings)).start()


def wsman(lab: RunningLab, host: str = "DC1", **options: Any) -> WSMan:
    """pypsrp as it is: Kerberos with a password, SPN HTTP/<host>.contoso.com."""
    endpoint = lab.endpoints()[host]
    https = endpoint.scheme == "https"
    settings: dict[str, Any] = {
        "port": endpoint.port,
        "path": endpoint.wsman_path,
        "ssl": https,
        "auth": "kerberos",
        "username": f"{OPERATOR}@{REALM}",
        "password": OPERATOR_PASSWORD,
        "negotiate_hostname_override": f"{host.lower()}.contoso.com",
        "cert_validation": str(lab.server.ca_path) if https else False,
        "no_proxy": True,
        "reconnection_retries": 0,
        "operation_timeout": 5,
        "read_timeout": 10,
    }
    settings.update(options)
    return WSMan(endpoint.address, **settings)


def run(client: WSMan, cmdlet: str, **params: Any) -> list[Any]:
    """Open a runspace pool, run one cmdlet, close the pool and the client; its output (errors
    fail). SecureString values given as `secure_<Name>` are sent as <SS>."""
    try:
        with RunspacePool(client) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet(cmdlet)
            for name, value in params.items():
                if name.startswith("secure_"):
                    ps.add_parameter(name.removeprefix("secure_"), secure(pool, value))
                else:
                    ps.add_parameter(name, value)
            output = ps.invoke()
            assert not ps.had_errors, [str(e) for e in ps.streams.error]
            assert not ps.streams.error, [e.fq_error for e in ps.streams.error]
            return list(output)
    finally:
        client.close()


def close_responses(error: BaseException) -> None:
    """Close the HTTP responses a failed handshake left open: pypsrp raises from its 401 hook
    before it releases the connection, which would otherwise be closed only by the GC."""
    tb = error.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, requests.Response):
                value.close()
        tb = tb.tb_next


def kdc_failures(lab: RunningLab, user: str) -> int:
    """The KDC's failed pre-authentication count for a user."""
    assert lab.realm is not None
    state = lab.realm.kdc.state(user)
    assert state is not None
    return state.failed_attempts


def secure(pool: RunspacePool, value: str) -> Any:
    """A SecureString parameter value (the pool's session key exchanged first)."""
    pool.exchange_keys()
    return pool.serialize(value, ObjectMeta("SS"))


def as_operator(lab: RunningLab, cmdlet: str, **params: Any) -> list[Any]:
    """Run one cmdlet on DC1 as the operator (Kerberos), as `run` does."""
    return run(wsman(lab), cmdlet, **params)
