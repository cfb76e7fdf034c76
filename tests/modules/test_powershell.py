"""powershell: one script pipeline with named parameters; always unknown; never undone."""

from __future__ import annotations

import pytest

from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import DiffKind, StepContext
from orchestrator.secrets import Secret

from .conftest import Host, args

SCRIPT = "param($Name, $Password) Set-Secret -Name $Name -Password $Password"


def test_the_lab_refuses_scripts_and_the_text_stays_hidden(lab: DomainBackend) -> None:
    """The lab's no-language runspace answers ScriptsNotAllowed; the error shows no script text."""
    host = Host(lab, "CAP1")
    given = args(
        "powershell", script=SCRIPT, parameters={"Name": "x", "Password": Secret("Canary-9")}
    )
    with pytest.raises(RemoteError) as info:
        host.step("powershell", given)
    assert info.value.fq_error_id == "ScriptsNotAllowed"
    assert str(info.value).startswith("<script>: ")
    assert "Set-Secret" not in str(info.value)
    assert info.value.target == ""
    assert "Canary-9" not in str(info.value)
    (sent,) = host.sent
    assert sent.is_script
    assert sent.mutating
    assert sent.parameters == (("Name", "x"), ("Password", Secret("Canary-9")))


def test_a_script_is_unknown_and_never_undone(lab: DomainBackend) -> None:
    """The diff is UNKNOWN with its reason, names the parameters only; the undo is None."""
    module = MODULES["powershell"].implementation
    given = args(
        "powershell", script=SCRIPT, parameters={"Name": "x", "Password": Secret("Canary-9")}
    )
    host = Host(lab, "CAP1")
    state = host.drive(module.probe(given, StepContext("CAP1")))
    assert host.sent == []
    diff = module.diff(given, state)
    assert diff.kind is DiffKind.UNKNOWN
    assert diff.summary == "run a script (Name, Password)"
    assert diff.reason == "a script's effect cannot be predicted"
    assert module.undo(given, state) is None
