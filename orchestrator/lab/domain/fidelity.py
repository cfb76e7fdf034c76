"""Fidelity switches: which era of Windows the lab imitates."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from orchestrator.lab.domain.lockout import LockoutPolicy


class Era(enum.Enum):
    """NT4 + SMS 2.0 as in the article, or current Windows defaults."""

    NT4_SMS2 = "nt4_sms2"
    MODERN = "modern"


@dataclass(frozen=True)
class Fidelity:
    """Behaviour switches; `for_era` gives the presets."""

    era: Era = Era.NT4_SMS2
    # modern: "Deny access to this computer from the network" holds Guest on every host (a user
    # right, kept in the LSA policy database: no registry value to read, hence a switch). The
    # era's other two Guest barriers are registry values (guest_policy.py).
    guest_denied_network_logon: bool = False
    permissive_modify_default: bool = True
    search_adaccount_stale_lockouts: bool = False
    double_hop_enforced: bool = True  # UNC from a remote session fails (the second hop) [U]
    # [U] Smsman /u leaves %WinDir%\MS\SMS\Core\Bin\00000409\Smsman.exe, so a reinstall can
    # run locally (Q236052); off: the local copy goes too, only the logon point's remains
    uninstall_keeps_local_smsman: bool = True

    @staticmethod
    def for_era(era: Era) -> Fidelity:
        """The preset of an era."""
        return Fidelity(era=era, guest_denied_network_logon=era is Era.MODERN)

    def with_overrides(self, **changes: bool) -> Fidelity:
        """A copy with some switches changed."""
        fields: dict[str, Any] = dict(changes)
        return replace(self, **fields)


def lockout_preset(era: Era) -> LockoutPolicy:
    """nt4_sms2 = 5 attempts / 30 min / 30 min without N-2; modern = 10/10/10 with N-2."""
    if era is Era.NT4_SMS2:
        # Q227033: the NT4 preset when lockout is enabled
        return LockoutPolicy(
            threshold=5,
            observation_window=timedelta(minutes=30),
            duration=timedelta(minutes=30),
            n2_exemption=False,
        )
    return LockoutPolicy(
        threshold=10,
        observation_window=timedelta(minutes=10),
        duration=timedelta(minutes=10),
        n2_exemption=True,
    )
