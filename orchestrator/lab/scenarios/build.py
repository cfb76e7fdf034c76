"""Builds the domain model from a validated Scenario."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import timedelta

from orchestrator.lab.clock import Clock
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import ccim, guest_policy
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.directory import ActiveDirectory, new_domain
from orchestrator.lab.domain.fidelity import Era, Fidelity, lockout_preset
from orchestrator.lab.domain.host import Host, Module, Role, Share, new_member_sam
from orchestrator.lab.domain.lockout import LockoutPolicy, PasswordPolicy
from orchestrator.lab.domain.network import server_guest
from orchestrator.lab.domain.registry import RegistryValueKind, RegValue
from orchestrator.lab.domain.services import SMS_CLIENT_SERVICE, Service
from orchestrator.lab.domain.sms import (
    E_ACCESSDENIED,
    LAST_CHECKED,
    LOGON_SHARE,
    LOGON_SHARE_PATH,
    LOGON_SMSMAN_RELATIVE,
    ConnectionAccount,
    KnownAccount,
    SmsClient,
    SmsSite,
    format_last_checked,
    site_key,
)
from orchestrator.lab.domain.state import LabState
from orchestrator.lab.scenarios.schema import ClientsSpec, DomainSpec, HostSpec, Scenario, SiteSpec

LOGON_SMSMAN = f"{LOGON_SHARE_PATH}\\{LOGON_SMSMAN_RELATIVE}"  # \\<LP>\smslogon\... (Q236052)
_MODULES = {
    "ActiveDirectory": Module.ACTIVE_DIRECTORY,
    "ConfigurationManager": Module.CONFIG_MANAGER,
}


def _fidelity(scenario: Scenario) -> Fidelity:
    known = {f.name for f in dataclasses.fields(Fidelity)} - {"era"}
    unknown = set(scenario.fidelity) - known
    if unknown:
        raise ValueError(f"unknown fidelity switch(es): {', '.join(sorted(unknown))}")
    return Fidelity.for_era(Era(scenario.era)).with_overrides(**scenario.fidelity)


def _lockout(spec: DomainSpec, era: Era) -> LockoutPolicy:
    preset = lockout_preset(era)
    if spec.lockout is None:
        return preset
    given = spec.lockout
    exempt = preset.n2_exemption if given.n2_exemption is None else given.n2_exemption
    return LockoutPolicy(
        given.threshold, given.observation_window, given.duration, exempt, given.n2_depth
    )


def _domain(scenario: Scenario, era: Era) -> ActiveDirectory:
    spec = scenario.domain
    policy = spec.password_policy
    passwords = PasswordPolicy(policy.min_length, policy.complexity, policy.history)
    ad = new_domain(
        spec.netbios, spec.dns, SecureString(spec.admin_password), _lockout(spec, era), passwords
    )
    ad.pam_enabled = spec.pam
    ad.containers.update(ou.lower() for ou in spec.organizational_units)
    for user_spec in spec.users:
        user = UserAccount(user_spec.name, ad.store.new_sid(), enabled=user_spec.enabled)
        user.history = [SecureString(p) for p in user_spec.previous_passwords]
        user.password = SecureString(user_spec.password) if user_spec.password is not None else None
        user.password_last_set = scenario.start if user.password else None
        user.password_never_expires = user_spec.password_never_expires
        user.description = user_spec.description
        ad.store.add_user(user)
        for group_name in user_spec.member_of:
            group = ad.store.group(group_name)
            if group is None:
                raise ValueError(f"user {user.name}: unknown group {group_name}")
            group.add(user.sid)
    return ad


def _apply_era(state: LabState, host: Host) -> None:
    """The era's Guest barriers: the registry values (LimitBlankPasswordUse everywhere,
    AllowInsecureGuestAuth on clients) and, by its fidelity switch, Guest denied network
    logon."""
    guest_policy.seed(host, state.fidelity.era, smb_client=host.has_role(Role.CLIENT))
    if state.fidelity.guest_denied_network_logon:
        guest, _store = server_guest(state, host)
        host.deny_network_logon.add(sids.canonical(guest.sid))


def _member(state: LabState, name: str, roles: frozenset[Role], admin: SecureString) -> Host:
    ad = state.ad
    host = Host(name, roles, new_member_sam(name, admin))
    host.lockout = ad.lockout
    assert host.sam is not None
    admins, users = (
        host.sam.group_by_sid(sids.BUILTIN_ADMINISTRATORS),
        host.sam.group_by_sid(sids.BUILTIN_USERS),
    )
    assert admins is not None
    assert users is not None
    admins.add(f"{ad.sid}-{sids.RID_DOMAIN_ADMINS}")  # domain join
    users.add(f"{ad.sid}-{sids.RID_DOMAIN_USERS}")
    return host


def _server(state: LabState, spec: HostSpec, scenario: Scenario, site: SiteSpec | None) -> Host:
    roles = frozenset(Role(r) for r in spec.roles)
    if Role.DOMAIN_CONTROLLER in roles:
        host = Host(spec.name, roles, None, lockout=state.ad.lockout)
    else:
        host = _member(state, spec.name, roles, SecureString(scenario.local_admin_password))
    host.windir = "C:\\WINNT" if state.fidelity.era is Era.NT4_SMS2 else "C:\\Windows"
    host.skew = spec.skew
    modules = {Module.CORE, *(_MODULES[m] for m in spec.modules)}
    modules |= {Module.ACTIVE_DIRECTORY} if host.is_dc else set()
    modules |= {Module.CONFIG_MANAGER} if Role.SITE_SERVER in roles else set()
    host.modules = frozenset(modules)
    if site is not None and Role.CAP_SERVER in roles:
        readers = f"{state.ad.sid}-{sids.RID_DOMAIN_USERS}" if host.is_dc else sids.BUILTIN_USERS
        name = f"CAP_{site.code}"  # KB Q246331
        host.shares[name.lower()] = Share(name, f"C:\\{name}", frozenset({sids.canonical(readers)}))
    if Role.LOGON_POINT in roles:
        everyone = frozenset({sids.EVERYONE})
        host.shares[LOGON_SHARE.lower()] = Share(LOGON_SHARE, LOGON_SHARE_PATH, everyone)
        host.add_file(LOGON_SMSMAN)
    return host


def _site(spec: SiteSpec, hosts: list[Host]) -> SmsSite:
    return SmsSite(
        site_code=spec.code.upper(),
        accounts=[
            ConnectionAccount(a.name, SecureString(a.password) if a.password else None)
            for a in spec.connection_accounts
        ],
        cap_hosts=[h.name for h in hosts if h.has_role(Role.CAP_SERVER)],
        logon_points=[h.name for h in hosts if h.has_role(Role.LOGON_POINT)],
        logon_discovery=spec.logon_discovery,
        logon_installation=spec.logon_installation,
        success_interval=spec.ccim.success_interval,
        retry_interval=spec.ccim.retry_interval,
        orphan_after=spec.ccim.orphan_after,
        smsman_duration=spec.smsman_duration,
    )


@dataclass(frozen=True)
class _Standing:
    """What a client holds and how its last configuration check went."""

    known: tuple[KnownAccount, ...]
    age: timedelta  # since its last good configuration check
    status: str  # checked_in | failing | pending


def _standing(state: LabState, spec: ClientsSpec, site: SmsSite, n: int) -> _Standing:
    """As the scenario says for the first `broken_clients` clients (all by default); the
    others are healthy: checked in within their cycle, holding the site's current accounts."""
    if spec.broken_clients is None or n <= spec.broken_clients:
        known = tuple(
            KnownAccount(a.name, SecureString(a.password or "")) for a in spec.known_accounts
        )
        return _Standing(known, spec.last_config_check_age, spec.status)
    age = min(spec.last_config_check_age, site.success_interval)
    return _Standing(ccim.site_accounts(state, site), age, "checked_in")


