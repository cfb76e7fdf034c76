"""Starting and stopping the KDC: nothing is left running, whatever happens."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.lab.contract import SecureString
from orchestrator.lab.kerberos import Kdc, KdcError, tools

from .conftest import logon


def our_kdc_children() -> list[int]:
    """Process ids of krb5kdc processes whose parent is this test process."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:  # the process ended while we looked
            continue
        if fields.get("Name") == "krb5kdc" and int(fields.get("PPid", "0")) == os.getpid():
            found.append(int(fields["Pid"]))
    return found


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback TCP port some other program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_stop_ends_the_kdc_and_frees_its_port(tmp_path: Path) -> None:
    """Leaving the context manager ends krb5kdc (no child left) and its port is free again."""
    with Kdc("contoso.com", tmp_path) as kdc:
        assert kdc.running
        assert our_kdc_children() == [kdc.pid]
        port = kdc.port

    assert not kdc.running
    assert our_kdc_children() == []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_a_kdc_that_cannot_listen_fails_clearly_and_leaves_nothing_running(
    tmp_path: Path, busy_port: int
) -> None:
    """A port held by another program: KdcError naming the port and the cause; no child left."""
    kdc = Kdc("contoso.com", tmp_path, port=busy_port)

    with pytest.raises(KdcError) as caught:
        kdc.start()

    assert f"port {busy_port}" in str(caught.value)
    assert "Address already in use" in str(caught.value)
    assert not kdc.running
    assert our_kdc_children() == []


def test_a_restarted_kdc_keeps_its_principals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stop and start again on the same directory: the database and the user are still there."""
    secret = SecureString("Restart-pw 1")
    with Kdc("contoso.com", tmp_path) as kdc:
        kdc.add_user("alice", secret)
        kdc.export_keytab(kdc.add_services(["wks001"]))

    with kdc:
        for name, value in kdc.client_environment().items():
            monkeypatch.setenv(name, value)
        logon("alice", secret)


def test_missing_kdc_programs_name_the_packages_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without MIT's programs on the path, start says which Debian packages to install."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(tools, "_SBIN", ())

    with pytest.raises(KdcError) as caught:
        Kdc("contoso.com", tmp_path / "state").start()

    assert "is not installed" in str(caught.value)
    assert "krb5-kdc krb5-admin-server krb5-user libkrb5-dev" in str(caught.value)
