"""The SMS client's CCIM cycle, orphan check, install and uninstall.

On each evaluation the client first checks "Site Config Last Checked" (REG_SZ, strict
`yyyy/MM/dd HH:mm.ss`): unreadable = stuck (KB Q265358's lines, no orphaning); older than 60
days = orphan, uninstall (KB Q236052, Q227033). Otherwise it tries its stored accounts against
the CAP shares; success refreshes its accounts from the site and schedules the 23-hour cycle,
failure writes the article's four Ccim32.log lines and retries after the retry interval
(KB Q236052).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestrator.lab.domain.host import Host, Role, Share
from orchestrator.lab.domain.network import share_access
from orchestrator.lab.domain.registry import RegistryValueKind, RegValue
from orchestrator.lab.domain.services import SMS_CLIENT_SERVICE, Service
from orchestrator.lab.domain.sms import (
    E_ACCESSDENIED,
    E_BAD_NETPATH,
    LAST_CHECKED,
    LOGON_SHARE,
    LOGON_SMSMAN_RELATIVE,
    SMS_CLIENT_KEY,
    SMSMAN_RELATIVE,
    KnownAccount,
    SmsClient,
    SmsSite,
    format_last_checked,
    parse_last_checked,
    site_key,
)
from orchestrator.lab.domain.state import LabState

_THREAD = "<thread=112 (0x70)>"  # the article's thread id; one CCIM thread per client


def log_suffix(when: datetime) -> str:
    """The part after a Ccim32.log line's text (KB Q236052): $$<CCIM32><time><thread>."""
    stamp = when.strftime("%a %b %d %H:%M:%S.") + f"{when.microsecond // 1000:03d} {when.year}"
    return f" $$<CCIM32><{stamp}>{_THREAD}"


def describe_interval(interval: timedelta) -> str:
    """'60 minutes' (whole minutes) or '5 seconds' for the scenario's shortened intervals."""
    seconds = int(interval.total_seconds())
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _site(state: LabState) -> SmsSite:
    assert state.site is not None
    return state.site


def _log(client: SmsClient, host_time: datetime, *lines: str) -> None:
    suffix = log_suffix(host_time)
    client.log.extend(text + suffix for text in lines)


def schedule(state: LabState, client: SmsClient, delay: timedelta) -> None:
    """(Re)arm the client's next CCIM evaluation."""
    state.clock.cancel(client.next_event)
    client.next_event = state.clock.schedule_in(
        delay, lambda: evaluate(state, client), f"ccim {client.host}"
    )


def evaluate(state: LabState, client: SmsClient) -> None:
    """One CCIM evaluation, as run on the client's interval or when Clisvcl starts."""
    client.next_event = None
    host = state.host(client.host)
    if host is None or not host.up or not client.installed:
        return
    service = host.service(SMS_CLIENT_SERVICE)
    if service is None or not service.running:
        return
    site = _site(state)
    local_now = state.host_now(host)
    raw = host.registry.get(site_key(site.site_code), LAST_CHECKED)
    last_checked = parse_last_checked(raw.data if raw else None)
    client.timestamp_unreadable = last_checked is None
    if last_checked is None:
        # KB Q265358: the client cannot evaluate its age, so it never orphans itself (stuck)
        _log(client, local_now, "Warning - couldn't read site config timestamp")
    elif local_now - last_checked > site.orphan_after:
        orphan(state, host, client, site)
        return
    _try_caps(state, host, client, site)


def _try_caps(state: LabState, host: Host, client: SmsClient, site: SmsSite) -> None:
    reached = False
    for cap_name in site.cap_hosts:
        cap = state.host(cap_name)
        share = cap.shares.get(f"cap_{site.site_code}".lower()) if cap else None
        if cap is None or share is None or not cap.up:
            continue
        reached = True
        for known in client.known_accounts:
            result = share_access(state, host, cap, share, account=known.name, pwd=known.password)
            if result.granted:
                _succeed(state, host, client, site, cap.name)
                return
    _fail(state, host, client, site, E_ACCESSDENIED if reached else E_BAD_NETPATH)


def _succeed(state: LabState, host: Host, client: SmsClient, site: SmsSite, cap: str) -> None:
    local_now = state.host_now(host)
    client.known_accounts = site_accounts(state, site)
    client.last_success = client.last_attempt = state.now()
    client.last_error = 0
    host.registry.set(
        site_key(site.site_code),
        LAST_CHECKED,
        RegValue(RegistryValueKind.String, format_last_checked(local_now)),
    )
    # lab wording: the article quotes only the failure block
    _log(
        client,
        local_now,
        f"CCIM32 - Read site {site.site_code} configuration from \\\\{cap}\\CAP_{site.site_code}",
        f"CCIM32 - Next configuration check in {describe_interval(site.success_interval)}",
    )
    schedule(state, client, site.success_interval)