def _client(state: LabState, scenario: Scenario, site: SmsSite, n: int, rng: random.Random) -> None:
    spec: ClientsSpec = scenario.clients
    host = _member(
        state,
        spec.name.format(n=n),
        frozenset({Role.CLIENT}),
        SecureString(scenario.local_admin_password),
    )
    host.windir = "C:\\WINNT" if state.fidelity.era is Era.NT4_SMS2 else "C:\\Windows"
    state.add_host(host)
    _apply_era(state, host)
    standing = _standing(state, spec, site, n)
    checked = format_last_checked(scenario.start + host.skew - standing.age)
    host.registry.set(
        site_key(site.site_code), LAST_CHECKED, RegValue(RegistryValueKind.String, checked)
    )
    host.add_service(Service(SMS_CLIENT_SERVICE, "SMS Client Service"))
    host.add_file(ccim.local_smsman(host))
    host.add_file(ccim.log_path(host))
    client = SmsClient(host.name, site.site_code, known_accounts=standing.known)
    if standing.status != "pending":
        client.last_success = scenario.start - standing.age
        client.last_attempt = scenario.start - min(standing.age, site.retry_interval)
    if standing.status == "failing":
        client.last_error = E_ACCESSDENIED
    state.clients[host.name.lower()] = client
    # Clients are spread over their first cycle; a shortened cycle (--success-interval) shortens
    # the spread with it, or a demo would wait out the scenario's longer one first.
    within = min(spec.first_check_within, max(site.success_interval, site.retry_interval))
    ccim.schedule(state, client, timedelta(seconds=rng.uniform(0, within.total_seconds())))


def build(scenario: Scenario, clock: Clock) -> LabState:
    """The LabState of a scenario, with its clients' first CCIM scheduled on `clock`."""
    fidelity = _fidelity(scenario)
    state = LabState(_domain(scenario, fidelity.era), clock, fidelity)
    servers = [_server(state, h, scenario, scenario.site) for h in scenario.hosts]
    for host in servers:
        state.add_host(host)
        _apply_era(state, host)
    if scenario.site is None:
        return state
    state.site = _site(scenario.site, servers)
    rng = random.Random(scenario.seed)  # noqa: S311 -- deterministic spreading, not security
    for n in range(1, scenario.clients.count + 1):
        _client(state, scenario, state.site, n, rng)
    return state
