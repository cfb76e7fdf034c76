"""The KDC follows the directory: each batch of account changes becomes one kadmin batch.

An AccountObserver (domain.changes) the backend calls after a committed change: New-ADUser with
a password adds the principal, Set-ADAccountPassword changes its key, Disable-/Enable-ADAccount
flip -allow_tix/+allow_tix, Remove-ADUser deletes it, Unlock-ADAccount (or a logon that clears
badPwdCount) unlocks it. The change is already committed in the directory, so a KDC that refuses
a command is logged, not raised: the cmdlet succeeded, as it would on a DC whose KDC lags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from orchestrator.lab.domain.changes import AccountChange, AccountFacts, ChangeKind
from orchestrator.lab.kerberos.errors import KdcError
from orchestrator.lab.kerberos.kadmin import AdminScript
from orchestrator.lab.kerberos.kdc import Kdc

_log = structlog.get_logger(__name__)


def _created(script: AdminScript, facts: AccountFacts, policy: str) -> None:
    script.add_user(facts.name, facts.password, policy if facts.locks_out else None)
    if not facts.enabled:
        script.command("modify_principal", "-allow_tix", facts.name)


def _deleted(script: AdminScript, facts: AccountFacts, _policy: str) -> None:
    script.command("delete_principal", "-force", facts.name)


def _password(script: AdminScript, facts: AccountFacts, _policy: str) -> None:
    script.set_password(facts.name, facts.password)


def _flag(flag: str) -> Callable[[AdminScript, AccountFacts, str], None]:
    def apply(script: AdminScript, facts: AccountFacts, _policy: str) -> None:
        script.command("modify_principal", flag, facts.name)

    return apply


_COMMANDS: dict[ChangeKind, Callable[[AdminScript, AccountFacts, str], None]] = {
    ChangeKind.CREATED: _created,
    ChangeKind.DELETED: _deleted,
    ChangeKind.PASSWORD_SET: _password,
    ChangeKind.ENABLED: _flag("+allow_tix"),
    ChangeKind.DISABLED: _flag("-allow_tix"),
    ChangeKind.UNLOCKED: _flag("-unlock"),
}


def admin_script(kdc: Kdc, changes: Sequence[AccountChange]) -> AdminScript:
    """The kadmin commands that mirror `changes`, in their order."""
    script = kdc.script()
    for change in changes:
        _COMMANDS[change.kind](script, change.facts, kdc.lockout.name)
    return script


class KdcSync:
    """Mirrors the directory's account changes into a running KDC, one batch per call."""

    def __init__(self, kdc: Kdc) -> None:
        self._kdc = kdc

    def accounts_changed(self, changes: Sequence[AccountChange]) -> None:
        """Run the batch; a refusal is logged with the KDC's (redacted) words."""
        try:
            self._kdc.run(admin_script(self._kdc, changes))
        except KdcError as err:
            _log.error("lab.kdc.sync_failed", realm=self._kdc.realm, error=str(err))