def _fail(state: LabState, host: Host, client: SmsClient, site: SmsSite, error: int) -> None:
    code = site.site_code
    client.last_attempt = state.now()
    client.last_error = error
    _log(
        client,
        state.host_now(host),
        f"Warning - could not read files from site {code} (#{error})",
        f"Warning - CNALPathEx::GetAccessiblePath returned error {error}",
        f"CClientSiteCfgArray - Can't get accessible path for site {code} config info",
        f"CCIM32 - Retry in {describe_interval(site.retry_interval)}",
    )
    schedule(state, client, site.retry_interval)


def site_accounts(state: LabState, site: SmsSite) -> tuple[KnownAccount, ...]:
    """The site's connection accounts with the passwords the site hands out."""
    result = []
    for account in site.accounts:
        password = account.password
        if password is None:
            user = state.ad.store.user(account.name.rsplit("\\", 1)[-1])
            password = user.password if user is not None else None
        if password is not None:
            result.append(KnownAccount(account.name, password))
    return tuple(result)


def orphan(state: LabState, host: Host, client: SmsClient, site: SmsSite) -> None:
    """60 days without a config check: the client uninstalls its SMS components (KB Q236052,
    Q227033)."""
    _log(
        client,
        state.host_now(host),
        f"CCIM32 - Site {site.site_code} configuration not checked for "
        f"{site.orphan_after.days} days, client is orphaned",  # lab wording
        "CCIM32 - Uninstalling SMS client components",
    )
    uninstall(state, host, client)


def uninstall(state: LabState, host: Host, client: SmsClient) -> None:
    """Remove the client: service, registry keys, stored accounts (Smsman /u, or orphaning)."""
    state.clock.cancel(client.next_event)
    client.next_event = None
    client.installed = False
    client.known_accounts = ()
    host.services.pop(SMS_CLIENT_SERVICE.lower(), None)
    host.registry.delete_tree(SMS_CLIENT_KEY)
    if not state.fidelity.uninstall_keeps_local_smsman:
        host.remove_file(local_smsman(host))


def install(state: LabState, host: Host, site: SmsSite) -> SmsClient:
    """Install or repair from the logon point: fresh accounts, timestamp now, evaluate now."""
    client = state.client(host.name)
    if client is None:
        client = SmsClient(host.name, site.site_code)
        state.clients[host.name.lower()] = client
    client.installed = True
    client.known_accounts = site_accounts(state, site)
    host.add_service(Service(SMS_CLIENT_SERVICE, "SMS Client Service"))
    host.registry.set(
        site_key(site.site_code),
        LAST_CHECKED,
        RegValue(RegistryValueKind.String, format_last_checked(state.host_now(host))),
    )
    host.add_file(local_smsman(host))
    host.add_file(log_path(host))
    schedule(state, client, timedelta(0))
    return client


def log_path(host: Host) -> str:
    """%WinDir%\\MS\\SMS\\Logs\\Ccim32.log: where the client's CCIM log lives."""
    return f"{host.windir}\\MS\\SMS\\Logs\\Ccim32.log"


def local_smsman(host: Host) -> str:
    """%WinDir%\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe on this host (KB Q236052)."""
    return f"{host.windir}\\{SMSMAN_RELATIVE}"


def _logon_point_share(state: LabState, site: SmsSite) -> tuple[Host, Share] | None:
    host = state.host(site.logon_points[0]) if site.logon_points else None
    share = host.shares.get(LOGON_SHARE.lower()) if host is not None else None
    return (host, share) if host is not None and share is not None else None


def logon_share(state: LabState, site: SmsSite) -> str | None:
    """\\\\<first logon point>\\SMSLOGON, the client install share; None without one."""
    found = _logon_point_share(state, site)
    return f"\\\\{found[0].name}\\{found[1].name}" if found is not None else None


def logon_smsman(state: LabState, site: SmsSite) -> str | None:
    """The UNC path of Smsman.exe on that share (KB Q236052); None if the share lacks it."""
    found = _logon_point_share(state, site)
    if found is None:
        return None
    host, share = found
    if not host.has_file(f"{share.path}\\{LOGON_SMSMAN_RELATIVE}"):
        return None
    return f"\\\\{host.name}\\{share.name}\\{LOGON_SMSMAN_RELATIVE}"


def logon_point_up(state: LabState, site: SmsSite) -> bool:
    """True while some logon point of the site is reachable."""
    hosts = (state.host(name) for name in site.logon_points)
    return any(h is not None and h.up and h.has_role(Role.LOGON_POINT) for h in hosts)


def on_service_started(state: LabState, host: Host) -> None:
    """Clisvcl (re)started: CCIM evaluates immediately (Q236052 method 2, step 4)."""
    client = state.client(host.name)
    if client is not None and client.installed:
        schedule(state, client, timedelta(0))
