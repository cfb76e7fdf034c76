"""Which of the article's methods applies, and why: one pure rule per method.

Each rule reads the findings and says whether its method applies (the site needs it), the
reasons, what blocks it, what to know first, and the hosts its playbook would touch. `assess`
then gives each a verdict: of the recovery methods that apply and are not blocked, the first
in the table is recommended and the others are alternatives; the preventive rotation
(Q237759) is recommended on its own whenever it applies.

- nothing to do: every client checked in, every account the site hands out valid, two
  accounts, and everything could be read;
- method 1, Smsman (Q236052): installed clients refused for their accounts; the article needs
  Windows NT Logon Discovery or Logon Installation on, the playbook a logon point whose share
  holds Smsman.exe, and each client's own Smsman.exe for the uninstall (/u);
- method 2, orphan and reinstall (Q236052): the same clients uninstall themselves once "Site
  Config Last Checked" is older than 60 days and their service restarts: no Smsman.exe /u on
  the client, so it is the alternative when a client's copy is missing; writing the value
  anew also cures a value the client cannot parse (Q265358); the reinstall needs the same
  logon method and logon point as method 1;
- method 3, Guest window (Q236052): the failing clients hold only accounts that can be
  deleted (Windows tries Guest only for an account that does not exist, Q103390), Guest can
  work on every CAP and every failing client accepts it (no barrier on, none unconfirmed);
- rotation (Q237759): the site has fewer than two connection accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from orchestrator.diagnosis.accounts import AccountFinding, AccountState, same
from orchestrator.diagnosis.clients import ClientCause, ClientFinding
from orchestrator.diagnosis.findings import Findings
from orchestrator.diagnosis.verdicts import Assessment, Evaluation, Method, Verdict

Rule = Callable[[Findings], Evaluation]

_SITE_UNREAD = "the site could not be read"
_SMSMAN = (
    "Smsman.exe from the logon point repairs each client in place, or uninstalls it (/u /q)"
    " and installs it again: a fresh install fetches the site's current accounts and"
    " passwords (Q236052)"
)
_ORPHAN = (
    (
        "a value older than 60 days and a restart of the client service make each client orphan"
        " itself and uninstall, with no Smsman.exe /u on the client: the alternative when its"
        " copy is missing; the playbook then reinstalls it from the logon point (Q236052)"
    ),
)
_NEED_LOGON = (
    "Smsman.exe installs a client only with Windows NT Logon Discovery or Logon Installation"
    " on (Q236052)"
)
_GUEST_FALLBACK = (
    "once deleted, the account is unknown and Windows tries Guest (Q103390), so the clients"
    " reach the CAP and learn the new account (Q236052)"
)
_GUEST_CAVEATS = (
    (
        "Guest is a security exposure: the playbook opens it inside a 2-hour window with failsafe"
        " tasks that close it (Q236052: only for the minimum duration)"
    ),
    (
        '"Deny access to this computer from the network" (a user right) is not read: make sure it'
        " does not hold Guest on the CAPs"
    ),
)
_DELETES_ONE = "guest-window.yml deletes one (old_account)"
_PLAYBOOK_CHECKS = (
    "which Windows applies to local accounts only (not to a DC's domain Guest), but"
    " guest-window.yml checks it on every CAP and refuses"
)
_ONE_ACCOUNT = (
    "with one, a password change locks every client out (Q236052); Q237759 keeps two, adding"
    " the next one and retiring the oldest only once every client knows the next"
)
_AFTER_RECOVERY = (
    "run it after the recovery: it waits until every client knows the next account, which a"
    " broken client cannot learn"
)


def _names(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def _first_hosts(f: Findings) -> tuple[str, ...]:
    scope = f.facts.scope
    found = (scope.first(scope.domain_controllers), scope.first(scope.site_servers))
    return tuple(h for h in found if h is not None)


def _directory(f: Findings) -> list[str]:
    """Every playbook changes accounts on the first domain controller: it must answer."""
    if f.facts.directory is not None:
        return []
    return ["the first domain controller could not be read (the accounts are unknown)"]


def _unread(f: Findings) -> tuple[str, ...]:
    return tuple(f"{u.part} on {u.host} could not be read: {u.reason}" for u in f.facts.unread)


# -- nothing to do ---------------------------------------------------------------------------


def nothing(f: Findings) -> Evaluation:
    """Nothing to do: healthy, two accounts, everything read."""
    if f.site is None:
        return Evaluation(True, (), (_SITE_UNREAD,))
    if not f.healthy or f.site.too_few_accounts:
        return Evaluation(False, ("the site needs recovery or prevention",))
    reasons = (
        f"every one of the {len(f.clients)} clients is checked in or pending",
        "every connection account the site hands out is valid",
        f"the site has {len(f.site.accounts)} connection accounts (Q237759)",
    )
    blockers = tuple(f"cannot confirm: {text}" for text in _unread(f))
    return Evaluation(True, reasons, blockers)


# -- what methods 1 and 2 share -------------------------------------------------------------


def _reinstall_blockers(f: Findings) -> list[str]:
    """Both playbooks reinstall with Smsman.exe from the logon point's share, which needs one
    of the site's logon methods on (Q236052) and a logon point in the inventory."""
    site = f.site
    if site is None:
        return [_SITE_UNREAD]
    blockers = _directory(f)
    if site.logon_methods is False:
        blockers.append(f"Logon Discovery and Logon Installation are both off: {_NEED_LOGON}")
    elif site.logon_methods is None:
        why = site.settings_unknown or "Get-CMSite did not say"
        blockers.append(f"the site's logon methods are unknown ({why}): {_NEED_LOGON}")
    elif site.settings is not None and site.settings.smsman_path is None:
        blockers.append("the logon point's share holds no Smsman.exe (Get-CMSite: SmsmanPath)")
    if not f.facts.scope.logon_points:
        blockers.append(
            "no logon_point host in the inventory (or --limit): the playbook runs"
            " Smsman.exe from its SMSLOGON share"
        )
    return blockers


