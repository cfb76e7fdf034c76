"""A canary password reaches the host and appears in no repr, log record or exception."""

from __future__ import annotations

import logging

import pytest
import structlog

from orchestrator.commands import Command
from orchestrator.errors import AuthError
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpTransport

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e

CANARY = "Canary-Zq7-Lantern-1999"


def _chain(exc: BaseException | None) -> str:
    """Every message and repr along an exception's cause/context chain."""
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc), repr(exc.args)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def test_canary_never_leaks(lab_client: ClientFactory, caplog: pytest.LogCaptureFixture) -> None:
    """As a SecureString parameter and as a login password, the canary shows up nowhere."""
    client = lab_client()
    canary = Secret(CANARY, "canary")
    caplog.set_level(logging.DEBUG)  # pypsrp logs every SOAP body at DEBUG
    with structlog.testing.capture_logs() as logs:
        created = client.transport("DC1").run(
            Command.of("New-ADUser", Name="svcnew", AccountPassword=canary, Enabled=True)
        )
        wrong = PsrpTransport(client.host("DC1"), ("CONTOSO\\labadmin", canary))
        with pytest.raises(AuthError) as failure:
            wrong.run(Command.of("Get-ADDomain"))
    assert created.ok, created.errors
    seen = "\n".join(
        [repr(created), repr(wrong), repr(client.transport("DC1")), _chain(failure.value),
         repr(logs), caplog.text]
    )  # fmt: skip
    assert CANARY not in seen
    assert "svcnew" in caplog.text  # the capture did see the traffic
    assert logs  # and the transport's own events
