"""The pypsrp adapter: one WSMan + RunspacePool per host, opened once and reused.

The only package that imports pypsrp or requests; what they raise is translated at this
boundary into our own errors. Import it where a command needs it (not at start-up): pypsrp is
slow to import and `--help` must stay fast.
"""

from orchestrator.transport.psrp.settings import Login
from orchestrator.transport.psrp.transport import PsrpConnector, PsrpTransport

__all__ = ["Login", "PsrpConnector", "PsrpTransport"]
