"""Talking to hosts: one narrow interface (`Transport.run`, `close`) and its adapters.

`psrp.py` is the pypsrp adapter, the only module that imports pypsrp. Everything else sees
`Command` in and `CommandResult` out, with our own errors.
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
