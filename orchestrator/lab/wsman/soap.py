"""Parsing a WS-Management request: safely, by namespace URI, into one small value.

pywinrm writes `env:`/`a:`/`w:` where pypsrp writes `s:`/`wsa:`/`wsman:`, so only namespace URIs
are trusted, never prefixes. defusedxml refuses any DTD, which rules out external entities (XXE)
and entity expansion bombs before a single entity is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from orchestrator.lab.wsman import errors, ns

_EMPTY: Mapping[str, str] = MappingProxyType({})
_DEFAULT_ENVELOPE = 153600  # pypsrp's default, and Windows' before protocol 2.2
_ENVELOPE_OVERHEAD = 4096  # headers and Stream elements around the base64 payload
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?")

_ACTION = ns.q(ns.ADDRESSING, "Action")
_MESSAGE_ID = ns.q(ns.ADDRESSING, "MessageID")
_RESOURCE_URI = ns.q(ns.WSMAN, "ResourceURI")
_TIMEOUT = ns.q(ns.WSMAN, "OperationTimeout")
_MAX_ENVELOPE = ns.q(ns.WSMAN, "MaxEnvelopeSize")
_SELECTOR_SET = ns.q(ns.WSMAN, "SelectorSet")
_OPTION_SET = ns.q(ns.WSMAN, "OptionSet")
_HEADER = ns.q(ns.SOAP, "Header")
_BODY = ns.q(ns.SOAP, "Body")


@dataclass(frozen=True)
class WSManRequest:
    """One parsed request: the headers the lab acts on and the body's first element."""

    action: str
    message_id: str
    resource_uri: str
    selectors: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    options: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    operation_timeout: float | None = None
    max_envelope_size: int | None = None
    body: Element | None = None

    @property
    def name(self) -> str:
        """The action's short name: Create, Command, Send, Receive, Signal, Delete, Get."""
        return self.action.rsplit("/", 1)[-1]

    @property
    def payload_budget(self) -> int:
        """Bytes of PSRP data that fit, base64-encoded, in the client's MaxEnvelopeSize."""
        size = self.max_envelope_size or _DEFAULT_ENVELOPE
        return max(1024, (size - _ENVELOPE_OVERHEAD) * 3 // 4)

    @property
    def shell_id(self) -> str | None:
        """The ShellId selector, upper-cased as Windows compares it."""
        value = self.selectors.get("ShellId")
        return value.upper() if value else None


def parse_duration(text: str) -> float:
    """Seconds in an xs:duration such as PT20S or PT60.000S; a malformed one is a header fault."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        raise errors.invalid_header(
            f"The XML contains an invalid timeout field in the SOAP header: {text}. "
        )
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_request(data: bytes) -> WSManRequest:
    """Parse one SOAP envelope; any XML problem (DTD, entity, syntax) is an invalid-XML fault."""
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except (ParseError, defusedxml.DefusedXmlException, ValueError) as exc:
        raise errors.invalid_xml() from exc
    header = root.find(_HEADER)
    if root.tag != ns.q(ns.SOAP, "Envelope") or header is None:
        raise errors.invalid_xml()
    body = root.find(_BODY)
    return _from_header(header, None if body is None or len(body) == 0 else body[0])


def _from_header(header: Element, body: Element | None) -> WSManRequest:
    fields: dict[str, str] = {}
    for child in header:
        fields[child.tag] = (child.text or "").strip()
    action, message_id = fields.get(_ACTION), fields.get(_MESSAGE_ID)
    if not action or not message_id:
        raise errors.invalid_header("The request does not have all the expected SOAP headers. ")
    timeout = fields.get(_TIMEOUT)
    envelope = fields.get(_MAX_ENVELOPE)
    return WSManRequest(
        action=action,
        message_id=message_id,
        resource_uri=fields.get(_RESOURCE_URI, ""),
        selectors=_named(header.find(_SELECTOR_SET)),
        options=_named(header.find(_OPTION_SET)),
        operation_timeout=parse_duration(timeout) if timeout else None,
        max_envelope_size=int(envelope) if envelope and envelope.isdigit() else None,
        body=body,
    )


def _named(container: Element | None) -> Mapping[str, str]:
    """Selector or Option children as {Name: text}."""
    if container is None:
        return _EMPTY
    return {child.get("Name", ""): (child.text or "").strip() for child in container}
