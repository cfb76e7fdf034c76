"""Less work per message, the same bytes on the wire (issue 13): no connection is made here."""

from __future__ import annotations

import copy
from xml.etree import ElementTree as ET

from pypsrp.complex_objects import Pipeline
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan

from orchestrator.commands import SWITCH, Command
from orchestrator.transport.psrp.pipeline import build
from orchestrator.transport.psrp.settings import BoundedWSMan


def _pool() -> RunspacePool:
    pool = RunspacePool(WSMan("dc1.contoso.com"))  # no connection is made
    pool.protocol_version = "2.3"  # as an opened pool has it
    return pool


def _create_pipeline_xml(ps: PowerShell) -> bytes:
    pipeline = Pipeline(is_nested=False, cmds=ps.commands, history=None, redirect_err_to_out=False)
    element = Serializer().serialize(pipeline)
    assert element is not None
    return ET.tostring(element)


def test_built_pipeline_serializes_as_add_cmdlet_would() -> None:
    """build() sends the very CREATE_PIPELINE pypsrp's add_cmdlet/add_script would send."""
    pool = _pool()
    command = Command.of("Set-ItemProperty", Path="HKLM:\\SOFTWARE\\X", Value=None, Force=SWITCH,
                         Size=2**40, Ratio=0.5, Names=["a", 1])  # fmt: skip
    ours = build(pool, command)
    plain = PowerShell(pool).add_cmdlet(command.cmdlet)
    plain.commands[0].args.extend(ours.commands[0].args)
    assert _create_pipeline_xml(ours) == _create_pipeline_xml(plain)
    script = Command("Get-Date", (), is_script=True)
    plain_script = PowerShell(pool).add_script("Get-Date")
    assert _create_pipeline_xml(build(pool, script)) == _create_pipeline_xml(plain_script)


def test_built_commands_are_not_deep_copied() -> None:
    """pypsrp's serializer copies commands only to read them: ours are shared, not copied."""
    (command,) = build(_pool(), Command.of("Get-LocalUser", Name="Guest")).commands
    assert copy.deepcopy(command) is command


def test_session_is_built_once_and_ignores_the_environment() -> None:
    """The WSMan's requests session exists before any request, with trust_env off and no proxy."""
    wsman = BoundedWSMan("dc1.contoso.com", auth="basic", username="u", password="p", no_proxy=True)
    session = wsman.transport.session
    assert session is not None
    assert session.trust_env is False
    proxies: dict[str, object] = dict(session.proxies)
    assert proxies == {"https": False}  # pypsrp's no_proxy: never a proxy
