"""A simulated Windows computer: roles, local SAM, registry, services, tasks, files, shares."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import AccountStore, Group, UserAccount
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.domain.registry import Registry
from orchestrator.lab.domain.services import Service
from orchestrator.lab.domain.tasks import ScheduledTask


class Role(enum.Enum):
    """What a host does in the SMS 2.0 hierarchy."""

    DOMAIN_CONTROLLER = "domain_controller"
    CAP_SERVER = "cap_server"
    SITE_SERVER = "site_server"
    LOGON_POINT = "logon_point"
    CLIENT = "client"


class Module(enum.Enum):
    """PowerShell modules a host has, which decide which cmdlets exist there."""

    CORE = "core"  # Microsoft.PowerShell.Management/Utility, LocalAccounts, ScheduledTasks
    ACTIVE_DIRECTORY = "ActiveDirectory"  # on DCs (RSAT elsewhere)
    CONFIG_MANAGER = "ConfigurationManager"  # the site server's console module


@dataclass(frozen=True)
class Share:
    """An SMB share and the SIDs allowed to read it (share + NTFS collapsed)."""

    name: str
    path: str
    readers: frozenset[str]


@dataclass(eq=False, slots=True)
class Process:
    """A started process (System.Diagnostics.Process as Start-Process -PassThru returns it)."""

    pid: int
    path: str
    arguments: tuple[str, ...]
    start_time: datetime  # on the host's clock
    ends_at: datetime  # virtual (lab) time at which it exits
    exit_time: datetime | None = None
    exit_code: int | None = None

    @property
    def has_exited(self) -> bool:
        """True once the process has finished."""
        return self.exit_code is not None


@dataclass(eq=False, slots=True)
class Host:
    """One computer. On a DC `sam` is None: its local accounts are the domain's (as reported
    in powershellpr0mpt/PSP-Inventory#26)."""

    name: str
    roles: frozenset[Role]
    sam: AccountStore | None
    windir: str = "C:\\WINNT"
    up: bool = True
    skew: timedelta = timedelta(0)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    registry: Registry = field(default_factory=Registry)
    services: dict[str, Service] = field(default_factory=dict)
    tasks: dict[str, ScheduledTask] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # lower path -> path
    shares: dict[str, Share] = field(default_factory=dict)
    modules: frozenset[Module] = frozenset({Module.CORE})
    # "Deny access to this computer from the network" (SeDenyNetworkLogonRight, Microsoft
    # Learn): modern Windows puts Guest there. The era's other Guest barriers are registry
    # values (guest_policy.py).
    deny_network_logon: set[str] = field(default_factory=set)  # modern: the Guest SID
    processes: dict[int, Process] = field(default_factory=dict)
    next_pid: int = 4000

    @property
    def is_dc(self) -> bool:
        """True for a domain controller."""
        return Role.DOMAIN_CONTROLLER in self.roles

    def has_role(self, role: Role) -> bool:
        """True when the host has the role."""
        return role in self.roles

    def service(self, name: str) -> Service | None:
        """A service by its short name (case-insensitive)."""
        return self.services.get(name.lower())

    def add_service(self, service: Service) -> None:
        """Install a service."""
        self.services[service.name.lower()] = service

    def has_file(self, path: str) -> bool:
        """True when the file exists (case-insensitive path)."""
        return normalize_path(path).lower() in self.files

    def add_file(self, path: str) -> None:
        """Create a file."""
        self.files[normalize_path(path).lower()] = normalize_path(path)

    def remove_file(self, path: str) -> None:
        """Delete a file if present."""
        self.files.pop(normalize_path(path).lower(), None)

    def has_directory(self, path: str) -> bool:
        """True when some file lives under the path."""
        prefix = normalize_path(path).lower().rstrip("\\") + "\\"
        return any(f.startswith(prefix) for f in self.files)


def normalize_path(path: str) -> str:
    """Backslashes, no trailing separator."""
    text = path.strip().replace("/", "\\")
    return text if len(text) <= 3 else text.rstrip("\\")


def new_member_sam(host_name: str, admin_password: SecureString | None) -> AccountStore:
    """A member server's or workstation's SAM: Administrator (-500), a disabled Guest (-501)
    with a blank password, and the builtin Users / Guests / Administrators aliases."""
    machine_sid = sids.make_authority_sid("machine:" + host_name.lower())
    sam = AccountStore(host_name.upper(), machine_sid, sids.FIRST_LOCAL_RID)
    admin = UserAccount("Administrator", f"{machine_sid}-{sids.RID_ADMINISTRATOR}")
    admin.password = admin_password
    admin.primary_group_rid = sids.RID_NONE
    sam.add_user(admin)
    guest = UserAccount(
        "Guest",
        f"{machine_sid}-{sids.RID_GUEST}",
        enabled=False,
        password_not_required=True,
        primary_group_rid=sids.RID_NONE,
    )
    sam.add_user(guest)
    sam.add_group(Group("Administrators", sids.BUILTIN_ADMINISTRATORS, builtin=True)).add(admin.sid)
    sam.add_group(Group("Users", sids.BUILTIN_USERS, builtin=True))
    sam.add_group(Group("Guests", sids.BUILTIN_GUESTS, builtin=True)).add(guest.sid)
    return sam
