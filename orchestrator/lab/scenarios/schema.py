"""The scenario file format (YAML, loaded with yaml.safe_load, validated here).

```yaml
name: tb1-lockout
description: ...
era: nt4_sms2                     # or modern (presets: lab/domain/fidelity.py; the Guest
                                  # barriers' registry values: lab/domain/guest_policy.py)
start: 2000-01-04T15:00:00Z       # the lab clock's start (UTC)
seed: 236052                      # spreads the clients' first check-ins, deterministically
fidelity: {double_hop_enforced: true}        # optional switch overrides, e.g.
                                  # uninstall_keeps_local_smsman: false (Smsman /u removes the
                                  # client's local copy too)
local_admin_password: "..."       # every member server and workstation
domain:
  netbios: CONTOSO
  dns: contoso.com
  admin_password: "..."           # CONTOSO\\Administrator
  operator: labadmin              # the account lab inventories log on with (not RID 500)
  lockout: {threshold: 5, observation_window: 30m, duration: 30m}   # optional, era preset
  password_policy: {min_length: 7, complexity: true, history: 24}
  pam: false
  users:
    - {name: SMSClient_TB1, password: "...", previous_passwords: ["..."],
       password_never_expires: true, member_of: [Domain Admins]}
hosts:
  - {name: DC1, roles: [domain_controller, cap_server]}
  - {name: CAP1, roles: [cap_server], skew: 0s}
  - {name: SITE1, roles: [site_server, logon_point]}
site:
  code: TB1
  connection_accounts: [{name: 'CONTOSO\\SMSClient_TB1'}]   # password: omitted = AD's current
  logon_discovery: true           # Windows NT Logon Discovery (Smsman needs one of the two)
  logon_installation: true        # Windows NT Logon Client Installation
  ccim: {success_interval: 23h, retry_interval: 60m, orphan_after: 60d}
  smsman_duration: 30s
clients:
  count: 5                        # 5 .. 10000, overridable at load time
  name: "WKS{n:04d}"
  known_accounts: [{name: 'CONTOSO\\SMSClient_TB1', password: "..."}]
  last_config_check_age: 2d       # "Site Config Last Checked" = start - age (client clock)
  status: failing                 # checked_in | failing | pending (the last CCIM result)
  broken_clients: 2               # optional: only the first 2 are as `status` and
                                  # `known_accounts` say; the rest are healthy (checked in,
                                  # holding the site's current accounts); 0 <= it <= count
  first_check_within: 60m         # first CCIM spread over this window
```
Passwords in scenarios are lab fixtures; they are kept as SecureString once loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.durations import Duration

MAX_CLIENTS = 10_000


class Strict(BaseModel):
    """Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LockoutSpec(Strict):
    """Account lockout policy overrides."""

    threshold: int = Field(ge=0, le=999)
    observation_window: Duration = timedelta(minutes=30)
    duration: Duration = timedelta(minutes=30)
    n2_exemption: bool | None = None
    n2_depth: int = Field(2, ge=0, le=24)


class PasswordPolicySpec(Strict):
    """Password policy."""

    min_length: int = Field(7, ge=0, le=128)
    complexity: bool = True
    history: int = Field(24, ge=0, le=24)


class UserSpec(Strict):
    """An AD user the scenario creates."""

    name: str = Field(min_length=1, max_length=20)
    password: str | None = None
    previous_passwords: list[str] = Field(default_factory=list)
    enabled: bool = True
    password_never_expires: bool = False
    member_of: list[str] = Field(default_factory=list)
    description: str = ""


