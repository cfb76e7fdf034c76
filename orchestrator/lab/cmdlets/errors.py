"""Error records with the identity Windows gives them ([MS-PSRP] 2.2.3.15).

FQEID = "<ErrorId>,<cmdlet class>" for compiled cmdlets, "<ErrorId>,<Cmdlet-Name>" for CDXML
(ScheduledTasks). Messages never carry a password: a SecureString argument that fails to bind
is shown as its type only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.lab.contract import ErrorRecord

PARAMETER_BINDING = "System.Management.Automation.ParameterBindingException"


class CmdletError(Exception):
    """A terminating error. `escalated`: a non-terminating error turned terminating by
    -ErrorAction Stop (script-terminating in powershell.exe -Command, unlike a cmdlet's own
    statement-terminating errors)."""

    def __init__(self, record: ErrorRecord, *, escalated: bool = False) -> None:
        super().__init__(record.message)
        self.record = record
        self.escalated = escalated


class PipelineStopped(Exception):  # noqa: N818 -- mirrors PowerShell's PipelineStoppedException
    """The client signalled stop while the pipeline ran."""


@dataclass(frozen=True)
class ErrorKind:
    """What identifies an error apart from its message and target: ErrorId, category, type."""

    error_id: str
    category: str
    exception_type: str


@dataclass(frozen=True)
class Identity:
    """Who raises the error: the cmdlet's name and the suffix of its FQEIDs."""

    name: str
    class_name: str

    def record(
        self,
        message: str,
        kind: ErrorKind,
        target_name: str = "",
        target_type: str = "",
        target_object: Any = None,
    ) -> ErrorRecord:
        """An ErrorRecord raised by this cmdlet."""
        return ErrorRecord(
            message=message,
            fully_qualified_error_id=f"{kind.error_id},{self.class_name}",
            category=kind.category,
            exception_type=kind.exception_type,
            activity=self.name,
            target_name=target_name,
            target_type=target_type,
            target_object=target_object if target_object is not None else target_name or None,
        )


def command_not_found(name: str) -> ErrorRecord:
    """PowerShell's error for an unknown command."""
    return ErrorRecord(
        message=(
            f"The term '{name}' is not recognized as the name of a cmdlet, function, script "
            "file, or operable program. Check the spelling of the name, or if a path was "
            "included, verify that the path is correct and try again."
        ),
        fully_qualified_error_id="CommandNotFoundException",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.CommandNotFoundException",
        activity="",
        target_name=name,
        target_type="String",
        target_object=name,
    )


def unsupported_script(construct: str, line: int, column: int, token: str = "") -> ErrorRecord:
    """The lab's answer to script text it does not run: a parse error naming the construct.

    The identity is a restricted runspace's (ScriptsNotAllowed, ParserError, ParseException);
    the message says what the lab lacks. It quotes syntax only (a variable's or keyword's
    name), never the script, whose literals may be secrets."""
    shown = f" '{token}'" if token else ""
    return ErrorRecord(
        message=(
            f"The lab does not support {construct} in script text (at line {line}, char "
            f"{column}{shown}). It runs simple statements: cmdlets with literal arguments, "
            "separated by ';', '|' or newlines, and exit."
        ),
        fully_qualified_error_id="ScriptsNotAllowed",
        category="ParserError",
        exception_type="System.Management.Automation.ParseException",
        activity="",
    )


_PROMPT = (
    "A command that prompts the user failed because the host program or the command type "
    "does not support user interaction. The host was attempting to request confirmation with "
    "the following message: "
)


def confirm_prompt_failed(who: Identity, action: str, target: str, *, cdxml: bool) -> ErrorRecord:
    """ShouldProcess prompting in a non-interactive session (e.g. psake/psake#62).

    Compiled cmdlets: HostException, HostFunctionNotImplemented, NotImplemented. CDXML cmdlets
    (Unregister-ScheduledTask) surface it from their script wrapper as a MethodInvocationException
    'Exception calling "EndProcessing"' with the cmdletization wording of the target.
    """
    if cdxml:
        prompt = (
            "Are you sure you want to perform this action?\n"
            f"Performing operation '{action}' on Target '{target}'."
        )
        return ErrorRecord(
            message=f'Exception calling "EndProcessing" with "0" argument(s): "{_PROMPT}{prompt}"',
            fully_qualified_error_id="HostException",
            category="NotSpecified",
            exception_type="System.Management.Automation.MethodInvocationException",
            activity=who.name,
        )
    prompt = (
        "Are you sure you want to perform this action?\n"
        f'Performing the operation "{action}" on target "{target}".'
    )
    return who.record(
        _PROMPT + prompt,
        ErrorKind(
            "HostFunctionNotImplemented",
            "NotImplemented",
            "System.Management.Automation.Host.HostException",
        ),
    )


def what_if_text(action: str, target: str, *, cdxml: bool) -> str:
    """The -WhatIf line (written to the verbose stream: the contract has no host channel)."""
    if cdxml:
        return f"What if: Performing operation '{action}' on Target '{target}'."
    return f'What if: Performing the operation "{action}" on target "{target}".'


def binding(who: Identity, message: str, error_id: str) -> ErrorRecord:
    """A ParameterBindingException record (always terminating)."""
    return who.record(message, ErrorKind(error_id, "InvalidArgument", PARAMETER_BINDING))
