"""What `kinit` does, with the krb5 library and no prompt: a ticket cache for the tests that
log on with the operator's own ticket (no password anywhere after this)."""

from __future__ import annotations

from pathlib import Path

import krb5


def kinit(principal: str, password: str, cache: Path) -> None:
    """Log `principal` (user@REALM) on with `password`; its TGT goes to the FILE cache."""
    context = krb5.init_context()
    name = krb5.parse_name_flags(context, principal.encode())
    options = krb5.get_init_creds_opt_alloc(context)
    creds = krb5.get_init_creds_password(context, name, options, password=password.encode())
    ccache = krb5.cc_resolve(context, f"FILE:{cache}".encode())
    krb5.cc_initialize(context, ccache, name)
    krb5.cc_store_cred(context, ccache, creds)
