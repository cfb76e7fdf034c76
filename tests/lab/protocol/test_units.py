"""The protocol side's small pieces, without sockets: MD4, NTLM parsing, durations, faults, routes."""

from __future__ import annotations

from pathlib import Path

import pytest
import spnego

from orchestrator.lab.contract import Account, ErrorRecord
from orchestrator.lab.http import ntlm
from orchestrator.lab.http.faults import FaultSpec, FaultTable
from orchestrator.lab.http.md4 import md4, nt_hash
from orchestrator.lab.http.router import Router
from orchestrator.lab.psrp.encode import category_message
from orchestrator.lab.wsman import errors
from orchestrator.lab.wsman.cmd import CmdShell
from orchestrator.lab.wsman.errors import WSManFault
from orchestrator.lab.wsman.shells import ShellRegistry, normalise_id
from orchestrator.lab.wsman.soap import parse_duration

from .fakes import FakeBackend


def test_md4_matches_rfc_1320_vectors() -> None:
    """MD4 gives RFC 1320's test vectors, and the NT hash is MD4 over UTF-16LE."""
    assert md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    assert md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    assert md4(b"message digest").hex() == "d9130a8164549fe818874806e1c7014b"
    assert nt_hash("password").hex() == "8846f7eaee8fb117ad06bdd830b7586c"


def test_credential_lines_cover_the_forms_windows_resolves() -> None:
    """Each account is written as DOMAIN\\user; the first of a name also bare, locals also .\\user."""
    accounts = [Account("SRV01", "Administrator", "a"), Account("LAB", "administrator", "b")]
    names = [line.split(":")[0] for line in ntlm.credential_lines("srv01", accounts)]
    assert names == [
        "SRV01\\Administrator",
        "Administrator",
        ".\\Administrator",
        "LAB\\administrator",
    ]
    assert ntlm.credential_lines("srv01", [Account("LAB", "a:b", "x")]) == []


def test_acceptor_follows_password_changes_and_names_the_user(tmp_path: Path) -> None:
    """A full NTLM exchange against the acceptor: user parsed, old password refused after a change."""
    backend = FakeBackend()
    acceptor = ntlm.NegotiateAcceptor(ntlm.CredentialStore(backend, tmp_path), None)

    def logon(password: str) -> tuple[str | None, bool]:
        client = spnego.client("LAB\\alice", password, protocol="ntlm")
        server = acceptor.new_context("dc01")
        negotiate = client.step()
        assert negotiate is not None
        challenge = acceptor.step("dc01", server, negotiate)
        authenticate = client.step(challenge)
        assert authenticate is not None
        try:
            acceptor.step("dc01", server, authenticate)
        except spnego.exceptions.SpnegoError:
            return ntlm.authenticate_user(authenticate), False
        return ntlm.authenticate_user(authenticate), bool(server.complete)

    assert logon("Al1ce-pw!") == ("LAB\\alice", True)
    backend.set_password("LAB", "alice", "changed")
    assert logon("Al1ce-pw!") == ("LAB\\alice", False)
    assert logon("changed") == ("LAB\\alice", True)
    assert "changed" not in "".join(p.read_text() for p in tmp_path.iterdir())


def test_authenticate_user_ignores_other_tokens() -> None:
    """Only an AUTHENTICATE message names a user."""
    negotiate = spnego.client("u", "p", protocol="ntlm").step()
    assert negotiate is not None
    assert ntlm.authenticate_user(negotiate) is None
    assert ntlm.authenticate_user(b"garbage") is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT20S", 20), ("PT60.000S", 60), ("P0DT0H1M2S", 62)]
)
def test_durations(text: str, seconds: float) -> None:
    """xs:durations as WinRM sends them."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["PT-1S", "20", "PT"])
def test_bad_duration_is_invalid_header_fault(text: str) -> None:
    """A malformed OperationTimeout is fault 2150858767, as Windows answers PT-1S."""
    with pytest.raises(WSManFault) as fault:
        parse_duration(text)
    assert fault.value.code == errors.INVALID_MESSAGE_INFORMATION_HEADER == 2150858767


def test_counted_faults_are_consumed_and_filtered_by_action() -> None:
    """A fault with times=N matches N requests of its actions, then is gone."""
    table = FaultTable()
    table.set("h", FaultSpec(http_status=503, actions=frozenset({"Command"}), times=2))
    assert table.take("h", "Receive") is None
    assert table.take("h", "Command") is not None
    assert table.take("h", "Command") is not None
    assert table.take("h", "Command") is None
    table.set("h", FaultSpec(down=True), FaultSpec(idle_close=2.0), FaultSpec(idle_close=1.0))
    assert table.is_down("h")
    assert table.idle_close("h") == 1.0
    assert table.take("h", "Create") is None
    table.clear()
    assert not table.is_down("h")


def test_router_matches_hosts_case_insensitively() -> None:
    """/wsman/<host> resolves case-insensitively; other paths do not; port mode wants /wsman."""
    router = Router(FakeBackend())
    assert router.resolve("/wsman/DC01", None) == "dc01"
    assert router.resolve("/wsman/dc01/", None) == "dc01"
    assert router.resolve("/wsman/nohost", None) is None
    assert router.resolve("/wsman", None) is None
    assert router.resolve("/wsman", "srv01") == "srv01"
    assert router.resolve("/wsman/srv01", "srv01") is None


def test_category_message_is_windows_category_info_text() -> None:
    """CategoryInfo renders as "<Category>: (<target>:<type>) [<activity>], <reason>"."""
    record = ErrorRecord(
        "m",
        "Id,Cmd",
        "NotSpecified",
        "Microsoft.PowerShell.Commands.WriteErrorException",
        "Write-Error",
    )
    assert category_message(record) == "NotSpecified: (:) [Write-Error], WriteErrorException"


def test_ids_are_normalised_or_refused() -> None:
    """Shell and command ids are GUIDs, upper-cased as Windows echoes them; others are refused."""
    assert (
        normalise_id("04777930-1347-422b-aa4d-33bdc2570979")
        == "04777930-1347-422B-AA4D-33BDC2570979"
    )
    with pytest.raises(WSManFault):
        normalise_id("<x/>")


def test_registry_refuses_a_second_shell_with_the_same_id() -> None:
    """A Create for a ShellId already open on the host is fault AlreadyExists; other hosts are separate."""
    closed: list[str] = []
    registry = ShellRegistry(7200, lambda shell: closed.append(shell.shell_id))
    registry.add(CmdShell("S1", "dc01", "LAB\\alice"))
    registry.add(CmdShell("S1", "srv01", "LAB\\alice"))
    with pytest.raises(WSManFault) as fault:
        registry.add(CmdShell("S1", "dc01", "LAB\\alice"))
    assert fault.value.code == errors.ALREADY_EXISTS == 2150858803
    with pytest.raises(WSManFault):
        registry.get("dc01", "S1", "LAB\\bob")  # another user's shell is "not found"
    registry.remove("dc01", "S1")
    assert closed == ["S1"]


def test_public_api_is_pinned() -> None:
    """The lab server's public names stay what the CLI and tests build on."""
    from orchestrator.lab import server

    assert server.__all__ == ["Endpoint", "LabServer"]
    endpoint = server.Endpoint("https", "127.0.0.1", 5986, "/wsman/dc01")
    assert endpoint.url == "https://127.0.0.1:5986/wsman/dc01"
    assert endpoint.wsman_path == "wsman/dc01"
    assert tuple(endpoint) == ("https", "127.0.0.1", 5986, "/wsman/dc01")
