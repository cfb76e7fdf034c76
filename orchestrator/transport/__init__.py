"""Talking to hosts: one narrow interface (`Transport.run`, `close`) and its adapters.

`psrp.py` is the pypsrp adapter (PsrpTransport, PsrpConnector); it and its `psrp_*` helpers
are the only modules that import pypsrp or requests. Everything else sees `Command` in and
`CommandResult` out, with our own errors. Import `orchestrator.transport.psrp` explicitly:
this package does not, so code that only needs the interface never loads the client.
"""

from orchestrator.transport.command import (
    SWITCH,
    Command,
    CommandResult,
    ErrorInfo,
    RemoteObject,
    Transport,
)

__all__ = ["SWITCH", "Command", "CommandResult", "ErrorInfo", "RemoteObject", "Transport"]