def _client_blockers(f: Findings, clients: Iterable[ClientFinding], *, local: bool) -> list[str]:
    """Clients the playbook cannot reach; with `local`, those without their own Smsman.exe."""
    hosts = {h.host.casefold(): h for h in f.client_hosts}
    outside, unread, no_smsman = [], [], []
    for client in clients:
        host = hosts.get(client.name.casefold())
        if host is None:
            outside.append(client.name)
        elif not host.read:
            unread.append(f"{client.name} ({host.guest_reason.removeprefix('not read: ')})")
        elif local and host.smsman is False:
            no_smsman.append(client.name)
    path = f.facts.smsman_path
    found = [
        (outside, f"not in the inventory (or --limit): {_names(outside)}"),
        (unread, f"could not be read: {_names(unread)}"),
        (no_smsman, f"Smsman.exe is not at {path} for the uninstall on {_names(no_smsman)}"),
    ]
    return [text for items, text in found if items]


def _left_alone(f: Findings) -> list[str]:
    """Broken clients that no playbook repairs: uninstalled, or failing for another reason."""
    uninstalled = [c.name for c in f.clients if not c.installed]
    other = [c.name for c in f.clients if c.cause is ClientCause.OTHER_ERROR]
    found = [
        (uninstalled, f"not reinstalled (not installed now): {_names(uninstalled)}"),
        (other, f"not repaired (another error than access denied): {_names(other)}"),
    ]
    return [text for items, text in found if items]


def _touching(f: Findings, clients: tuple[ClientFinding, ...]) -> tuple[str, ...]:
    return (*(c.name for c in clients), *_first_hosts(f))


# -- method 1 -------------------------------------------------------------------------------


def method_1(f: Findings) -> Evaluation:
    """Smsman.exe repairs (or /u and reinstalls) each broken client (Q236052, method 1)."""
    clients = f.repairable
    if f.site is None:
        return Evaluation(True, (), (_SITE_UNREAD,))
    if not clients:
        return Evaluation(False, ("no installed client is refused for its accounts",))
    reasons = (
        f"{len(clients)} client(s) to repair: {_names(c.name for c in clients)}",
        _SMSMAN,
        *_logon_reason(f),
    )
    blockers = [*_reinstall_blockers(f), *_client_blockers(f, clients, local=True)]
    return Evaluation(True, reasons, tuple(blockers), tuple(_left_alone(f)), _touching(f, clients))


