"""Many principals in one kadmin batch: a thousand service principals, created and exported."""

from __future__ import annotations

from pathlib import Path

import krb5
import pytest

from orchestrator.lab.kerberos import Kdc

from .conftest import User, logon

pytestmark = pytest.mark.usefixtures("realm_environment")

HOSTS = [f"cli{number:04}" for number in range(1000)]


def keytab_principals(path: Path) -> set[str]:
    """The principal names in a keytab file, read through the Kerberos library."""
    context = krb5.init_context()
    keytab = krb5.kt_resolve(context, f"FILE:{path}".encode())
    return {krb5.unparse_name_flags(context, entry.principal).decode() for entry in keytab}


def test_a_thousand_service_principals_are_created_and_exported_in_one_batch(
    kdc: Kdc, tmp_path: Path, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """add_services and export_keytab for 1,000 hosts: every principal exists in the KDC and in
    the keytab, and an acceptor holding that keytab accepts a ticket for the last one."""
    names = kdc.add_services(HOSTS)
    keytab = kdc.export_keytab(names, tmp_path / "clients.keytab")

    qualified = {f"{name}@CONTOSO.COM" for name in names}
    assert len(qualified) == 1000
    assert qualified <= kdc.principals()
    assert keytab_principals(keytab) == qualified
    assert "HTTP/cli0999.contoso.com" in names
    monkeypatch.setenv("KRB5_KTNAME", str(keytab))
    logon(user.name, user.password, host="cli0999.contoso.com")
