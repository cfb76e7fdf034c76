"""Hostile requests: XXE, entity bombs, malformed and oversized bodies are refused, never expanded."""

from __future__ import annotations

import time

from orchestrator.lab.server import LabServer

from . import raw

INVALID_XML = b'Code="2150858819"'

_ENVELOPE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
    "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"
    "<a:MessageID>uuid:{body}</a:MessageID>"
    "<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/config</w:ResourceURI>"
    "</s:Header><s:Body/></s:Envelope>"
)


def _soap(doctype: str, body: str) -> bytes:
    return (doctype + _ENVELOPE.replace("{body}", body)).encode()


def test_plain_get_of_config_works(lab: LabServer) -> None:
    """The same request without a DTD is answered (so the refusals below are about the DTD)."""
    status, body = raw.post(lab, "/wsman/dc01", _soap("", "1"))
    assert status == 200
    assert b"MaxEnvelopeSizekb" in body
    assert b"<a:RelatesTo>uuid:1</a:RelatesTo>" in body


def test_external_entity_is_refused(lab: LabServer) -> None:
    """XXE: a DTD with a SYSTEM entity is refused with 400 and the file is never read."""
    doctype = '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    status, body = raw.post(lab, "/wsman/dc01", _soap(doctype, "&x;"))
    assert status == 400
    assert INVALID_XML in body
    assert b"root:" not in body


def test_entity_bomb_is_refused_quickly(lab: LabServer) -> None:
    """A billion-laughs entity bomb is refused before any expansion, in well under a second."""
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    started = time.monotonic()
    status, body = raw.post(lab, "/wsman/dc01", _soap(f"<!DOCTYPE s [{entities}]>", "&a9;"))
    assert time.monotonic() - started < 1
    assert status == 400
    assert INVALID_XML in body


def test_malformed_xml_is_invalid_xml_fault(lab: LabServer) -> None:
    """Unparseable XML is answered with the WS-Management invalid-XML fault."""
    status, body = raw.post(lab, "/wsman/dc01", b"<s:Envelope><unclosed>")
    assert status == 400
    assert INVALID_XML in body


def test_oversized_body_is_refused_unread(lab: LabServer) -> None:
    """A body over the size limit is refused with 413 from its Content-Length alone."""
    status, _ = raw.post(lab, "/wsman/dc01", b"x", headers={"Content-Length": str(2 << 20)})
    assert status == 413


def test_unknown_action_is_action_not_supported(lab: LabServer) -> None:
    """An Action the service does not implement is fault 2150858771, RelatesTo echoed."""
    soap = _soap("", "7").replace(b"transfer/Get", b"transfer/Put")
    status, body = raw.post(lab, "/wsman/dc01", soap)
    assert status == 500
    assert b'Code="2150858771"' in body
    assert b"<a:RelatesTo>uuid:7</a:RelatesTo>" in body


def test_unauthenticated_request_is_challenged(lab: LabServer) -> None:
    """No credentials: 401, offering Negotiate and Basic, and the body is not looked at."""
    status, _ = raw.post(lab, "/wsman/dc01", b"<not-even-xml", auth=False)
    assert status == 401