class DomainSpec(Strict):
    """The AD domain."""

    netbios: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,14}$")
    dns: str = Field(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
    admin_password: str = Field(min_length=1)
    lockout: LockoutSpec | None = None
    password_policy: PasswordPolicySpec = PasswordPolicySpec()
    pam: bool = False
    users: list[UserSpec] = Field(default_factory=list)
    organizational_units: list[str] = Field(default_factory=list)
    operator: str | None = Field(
        None,
        description="the account a lab inventory logs on with (a Domain Admin that is not RID"
        " 500, which is exempt from lockout); default: Administrator",
    )

    @model_validator(mode="after")
    def _operator_exists(self) -> Self:
        if self.operator is not None and self.operator not in {u.name for u in self.users}:
            raise ValueError(f"operator {self.operator!r} is not one of the domain's users")
        return self

    def operator_account(self) -> tuple[str, str]:
        """(user name, password) of the account a lab inventory logs on with."""
        if self.operator is None:
            return "Administrator", self.admin_password
        user = next(u for u in self.users if u.name == self.operator)
        return user.name, user.password or ""


Role = Literal["domain_controller", "cap_server", "site_server", "logon_point", "client"]


class HostSpec(Strict):
    """A server."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,14}$")
    roles: list[Role] = Field(min_length=1)
    skew: Duration = timedelta(0)
    modules: list[Literal["ActiveDirectory", "ConfigurationManager"]] = Field(default_factory=list)


class AccountSpec(Strict):
    """A connection account (name DOMAIN\\user, optional password)."""

    name: str = Field(pattern=r"^[^\\]+\\[^\\]+$")
    password: str | None = None


class CcimSpec(Strict):
    """CCIM timing (shortened for demos)."""

    success_interval: Duration = timedelta(hours=23)
    retry_interval: Duration = timedelta(minutes=60)
    orphan_after: Duration = timedelta(days=60)


class SiteSpec(Strict):
    """The SMS site."""

    code: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    connection_accounts: list[AccountSpec] = Field(default_factory=list)
    logon_discovery: bool = True
    logon_installation: bool = True
    ccim: CcimSpec = CcimSpec()
    smsman_duration: Duration = timedelta(seconds=30)


class ClientsSpec(Strict):
    """The SMS clients, generated."""

    count: int = Field(5, ge=0, le=MAX_CLIENTS)
    name: str = "WKS{n:04d}"
    known_accounts: list[AccountSpec] = Field(default_factory=list)
    last_config_check_age: Duration = timedelta(days=1)
    status: Literal["checked_in", "failing", "pending"] = "checked_in"
    first_check_within: Duration = timedelta(minutes=60)
    broken_clients: int | None = Field(
        None,
        ge=0,
        le=MAX_CLIENTS,
        description="how many clients (the first ones) are as the scenario says; the others"
        " are healthy; default: all of them",
    )

    @model_validator(mode="after")
    def _broken_within_count(self) -> Self:
        if self.broken_clients is not None and self.broken_clients > self.count:
            raise ValueError(
                f"broken_clients ({self.broken_clients}) cannot exceed the number of clients"
                f" ({self.count})"
            )
        return self

    @field_validator("name")
    @classmethod
    def _formats(cls, value: str) -> str:
        if value.format(n=1) == value.format(n=2):
            raise ValueError("the client name pattern must contain {n}")
        return value

    @field_validator("known_accounts")
    @classmethod
    def _passwords(cls, value: list[AccountSpec]) -> list[AccountSpec]:
        if any(a.password is None for a in value):
            raise ValueError("a client's known account needs the password the client stored")
        return value


class Scenario(Strict):
    """A whole lab."""

    name: str = Field(min_length=1)
    description: str = ""
    era: Literal["nt4_sms2", "modern"] = "nt4_sms2"
    start: datetime = datetime(2000, 1, 4, 15, 0, tzinfo=UTC)
    seed: int = 0
    fidelity: dict[str, bool] = Field(default_factory=dict)
    local_admin_password: str = Field(min_length=1)
    domain: DomainSpec
    hosts: list[HostSpec] = Field(min_length=1)
    site: SiteSpec | None = None
    clients: ClientsSpec = ClientsSpec(count=0)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)
