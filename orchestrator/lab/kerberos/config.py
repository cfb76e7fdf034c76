"""The text of krb5.conf (for clients and the tools) and kdc.conf (for the KDC) of a lab realm.

Pure functions: the realm is the domain's DNS name in upper case, as in AD; the KDC listens on
127.0.0.1 only, on one port for UDP and TCP; everything it writes lives under one directory.
Relation names are those of MIT's "krb5.conf" and "kdc.conf" pages
(https://web.mit.edu/kerberos/krb5-latest/doc/admin/conf_files/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# What current Windows domains issue (AES only; RC4 and DES are off since the 2022 hardening
# updates): MIT's names for Kerberos etypes 18 and 17.
ENCTYPES = ("aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96")


def realm_for(dns_root: str) -> str:
    """The Kerberos realm of an AD domain: its DNS name in upper case (CONTOSO.COM)."""
    return dns_root.strip(".").upper()


@dataclass(frozen=True)
class KdcFiles:
    """Where a lab KDC keeps everything: one directory, nothing under /etc or /var."""

    directory: Path

    @property
    def krb5_conf(self) -> Path:
        """Client configuration (KRB5_CONFIG) for this realm alone."""
        return self.directory / "krb5.conf"

    @property
    def kdc_conf(self) -> Path:
        """KDC configuration (KRB5_KDC_PROFILE): database, stash, logs."""
        return self.directory / "kdc.conf"

    @property
    def database(self) -> Path:
        """The db2 principal database (kdb5_util adds .kadm5, .lock and .ok beside it)."""
        return self.directory / "principal"

    @property
    def stash(self) -> Path:
        """The stashed master key, so that the KDC starts without a prompt."""
        return self.directory / "stash"

    @property
    def keytab(self) -> Path:
        """The default keytab for the service principals' keys (KRB5_KTNAME of an acceptor)."""
        return self.directory / "http.keytab"

    @property
    def kdc_log(self) -> Path:
        """The KDC's own log: one line per AS/TGS request, with its outcome."""
        return self.directory / "kdc.log"

    @property
    def admin_log(self) -> Path:
        """kadmin.local's log of administrative changes."""
        return self.directory / "kadmin.log"

    @property
    def library_log(self) -> Path:
        """Everything else the Kerberos library logs for the tools."""
        return self.directory / "krb5lib.log"

    @property
    def console(self) -> Path:
        """The KDC process's standard output and error."""
        return self.directory / "krb5kdc.out"

    def logs(self) -> tuple[Path, ...]:
        """Every file the KDC and its tools write text to."""
        return (self.kdc_log, self.admin_log, self.library_log, self.console)


def krb5_conf(realm: str, dns_root: str, port: int) -> str:
    """Client side: this realm only, its KDC at 127.0.0.1:port over TCP, no DNS at all."""
    enctypes = " ".join(ENCTYPES)
    domain = dns_root.strip(".").lower()
    return f"""\
[libdefaults]
    default_realm = {realm}
    # the lab is not in DNS: no SRV lookups, no reverse lookups, host names used as given
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    # TCP from the first byte, as Windows clients do with large (PAC-carrying) tickets
    udp_preference_limit = 1
    default_tkt_enctypes = {enctypes}
    default_tgs_enctypes = {enctypes}
    permitted_enctypes = {enctypes}

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
        # the one KDC is the primary: a failed pre-authentication is not retried against a
        # "primary" (which would count a second failure toward lockout)
        primary_kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    .{domain} = {realm}
    {domain} = {realm}
"""


def kdc_conf(realm: str, port: int, files: KdcFiles) -> str:
    """KDC side: 127.0.0.1:port over UDP and TCP; database, stash and logs in `files`."""
    supported = " ".join(f"{name}:normal" for name in ENCTYPES)
    return f"""\
[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {realm} = {{
        database_name = {files.database}
        key_stash_file = {files.stash}
        acl_file = {files.directory / "kadm5.acl"}
        master_key_type = {ENCTYPES[0]}
        supported_enctypes = {supported}
        max_life = 10h
        max_renewable_life = 7d
        # AD requires pre-authentication; without it a wrong password is never seen by the KDC
        default_principal_flags = +preauth
    }}

[plugins]
    kdcpreauth = {{
        # SPAKE is MIT's own; Windows uses encrypted timestamps. Off, so the KDC logs no error.
        disable = spake
    }}

[logging]
    kdc = FILE:{files.kdc_log}
    admin_server = FILE:{files.admin_log}
    default = FILE:{files.library_log}
"""
