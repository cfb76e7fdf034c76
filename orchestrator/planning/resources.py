"""What a step touches, as comparable keys, so a plan knows when a later step reads what an
earlier one would change (and says "unknown" instead of predicting from stale probes).

Keys name a resource, not a value: ("host", "<name>", "account", "<sid or name>") for a local
account, ("domain", "account", ...) for AD objects (domain-wide: a change on one DC is read
on another), ("site", ...) for the SMS site. A program or a script may change anything on its
host: ("host", "<name>", "*").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Key = tuple[str, ...]
_EVERYTHING = "*"


def _host(host: str, *rest: str) -> Key:
    return ("host", host.lower(), *(r.lower() for r in rest))


def _local_user(args: Any, host: str) -> set[Key]:
    keys = {_host(host, "account", args.sid or args.name)}
    return keys | {_host(host, "group", g) for g in args.groups}


def _local_group(args: Any, host: str) -> set[Key]:
    return {_host(host, "group", args.group_sid or args.group)}


def _ad_user(args: Any, _host_name: str) -> set[Key]:
    return {("domain", "account", (args.sid or args.name).lower())}


def _ad_group(args: Any, _host_name: str) -> set[Key]:
    return {("domain", "group", args.group.lower())}


def _registry(args: Any, host: str) -> set[Key]:
    return {_host(host, "registry", args.path)}


def _task(args: Any, host: str) -> set[Key]:
    return {_host(host, "task", args.path + args.name)}


def _everything(_args: Any, host: str) -> set[Key]:
    # a program (Smsman.exe) changes what the site reads of its clients too
    return {_host(host, _EVERYTHING), ("site", _EVERYTHING, "clients")}


def _service(args: Any, host: str) -> set[Key]:
    # restarting the SMS client service makes it check in: the site reads that
    return {_host(host, "service", args.name), ("site", _EVERYTHING, "clients")}


def _connection_account(args: Any, _host_name: str) -> set[Key]:
    # the whole ordered list: its before/after show the list, and order is what clients try
    return {("site", args.site_code.lower(), "accounts")}


def _wait(args: Any, host: str) -> set[Key]:
    """A wait reads what earlier steps change; it changes nothing."""
    probe = args.probe_name
    if probe == "sms_client_status":
        return {("site", str(args.probe[probe].get("site_code", "")).lower(), "clients")}
    return {_host(host, _EVERYTHING)}


def _read(args: Any, host: str) -> set[Key]:
    """What a probe (or an assert's probe) reads."""
    chosen = args.chosen()
    if chosen is None:
        return set()
    name, probe = chosen
    reader = _PROBED.get(name)
    return reader(probe, host) if reader else {_host(host, _EVERYTHING)}


_PROBED: dict[str, Callable[[Any, str], set[Key]]] = {
    "sms_client_status": lambda a, _h: {("site", a.site_code.lower(), "clients"),
                                        ("site", a.site_code.lower(), "accounts")},
    "sms_site": lambda a, _h: {("site", a.site_code.lower(), "settings")},
    "registry": _registry,
    "ad_user": lambda a, _h: {("domain", "account", (a.sid or a.name).lower())},
    "local_user": lambda a, h: {_host(h, "account", a.sid or a.name)},
    "connection_accounts": lambda a, _h: {("domain", "account", _EVERYTHING),
                                          ("site", a.site_code.lower(), "accounts")},
}  # fmt: skip


RESOURCES: dict[str, Callable[[Any, str], set[Key]]] = {
    "local_user": _local_user,
    "local_group_member": _local_group,
    "ad_user": _ad_user,
    "ad_group_member": _ad_group,
    "registry": _registry,
    "service": _service,
    "scheduled_task": _task,
    "process": _everything,
    "powershell": _everything,
    "sms_connection_account": _connection_account,
    "wait_for": _wait,
    "probe": _read,
    "assert": _read,
}


def resources(module: str, args: Any, host: str) -> frozenset[Key]:
    """The resources a step touches on a host."""
    return frozenset(RESOURCES[module](args, host))


def _matches(a: Key, b: Key) -> bool:
    if a == b:
        return True
    if len(a) == len(b) and all(x == y or _EVERYTHING in (x, y) for x, y in zip(a, b, strict=True)):
        return a[0] != "host" or a[1] == b[1]  # "*" stands for any site, account ...
    for x, y in ((a, b), (b, a)):
        if x[:1] == ("host",) and x[2:] == (_EVERYTHING,) and y[:2] == x[:2]:
            return True
    return False


def conflicts(mine: frozenset[Key], earlier: Sequence[tuple[str, frozenset[Key]]]) -> str:
    """The name of the latest earlier step that would change a resource this step touches."""
    for step, theirs in reversed(earlier):
        if any(_matches(a, b) for a in mine for b in theirs):
            return step
    return ""
