"""A real MIT Kerberos KDC for the lab's domain (docs/lab.md, "Kerberos: the lab's KDC").

config (krb5.conf and kdc.conf text), policy (the domain's lockout as a KDC policy), tools
(finding the programs, their environment), process (database and krb5kdc), kadmin (batches of
kadmin.local commands), state (get_principal read into values), kdc (the whole, as `Kdc`).
"""

from orchestrator.lab.kerberos.config import realm_for
from orchestrator.lab.kerberos.errors import KdcError
from orchestrator.lab.kerberos.kadmin import AdminScript
from orchestrator.lab.kerberos.kdc import Kdc, service_principal
from orchestrator.lab.kerberos.state import PrincipalState

__all__ = ["AdminScript", "Kdc", "KdcError", "PrincipalState", "realm_for", "service_principal"]
