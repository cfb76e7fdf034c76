"""Dispatching a parsed WS-Management request to the shell it addresses ([MS-WSMV] 3.1.4).

One table maps each Action URI to a handler; each handler returns the response body. Every
reply, fault or not, echoes the request's MessageID as RelatesTo.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from orchestrator.lab.wsman import envelope, errors, ns
from orchestrator.lab.wsman.cmd import CmdShell
from orchestrator.lab.wsman.errors import WSManFault
from orchestrator.lab.wsman.shells import Received, Shell, ShellRegistry, normalise_id
from orchestrator.lab.wsman.soap import WSManRequest

_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
_SHELL_ACTION = ns.SHELL + "/"
_CONFIG = (
    '<cfg:Config xmlns:cfg="' + ns.CONFIG + '"><cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb>'
    "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
    "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests></cfg:Config>"
)

OpenPowerShell = Callable[[str, str, WSManRequest, str], Shell]  # host, user, request, shell id


@dataclass(frozen=True)
class Caller:
    """Who sent the request, and where: the host its URL addressed and the user it logged on as."""

    host: str
    user: str
    address: str  # the endpoint URL, echoed in ResourceCreated/Address


@dataclass
class Reply:
    """An HTTP status and SOAP body, plus what to do if it never reaches the client."""

    status: int
    body: bytes
    requeue: Callable[[], None] | None = None


class WSManService:
    """The WS-Management service of every lab host."""

    def __init__(
        self,
        registry: ShellRegistry,
        open_powershell: OpenPowerShell,
        on_open: Callable[[Shell], None],
        max_timeout: float = 60.0,
    ) -> None:
        self._registry = registry
        self._open_powershell = open_powershell
        self._on_open = on_open
        self._max_timeout = max_timeout
        self._handlers: Mapping[str, Callable[[Caller, WSManRequest], tuple[str, Received | None]]]
        self._handlers = {
            _TRANSFER + "Create": self._create,
            _TRANSFER + "Delete": self._delete,
            _TRANSFER + "Get": self._get,
            _SHELL_ACTION + "Command": self._command,
            _SHELL_ACTION + "Send": self._send,
            _SHELL_ACTION + "Receive": self._receive,
            _SHELL_ACTION + "Signal": self._signal,
        }

    def handle(self, caller: Caller, request: WSManRequest) -> Reply:
        """Run one request; a WSManFault becomes a fault envelope (HTTP 500, or 400 for bad XML)."""
        handler = self._handlers.get(request.action)
        try:
            if handler is None:
                raise errors.action_not_supported(request.action)
            body, received = handler(caller, request)
        except WSManFault as fault:
            return fault_reply(fault, request.message_id)
        reply = envelope.response(request.action + "Response", request.message_id, body)
        return Reply(200, reply, received.requeue if received else None)

    # -- handlers: each returns (body, Received or None) ------------------------------------

    def _create(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        body = request.body
        if body is None or body.tag != ns.q(ns.SHELL, "Shell"):
            raise errors.invalid_body()
        given = body.get("ShellId")
        shell_id = normalise_id(given) if given else str(uuid.uuid4()).upper()
        shell = self._new_shell(caller, request, shell_id)
        try:
            self._registry.add(shell)
        except WSManFault:
            shell.close()
            raise
        self._on_open(shell)
        created = envelope.resource_created(caller.address, request.resource_uri, shell_id)
        return created + _shell_xml(shell), None

    def _new_shell(self, caller: Caller, request: WSManRequest, shell_id: str) -> Shell:
        uri = request.resource_uri
        if uri == ns.RESOURCE_CMD:
            return CmdShell(shell_id, caller.host, caller.user)
        if uri.startswith(ns.RESOURCE_POWERSHELL_PREFIX):
            return self._open_powershell(caller.host, caller.user, request, shell_id)
        raise errors.invalid_resource_uri()

    def _delete(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        shell = self._shell(caller, request)
        self._registry.remove(shell.host, shell.shell_id)
        return "", None

    def _get(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        if request.resource_uri == ns.RESOURCE_CONFIG:
            return _CONFIG, None
        return _shell_xml(self._shell(caller, request)), None

    def _command(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        shell = self._shell(caller, request)
        line = request.body
        if line is None or line.tag != ns.q(ns.SHELL, "CommandLine"):
            raise errors.invalid_body()
        given = line.get("CommandId")
        command_id = normalise_id(given) if given else str(uuid.uuid4()).upper()
        shell.command(request, command_id)
        body = f"<rsp:CommandId>{command_id}</rsp:CommandId>"
        return f"<rsp:CommandResponse>{body}</rsp:CommandResponse>", None

    def _send(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        self._shell(caller, request).send(request)
        return "<rsp:SendResponse/>", None

    def _receive(self, caller: Caller, request: WSManRequest) -> tuple[str, Received]:
        shell = self._shell(caller, request)
        desired = (
            request.body.find(ns.q(ns.SHELL, "DesiredStream")) if request.body is not None else None
        )
        if desired is None:
            raise errors.invalid_body()
        given = desired.get("CommandId")
        command_id = normalise_id(given) if given else None
        timeout = min(request.operation_timeout or self._max_timeout, self._max_timeout)
        received = shell.receive(command_id, timeout, request.payload_budget)
        return _receive_body(received), received

    def _signal(self, caller: Caller, request: WSManRequest) -> tuple[str, None]:
        shell = self._shell(caller, request)
        signal = request.body
        if signal is None or signal.tag != ns.q(ns.SHELL, "Signal"):
            raise errors.invalid_body()
        code = signal.findtext(ns.q(ns.SHELL, "Code")) or ""
        shell.signal(normalise_id(signal.get("CommandId")), code.strip())
        return "<rsp:SignalResponse/>", None

    def _shell(self, caller: Caller, request: WSManRequest) -> Shell:
        return self._registry.get(caller.host, request.shell_id, caller.user)


def fault_reply(fault: WSManFault, relates_to: str | None) -> Reply:
    """A fault envelope with the fault's HTTP status."""
    return Reply(fault.http_status, envelope.fault(fault, relates_to, "127.0.0.1"))


def _shell_xml(shell: Shell) -> str:
    streams = (shell.input_streams, shell.output_streams)
    return envelope.shell_body(shell.shell_id, shell.resource_uri, shell.owner, streams)


def _receive_body(received: Received) -> str:
    """ReceiveResponse: the chunks, End markers for WinRS, CommandState Done when it ended."""
    command_id = received.command_id
    parts = ["<rsp:ReceiveResponse>"]
    for name, data in received.chunks:
        if data:
            encoded = base64.b64encode(data).decode("ascii")
            parts.append(envelope.stream(name, encoded, command_id))
    if received.ended and command_id is not None:
        parts.extend(envelope.stream(n, "", command_id, end=True) for n in received.end_streams)
        parts.append(envelope.command_state_done(command_id, received.exit_code))
    parts.append("</rsp:ReceiveResponse>")
    return "".join(parts)
