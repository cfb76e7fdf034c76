"""A canonical, read-only digest of the whole domain: any change to the model changes it.

Used to prove that a plan (read-only commands) changed nothing. Passwords enter only as
salted hashes; the clock and the event heap are left out (they move on their own).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.accounts import AccountStore, Group, UserAccount
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.sms import SmsClient, SmsSite
from orchestrator.lab.domain.state import LabState


def _secret(value: SecureString | None) -> str | None:
    if value is None:
        return None
    return hashlib.sha256(b"lab-digest:" + value.reveal().encode()).hexdigest()[:16]


def _user(user: UserAccount) -> list[Any]:
    return [
        user.name,
        user.sid,
        user.enabled,
        _secret(user.password),
        [_secret(p) for p in user.history],
        user.password_not_required,
        user.password_never_expires,
        user.user_may_change_password,
        user.description,
        user.full_name,
        user.bad_pwd_count,
        user.bad_password_time,
        user.lockout_time,
        user.primary_group_rid,
        user.password_last_set,
        user.cn,
        user.container,
        user.upn,
    ]


def _group(group: Group) -> list[Any]:
    members = sorted((m.sid, m.expires_at) for m in group.members.values())
    return [group.name, group.sid, group.description, members]


def _store(store: AccountStore) -> list[Any]:
    return [
        store.authority,
        store.sid,
        [_user(u) for u in store.users()],
        [_group(g) for g in store.groups()],
    ]


def _host(host: Host) -> list[Any]:
    registry = [
        [k.path, sorted((n, v.kind.name, repr(v.data)) for n, v in k.values.values())]
        for k in host.registry.all_keys()
    ]
    services = sorted((s.name, s.status.name, s.start_type.name) for s in host.services.values())
    tasks = sorted(
        [
            key,
            hashlib.sha256(t.definition.xml.encode()).hexdigest(),
            t.state.name,
            t.last_run_time,
            t.last_result,
            t.missed_runs,
            t.fired,
            t.queued_for,
        ]
        for key, t in host.tasks.items()
    )
    return [
        host.name,
        sorted(r.value for r in host.roles),
        host.up,
        host.skew,
        _store(host.sam) if host.sam else None,
        registry,
        services,
        tasks,
        sorted(host.files),
        sorted((s.name, s.path, sorted(s.readers)) for s in host.shares.values()),
        sorted((p.pid, p.path, p.exit_code) for p in host.processes.values()),
        sorted(host.deny_network_logon),
    ]


def _site(site: SmsSite | None) -> list[Any] | None:
    if site is None:
        return None
    return [
        site.site_code,
        [(a.name, _secret(a.password)) for a in site.accounts],
        site.cap_hosts,
        site.logon_points,
        site.logon_discovery,
        site.logon_installation,
    ]


def _client(client: SmsClient) -> list[Any]:
    log = hashlib.sha256("\n".join(client.log).encode()).hexdigest()
    return [
        client.host,
        client.installed,
        [(k.name, _secret(k.password)) for k in client.known_accounts],
        client.last_success,
        client.last_attempt,
        client.last_error,
        client.timestamp_unreadable,
        log,
    ]


def digest(state: LabState) -> str:
    """SHA-256 over a canonical rendering of the domain."""
    body = [
        _store(state.ad.store),
        state.ad.pam_enabled,
        sorted(state.ad.containers),
        [_host(h) for h in state.hosts.values()],
        _site(state.site),
        [_client(c) for c in state.clients.values()],
    ]
    text = json.dumps(body, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
