"""WS-Management faults with the codes and texts Windows gives ([MS-WSMV] 2.2.4.41, winerror.h).

A handler raises `WSManFault`; the dispatcher turns it into a SOAP fault envelope with HTTP 500,
which pypsrp turns into `WSManFaultError(code=...)` and pywinrm into `WSManFaultError`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Fault codes (ERROR_WSMAN_*), as unsigned HRESULTs the way WSManFault@Code carries them.
INVALID_MESSAGE_INFORMATION_HEADER = 0x8033800F
ACTION_NOT_SUPPORTED = 0x80338013
INVALID_BODY = 0x80338027
OPERATION_TIMEDOUT = 0x80338029
ALREADY_EXISTS = 0x80338033
INVALID_RESOURCE_URI = 0x8033803B
INVALID_XML = 0x80338043
INVALID_SELECTORS = 0x8033805B

_SELECTORS_REASON = (
    "The WS-Management service cannot process the request because the request contained "
    "invalid selectors for the resource. "
)
_UNEXPECTED_SELECTORS = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"


@dataclass(eq=False)
class WSManFault(Exception):  # noqa: N818 -- named after the SOAP element it becomes
    """A SOAP fault to send back instead of a response."""

    code: int
    subcode: str  # qualified with the prefixes the envelope declares: "w:", "a:"
    reason: str
    message: str = ""  # WSManFault/Message; defaults to the reason
    sender: bool = True  # s:Sender (the client's fault) or s:Receiver
    fault_detail: str = ""  # optional w:FaultDetail URI
    http_status: int = 500

    def __str__(self) -> str:
        return f"WSManFault {self.code}: {self.reason.strip()}"


def timed_out() -> WSManFault:
    """No output within OperationTimeout; pypsrp's poll_invoke swallows exactly this code."""
    reason = (
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.  "
    )
    return WSManFault(OPERATION_TIMEDOUT, "w:TimedOut", reason, sender=False)


def shell_not_found() -> WSManFault:
    """The ShellId names no shell on this host (pypsrp issue #22)."""
    return WSManFault(
        INVALID_SELECTORS,
        "w:InvalidSelectors",
        _SELECTORS_REASON,
        fault_detail=_UNEXPECTED_SELECTORS,
    )


def command_not_found() -> WSManFault:
    """The CommandId names no command in this shell, as WinRS words it."""
    message = (
        "The Windows Remote Shell received a request to perform an operation on a command "
        "identifier that does not exist. Either the command has completed execution or the "
        "client specified an invalid command identifier. "
    )
    return WSManFault(
        INVALID_SELECTORS,
        "w:InvalidSelectors",
        _SELECTORS_REASON,
        message=message,
        fault_detail=_UNEXPECTED_SELECTORS,
    )


def already_exists() -> WSManFault:
    """A Create naming a ShellId that is already open on this host."""
    reason = "The WS-Management service cannot create the resource because it already exists. "
    return WSManFault(ALREADY_EXISTS, "w:AlreadyExists", reason)


def action_not_supported(action: str) -> WSManFault:
    """An Action URI the service does not implement."""
    reason = "The WS-Management service does not support the action specified in the request. "
    return WSManFault(ACTION_NOT_SUPPORTED, "a:ActionNotSupported", reason, message=reason + action)


def invalid_resource_uri() -> WSManFault:
    """A ResourceURI the service does not serve."""
    reason = (
        "The WS-Management service cannot process the request. The resource URI is missing or it "
        "has an incorrect format. "
    )
    return WSManFault(INVALID_RESOURCE_URI, "w:InvalidResourceURI", reason)


def invalid_header(detail: str) -> WSManFault:
    """A missing or malformed SOAP header (e.g. a negative OperationTimeout)."""
    reason = (
        "The WS-Management service cannot process the request. The request contains one or more "
        "invalid SOAP headers. "
    )
    return WSManFault(
        INVALID_MESSAGE_INFORMATION_HEADER,
        "a:InvalidMessageInformationHeader",
        reason,
        message=reason + detail,
    )


def invalid_body() -> WSManFault:
    """A body without the element the action needs."""
    reason = (
        "The WS-Management service cannot process the request because the request packet does not "
        "have a valid SOAP body. "
    )
    return WSManFault(INVALID_BODY, "w:InvalidBody", reason)


def invalid_xml() -> WSManFault:
    """Unparseable XML, or XML with a DTD/entities, which the lab never expands."""
    reason = "The WS-Management service cannot process the request because the XML is invalid. "
    return WSManFault(INVALID_XML, "w:SchemaValidationError", reason, http_status=400)
