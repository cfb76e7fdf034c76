"""Namespace and URI constants of WS-Management as WinRM speaks it ([MS-WSMV] 2.2.1)."""

from __future__ import annotations

SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
WSMAN_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
POWERSHELL = "http://schemas.microsoft.com/powershell"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ADDRESSING_FAULT_ACTION = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"

# Resource URIs the lab serves.
RESOURCE_POWERSHELL_PREFIX = POWERSHELL + "/"
RESOURCE_CMD = SHELL + "/cmd"
RESOURCE_SHELL = SHELL
RESOURCE_CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"


COMMAND_STATE_DONE = SHELL + "/CommandState/Done"
COMMAND_STATE_RUNNING = SHELL + "/CommandState/Running"


def q(namespace: str, local: str) -> str:
    """The ElementTree `{uri}local` name."""
    return "{" + namespace + "}" + local
