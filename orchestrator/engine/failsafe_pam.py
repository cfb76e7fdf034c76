"""PAM time-to-live: the domain controllers end a group membership by themselves.

With the forest's Privileged Access Management Feature on, `Add-ADGroupMember
-MemberTimeToLive` makes a link the DCs drop when its TTL runs out, orchestrator or not
(Add-ADGroupMember and Enable-ADOptionalFeature on Microsoft Learn). Inside a window, an
ad_group_member step that ADDS members gets `member_ttl` = the time left to the deadline
(`with_ttl`), right before it is applied.

The scheduled task is still needed, and armed as well:
- a TTL ends a link and nothing else: the Guest account itself stays enabled, so the
  Disable-ADAccount or Disable-LocalUser undo must run from the task;
- local group memberships (a member server's Users) have no TTL at all;
- removing members (state: absent) is undone by adding them back: no TTL can do that;
- without PAM, -MemberTimeToLive is an error (its exact text unverified on real Windows).
The task's Remove-ADGroupMember of a link that already expired is a permissive no-op.

The TTL counts from when the DC writes the link, so the membership ends up to one round trip
after the deadline; it is rounded down to whole seconds (the TimeSpan the module sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from orchestrator.errors import WindowError
from orchestrator.modules import ad_group_member
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.logic import objects, read, run
from orchestrator.modules.protocol import Logic

PAM_FILTER = "Name -like 'Privileged*'"
A = TypeVar("A", bound=ArgsModel)


def pam_enabled() -> Logic[bool]:
    """Get-ADOptionalFeature -Filter "Name -like 'Privileged*'" (on a DC): on when a feature's
    EnabledScopes is non-empty (as shown on richardjgreen.net, "Active Directory 2016
    Time-Based Group Membership"). Read-only."""
    result = yield from run(read("Get-ADOptionalFeature", Filter=PAM_FILTER))
    return any(_non_empty(feature.get("EnabledScopes")) for feature in objects(result))


def _non_empty(scopes: Any) -> bool:
    # a list of DNs; anything else (a collection the transport could not unpack) reads as
    # "off", the safe side: the failsafe task covers the membership anyway
    return isinstance(scopes, Sequence) and not isinstance(scopes, str) and len(scopes) > 0


def ttl_applies(args: ArgsModel) -> bool:
    """True for an ad_group_member step adding members: the only change a TTL can end."""
    return isinstance(args, ad_group_member.Args) and args.state == "present"


def with_ttl(args: A, remaining: timedelta) -> A:
    """`args` with `member_ttl` = the time left to the deadline (or its own shorter TTL);
    arguments of any other step come back unchanged."""
    if not isinstance(args, ad_group_member.Args) or not ttl_applies(args):
        return args
    ttl = timedelta(seconds=int(remaining.total_seconds()))  # whole seconds, rounded down
    if ttl < timedelta(seconds=1):
        raise WindowError("the window's deadline has passed: no membership TTL is left")
    if args.member_ttl is not None:
        ttl = min(ttl, args.member_ttl)
    return args.model_copy(update={"member_ttl": ttl})
