"""Building WS-Management responses and faults as Windows shapes them (as in the real-Windows
traffic recorded in jborean93/pypsrp's tests, tests/tests_pypsrp/responses).

Responses are assembled from strings: no tree is built per response. Every response echoes the
request's MessageID as RelatesTo, without which pypsrp raises "Received related id does not
match" ([MS-WSMV] 3.1.4.1.5).
"""

from __future__ import annotations

import random
import uuid
from xml.sax.saxutils import escape, quoteattr

from orchestrator.lab.wsman import ns
from orchestrator.lab.wsman.errors import WSManFault

_OPEN = (
    '<s:Envelope xml:lang="en-US" xmlns:s="' + ns.SOAP + '" xmlns:a="' + ns.ADDRESSING + '"'
    ' xmlns:x="' + ns.TRANSFER + '" xmlns:w="' + ns.WSMAN + '" xmlns:rsp="' + ns.SHELL + '"'
    ' xmlns:p="' + ns.WSMV + '"><s:Header><a:Action>'
)
_TO = "</a:MessageID><a:To>" + ns.ANONYMOUS + "</a:To><a:RelatesTo>"


def _message_id() -> str:
    """A fresh MessageID: unique, not secret. uuid4 reads os.urandom, which gives up the GIL on
    every response; under load that round trip costs more than the ID is worth."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4)).upper()


def response(action: str, relates_to: str, body: str) -> bytes:
    """A full envelope: Action, a fresh MessageID, RelatesTo = the request's MessageID."""
    return "".join(
        (
            _OPEN,
            action,
            "</a:Action><a:MessageID>uuid:",
            _message_id(),
            _TO,
            escape(relates_to),
            "</a:RelatesTo></s:Header><s:Body>",
            body,
            "</s:Body></s:Envelope>",
        )
    ).encode("utf-8")


def fault(err: WSManFault, relates_to: str | None, machine: str) -> bytes:
    """A SOAP 1.2 fault carrying WSManFault@Code, which pypsrp reads as WSManFaultError.code."""
    is_addressing = err.subcode.startswith("a:")
    action = ns.ADDRESSING_FAULT_ACTION if is_addressing else ns.FAULT_ACTION
    detail = (
        f"<w:FaultDetail>{escape(err.fault_detail)}</w:FaultDetail>" if err.fault_detail else ""
    )
    body = "".join(
        (
            "<s:Fault><s:Code><s:Value>",
            "s:Sender" if err.sender else "s:Receiver",
            "</s:Value><s:Subcode><s:Value>",
            err.subcode,
            '</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">',
            escape(err.reason),
            "</s:Text></s:Reason><s:Detail>",
            detail,
            '<f:WSManFault xmlns:f="',
            ns.WSMAN_FAULT,
            f'" Code="{err.code}" Machine={quoteattr(machine)}><f:Message>',
            escape(err.message or err.reason),
            "</f:Message></f:WSManFault></s:Detail></s:Fault>",
        )
    )
    return response(action, relates_to or "", body)


def shell_body(shell_id: str, resource_uri: str, owner: str, streams: tuple[str, str]) -> str:
    """The rsp:Shell element of a CreateResponse or GetResponse ([MS-WSMV] 2.2.4.37)."""
    return "".join(
        (
            '<rsp:Shell xmlns:rsp="',
            ns.SHELL,
            '"><rsp:ShellId>',
            shell_id,
            "</rsp:ShellId><rsp:ResourceUri>",
            escape(resource_uri),
            "</rsp:ResourceUri><rsp:Owner>",
            escape(owner),
            "</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>",
            "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>",
            streams[0],
            "</rsp:InputStreams><rsp:OutputStreams>",
            streams[1],
            "</rsp:OutputStreams><rsp:State>Connected</rsp:State></rsp:Shell>",
        )
    )


def resource_created(address: str, resource_uri: str, shell_id: str) -> str:
    """x:ResourceCreated: pypsrp builds every later SelectorSet from this ShellId selector."""
    return "".join(
        (
            "<x:ResourceCreated><a:Address>",
            escape(address),
            "</a:Address><a:ReferenceParameters><w:ResourceURI>",
            escape(resource_uri),
            '</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">',
            shell_id,
            "</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>",
        )
    )


def stream(name: str, data: str, command_id: str | None, *, end: bool = False) -> str:
    """One rsp:Stream with base64 text; End="true" marks a WinRS stream's end."""
    attrs = f' Name="{name}"'
    if command_id:
        attrs += f' CommandId="{command_id}"'
    if end:
        attrs += ' End="true"'
    return f"<rsp:Stream{attrs}>{data}</rsp:Stream>"


def command_state_done(command_id: str, exit_code: int) -> str:
    """CommandState Done with its ExitCode: pywinrm loops on Receive until it sees this."""
    return (
        f'<rsp:CommandState CommandId="{command_id}" State="{ns.COMMAND_STATE_DONE}">'
        f"<rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>"
    )
