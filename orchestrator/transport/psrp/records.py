"""A finished pypsrp pipeline as a CommandResult: outputs, error records, warnings.

A command failed when `had_errors` OR `streams.error` is non-empty (pypsrp sets `had_errors`
only for state Failed; [MS-PSRP] 2.2.2.20 ERROR_RECORD): a non-terminating error (Write-Error,
a cmdlet's WriteError) arrives as an ERROR_RECORD and leaves the pipeline Completed; a
terminating one arrives inside PIPELINE_STATE Failed (ExceptionAsErrorRecord), which pypsrp
appends to the same `streams.error` list, last.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell

from orchestrator.commands import Command, CommandResult, ErrorInfo
from orchestrator.transport.psrp.values import plain_value

# System.Management.Automation.ErrorCategory, by value (ErrorCategory_Category is an I32)
CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected",
    "InvalidArgument", "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType",
    "MetadataError", "NotImplemented", "NotInstalled", "ObjectNotFound", "OperationStopped",
    "OperationTimeout", "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy",
    "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr",
    "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError",
    "LimitsExceeded", "QuotaExceeded", "NotEnabled",
)  # fmt: skip

_FAILED_WITHOUT_RECORD = ErrorInfo(
    "the pipeline failed without an error record", "PipelineFailed", "NotSpecified",
    terminating=True,
)  # fmt: skip
_STOPPED = ErrorInfo(
    "the pipeline was stopped on the host", "PipelineStopped", "OperationStopped",
    exception_type="System.Management.Automation.PipelineStoppedException", terminating=True,
)  # fmt: skip


def command_result(command: Command, ps: PowerShell) -> CommandResult:
    """What the pipeline produced, as plain values."""
    return CommandResult(
        command,
        outputs=tuple(plain_value(o) for o in ps.output),
        errors=error_infos(ps),
        warnings=tuple(_text(getattr(w, "message", w)) for w in ps.streams.warning),
    )


def error_infos(ps: PowerShell) -> tuple[ErrorInfo, ...]:
    """Every error record, the terminating one (if any) marked as such."""
    infos = [error_info(record) for record in ps.streams.error]
    if ps.state == PSInvocationState.FAILED:
        # pypsrp appends PIPELINE_STATE's record after the ERROR_RECORDs it received before
        if infos:
            infos[-1] = replace(infos[-1], terminating=True)
        else:
            infos.append(_FAILED_WITHOUT_RECORD)
    elif ps.state == PSInvocationState.STOPPED:
        infos.append(_STOPPED)
    return tuple(infos)


def error_info(record: Any) -> ErrorInfo:
    """One pypsrp ErrorRecord: message, FullyQualifiedErrorId, category, target, exception."""
    exception = getattr(record, "exception", None)
    return ErrorInfo(
        message=_message(record, exception),
        fq_error_id=_text(getattr(record, "fq_error", None)),
        category=category_name(getattr(record, "category", None)),
        target=_text(getattr(record, "target_name", None)),
        exception_type=_exception_type(record, exception),
    )


def category_name(value: Any) -> str:
    """ErrorCategory's name for its number; the text itself if it is one already."""
    if isinstance(value, int) and 0 <= value < len(CATEGORIES):
        return CATEGORIES[value]
    return _text(value) or CATEGORIES[0]


def _message(record: Any, exception: Any) -> str:
    # PowerShell shows ErrorDetails.Message when a cmdlet set one, else Exception.Message
    details = _text(getattr(record, "details_message", None))
    props = getattr(exception, "adapted_properties", None) or {}
    return details or _text(props.get("Message")) or _text(record)


def _exception_type(record: Any, exception: Any) -> str:
    types = getattr(exception, "types", None) or ()
    return _text(types[0]) if types else _text(getattr(record, "reason", None))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