def _logon_reason(f: Findings) -> tuple[str, ...]:
    if f.site is None or f.site.logon_methods is not True:
        return ()
    return ("Windows NT Logon Discovery or Logon Installation is on",)


# -- method 2 -------------------------------------------------------------------------------


def method_2(f: Findings) -> Evaluation:
    """Backdate Site Config Last Checked, restart the client service, reinstall (method 2)."""
    clients = f.repairable
    if f.site is None:
        return Evaluation(True, (), (_SITE_UNREAD,))
    if not clients:
        return Evaluation(False, ("no installed client is refused for its accounts",))
    reasons = [f"{len(clients)} client(s) to repair: {_names(c.name for c in clients)}", *_ORPHAN]
    stuck = [c.name for c in clients if c.stuck]
    if stuck:
        reasons.append(f"writing the value anew also cures the stuck {_names(stuck)} (Q265358)")
    blockers = [*_reinstall_blockers(f), *_client_blockers(f, clients, local=False)]
    return Evaluation(
        True, tuple(reasons), tuple(blockers), tuple(_left_alone(f)), _touching(f, clients)
    )


# -- method 3 -------------------------------------------------------------------------------


def _held(f: Findings, failing: Iterable[ClientFinding]) -> list[AccountFinding]:
    names: dict[str, str] = {}
    for client in failing:
        for name, _state in client.accounts:
            names.setdefault(name.casefold(), name)
    return [a for name in names.values() if (a := f.account(name)) is not None]


def _deletable(f: Findings, held: list[AccountFinding]) -> list[str]:
    """Blockers: accounts the failing clients hold that cannot (or need not all) be deleted."""
    checked_in = {c.name for c in f.clients if c.cause is ClientCause.CHECKED_IN}
    blockers = []
    for account in held:
        users = sorted(set(account.known_by) & checked_in)
        if account.protected:
            blockers.append(f"{account.name} is an operator's or built-in account: never deleted")
        elif account.state is AccountState.UNKNOWN:
            blockers.append(f"{account.name}: the directory could not be read")
        elif account.valid and users:
            cut = "deleting it would cut them off"
            blockers.append(f"{account.name} is valid for checked-in {_names(users)}: {cut}")
    existing = [a.name for a in held if a.facts is not None and a.facts.exists]
    if len(existing) > 1:
        held_text = f"{len(existing)} existing accounts ({_names(existing)})"
        blockers.append(f"the failing clients hold {held_text}; {_DELETES_ONE}")
    return blockers


def _guest_blockers(f: Findings, clients: tuple[ClientFinding, ...]) -> list[str]:
    blockers = [] if f.caps else ["no CAP server in the inventory (or --limit)"]
    for cap in f.caps:
        if cap.can_work is False:
            blockers.append(f"Guest cannot work on {cap.host}: {cap.reason}")
        elif cap.can_work is None:
            blockers.append(f"cannot confirm that Guest works on {cap.host}: {cap.reason}")
        elif cap.on_dc and cap.limit_blank_password_use:
            blockers.append(
                f"{cap.host}: LimitBlankPasswordUse={cap.limit_blank_password_use},"
                f" {_PLAYBOOK_CHECKS}"
            )
    hosts = {h.host.casefold(): h for h in f.client_hosts}
    for client in clients:
        host = hosts.get(client.name.casefold())
        unsure = f"cannot confirm that {client.name} accepts Guest"
        if host is None:
            blockers.append(f"{unsure}: not in the inventory (or --limit)")
        elif host.accepts_guest is False:
            blockers.append(f"{client.name} refuses Guest: {host.guest_reason}")
        elif host.accepts_guest is None:
            blockers.append(f"{unsure}: {host.guest_reason}")
    return blockers


