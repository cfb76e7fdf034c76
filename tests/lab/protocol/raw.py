"""Raw HTTP to the lab, for requests no WinRM client would send."""

from __future__ import annotations

import base64
import http.client

from orchestrator.lab.server import LabServer

from .conftest import ALICE


def post(
    lab: LabServer,
    path: str,
    body: bytes,
    *,
    auth: bool = True,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """POST `body` to `path` with Alice's Basic credentials; the status and body of the answer."""
    endpoint = lab.endpoints()["dc01"]
    connection = http.client.HTTPConnection(endpoint.address, endpoint.port, timeout=10)
    sent = {"Content-Type": "application/soap+xml;charset=UTF-8", **(headers or {})}
    if auth:
        sent["Authorization"] = "Basic " + base64.b64encode(":".join(ALICE).encode()).decode()
    try:
        connection.request("POST", path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