def method_3(f: Findings) -> Evaluation:
    """A new account, the old one deleted, Guest open on the CAPs for a while (method 3)."""
    clients = f.repairable
    if f.site is None:
        return Evaluation(True, (), (_SITE_UNREAD,))
    if not clients:
        return Evaluation(False, ("no installed client is refused for its accounts",))
    held = _held(f, clients)
    reasons = (
        f"{len(clients)} client(s) to repair: {_names(c.name for c in clients)}",
        f"they hold only {_names(a.name for a in held)}: {_GUEST_FALLBACK}",
    )
    blockers = [
        *_directory(f),
        *_deletable(f, held),
        *_guest_blockers(f, clients),
        *_new_account(f),
    ]
    caveats = [*_GUEST_CAVEATS, *_left_alone(f)]
    hosts = tuple(dict.fromkeys((*_first_hosts(f), *f.facts.scope.caps)))
    return Evaluation(
        True, reasons, tuple(blockers), tuple(caveats), hosts, _old_account_var(f, held)
    )


def _old_account_var(f: Findings, held: list[AccountFinding]) -> tuple[str, ...]:
    existing = [a for a in held if a.facts is not None and a.facts.exists]
    default = f"SMSClient_{f.facts.site_code}"
    if len(existing) == 1 and not same(existing[0].sam, default):
        return (f"old_account={existing[0].sam}",)
    return ()


def _new_account(f: Findings) -> list[str]:
    """The playbooks' next account (SMSClient2_<site>) must not exist yet."""
    name = f"SMSClient2_{f.facts.site_code}"
    found = f.facts.directory.account(name) if f.facts.directory else None
    if found is None or not found.exists:
        return []
    return [f"{name}, the playbook's new account, exists already: -e new_account=<a new name>"]


# -- rotation -------------------------------------------------------------------------------


def rotation(f: Findings) -> Evaluation:
    """Two connection accounts, rotated (Q237759)."""
    site = f.site
    if site is None:
        return Evaluation(True, (), (_SITE_UNREAD,))
    if not site.too_few_accounts:
        return Evaluation(False, (f"the site has {len(site.accounts)} connection accounts",))
    reasons = (f"the site has {len(site.accounts)} connection account(s): {_ONE_ACCOUNT}",)
    caveats = (_AFTER_RECOVERY,) if f.repairable else ()
    return Evaluation(True, reasons, tuple(_directory(f)), caveats, _first_hosts(f))


# -- the table --------------------------------------------------------------------------------

NOTHING = Method("nothing", "Nothing to do", "", None, recovery=False)
METHOD_1 = Method(
    "method-1", "Reinstall with Smsman", "Q236052 method 1", "playbooks/smsman-reinstall.yml", True
)
METHOD_2 = Method(
    "method-2",
    "Orphan and reinstall",
    "Q236052 method 2",
    "playbooks/orphan-and-reinstall.yml",
    recovery=True,
)
METHOD_3 = Method(
    "method-3", "Guest window", "Q236052 method 3", "playbooks/guest-window.yml", recovery=True
)
ROTATION = Method(
    "rotation",
    "Two-account rotation",
    "Q237759",
    "playbooks/rotate-connection-account.yml",
    recovery=False,
)
RULES: tuple[tuple[Method, Rule], ...] = (
    (NOTHING, nothing),
    (METHOD_1, method_1),
    (METHOD_2, method_2),
    (METHOD_3, method_3),
    (ROTATION, rotation),
)


def assess(f: Findings, rules: tuple[tuple[Method, Rule], ...] = RULES) -> tuple[Assessment, ...]:
    """Each method's verdict, in the table's order."""
    assessments = []
    recommended = False
    for method, rule in rules:
        evaluation = rule(f)
        verdict = _verdict(evaluation, method, recommended)
        recommended |= method.recovery and verdict is Verdict.RECOMMENDED
        assessments.append(Assessment(method, verdict, evaluation))
    return tuple(assessments)


def _verdict(evaluation: Evaluation, method: Method, recommended: bool) -> Verdict:
    if not evaluation.applies:
        return Verdict.NOT_NEEDED
    if evaluation.blockers:
        return Verdict.BLOCKED
    if method.recovery and recommended:
        return Verdict.ALTERNATIVE
    return Verdict.RECOMMENDED
