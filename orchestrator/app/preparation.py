"""Everything a run (or a plan) needs before it contacts a host, checked and resolved.

Order matters: load and validate everything, bind every step to its hosts with placeholder
secrets (so bad input is reported without asking for passwords), then fetch every secret at
once (in a non-interactive run a missing one is an error here, before any host is
contacted), then bind again with the real secrets.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import structlog

from orchestrator.errors import InputError, Location, Problem
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Auth, Host, Inventory, security_notices
from orchestrator.inventory.patterns import apply_limit
from orchestrator.logging import Redactor
from orchestrator.modules import MODULES
from orchestrator.playbook.binding import Binder, Binding, placeholder_secrets, secret_requests
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.model import Playbook
from orchestrator.playbook.variables import Var, parse_extra_vars
from orchestrator.secrets import Secret, SecretResolver

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """What the operator asked for on the command line."""

    playbook: Path
    inventory: Path
    extra_vars: tuple[str, ...] = ()
    limit: str | None = None


@dataclass
class Prepared:
    """A playbook bound to its hosts with real secrets, and the credentials to reach them."""

    playbook: Playbook
    inventory: Inventory
    binding: Binding
    credentials: dict[str, tuple[str, Secret]]
    redactor: Redactor
    playbook_path: Path
    extra_vars: Mapping[str, Var]
    secrets: Mapping[str, Secret] = field(default_factory=dict)  # the playbook's, by name
    notices: tuple[str, ...] = ()  # security notices on the hosts reached (see announce)

    def without(self, excluded: Collection[str]) -> Prepared:
        """The same preparation with these hosts left out of every step (same secrets: no
        second prompt, the same generated passwords); InputError if no host is left."""
        inventory = self.inventory.restricted_to(
            h.name for h in self.inventory.hosts if h.name not in excluded
        )
        binding = Binder(inventory, self.extra_vars, MODULES).bind(self.playbook, self.secrets)
        if binding.problems:
            raise InputError(binding.problems)
        return replace(self, inventory=inventory, binding=binding)

    def step_targets(self) -> list[tuple[str, ...]]:
        """Per step, in order: the names of the hosts it selects."""
        return [tuple(h.name for h in targets) for _, targets in self.binding.steps]

    def hosts(self) -> list[Host]:
        """Every host some step targets, once."""
        return self.binding.hosts()

    def usernames(self) -> dict[str, str]:
        """Credential name -> user name (for messages; never the password)."""
        return {name: user for name, (user, _) in self.credentials.items()}


@dataclass(frozen=True)
class Inputs:
    """The inventory (after --limit) and the -e values, loaded and checked."""

    inventory: Inventory
    extra_vars: Mapping[str, Var]

    def binder(self) -> Binder:
        """A binder of playbooks to these inputs, with the shipped modules."""
        return Binder(self.inventory, self.extra_vars, MODULES)


def load_inputs(
    inventory: Path, extra_vars: Sequence[str], limit: str | None, problems: list[Problem]
) -> Inputs | None:
    """Load the inventory, apply --limit, parse -e; add every problem found to `problems`."""
    loaded = _collect(problems, lambda: load_inventory(inventory))
    if loaded is not None and limit is not None:
        whole = loaded
        loaded = _collect(problems, lambda: apply_limit(whole, limit, Path.cwd()))
    extra = _collect(problems, lambda: parse_extra_vars(list(extra_vars), Path.cwd()))
    if loaded is None or extra is None:
        return None
    return Inputs(loaded, extra)


def read_playbook(path: Path, problems: list[Problem]) -> Playbook | None:
    """Load one playbook against the shipped modules; its problems go to `problems`."""
    return _collect(problems, lambda: load_playbook(path, MODULES))


def load(request: Request) -> tuple[Playbook, Inventory, Binder, Binding]:
    """Load and bind with placeholder secrets; InputError with every problem found."""
    problems: list[Problem] = []
    playbook = read_playbook(request.playbook, problems)
    inputs = load_inputs(request.inventory, request.extra_vars, request.limit, problems)
    if problems or playbook is None or inputs is None:
        raise InputError(problems)
    binder = inputs.binder()
    binding = binder.bind(playbook, placeholder_secrets(playbook))
    if binding.problems:
        raise InputError(binding.problems)
    return playbook, inputs.inventory, binder, binding


def prepare(request: Request, *, interactive: bool) -> Prepared:
    """Load, validate, fetch every secret at once, and bind with them."""
    playbook, inventory, binder, binding = load(request)
    hosts = binding.hosts()
    _require_credentials(hosts, inventory)
    resolver = SecretResolver(interactive=interactive, prompter=getpass.getpass)
    secrets = resolver.resolve([*secret_requests(playbook), *inventory.secret_requests(hosts)])
    redactor = Redactor()
    redactor.add(*secrets.values())
    playbook_secrets = {name: secrets[name] for name in playbook.secrets}
    binding = binder.bind(playbook, playbook_secrets)
    if binding.problems:
        raise InputError(binding.problems)
    return Prepared(
        playbook,
        inventory,
        binding,
        _credentials(inventory, hosts, secrets),
        redactor,
        request.playbook,
        binder.extra_vars,
        playbook_secrets,
        announce(hosts),
    )


def resolve_credentials(
    inventory: Inventory, hosts: list[Host], *, interactive: bool
) -> tuple[dict[str, tuple[str, Secret]], Redactor]:
    """For a command without a playbook (diagnose): the credentials these hosts use, every
    password fetched at once before any host is contacted, and a redactor holding them."""
    _require_credentials(hosts, inventory)
    resolver = SecretResolver(interactive=interactive, prompter=getpass.getpass)
    secrets = resolver.resolve(list(inventory.secret_requests(hosts)))
    redactor = Redactor()
    redactor.add(*secrets.values())
    announce(hosts)
    return _credentials(inventory, hosts, secrets), redactor


def announce(hosts: Iterable[Host]) -> tuple[str, ...]:
    """The security notices on the hosts a command will reach, each printed on stderr now,
    before any of them is contacted (every command that reaches hosts calls this once)."""
    notices = tuple(security_notices(hosts))
    for notice in notices:
        sys.stderr.write(f"warning: {notice}\n")
    sys.stderr.flush()
    return notices


def log_notices(notices: Iterable[str]) -> None:
    """Each notice as a `warning` event in the logs, for CI reading JSON lines."""
    log = structlog.get_logger()
    for notice in notices:
        log.warning("security.notice", notice=notice)


def _credentials(
    inventory: Inventory, hosts: list[Host], secrets: Mapping[str, Secret]
) -> dict[str, tuple[str, Secret]]:
    """Credential name -> (user name, password), for the credentials these hosts use."""
    used = {h.connection.credential for h in hosts}
    return {
        name: (cred.username, secrets[cred.secret_name])
        for name, cred in inventory.credentials.items()
        if name in used
    }


_TICKET_AUTH = frozenset({Auth.KERBEROS, Auth.NEGOTIATE})


def _require_credentials(hosts: list[Host], inventory: Inventory) -> None:
    """Every host has a credential, but a Kerberos one, which may use the operator's own
    ticket (the one kinit or a Windows logon left in the ticket cache): no password at all."""
    missing = [
        h.name
        for h in hosts
        if inventory.credential_for(h) is None and h.connection.auth not in _TICKET_AUTH
    ]
    if missing:
        raise InputError.single(
            f"no credential for {', '.join(missing)}",
            location=Location(str(inventory.path)),
            hint="set 'credential:' on these hosts, their groups or 'all'; or, to log on with"
            " your own Kerberos ticket (kinit), use auth: kerberos",
        )


def _collect(problems: list[Problem], load_one: Callable[[], T]) -> T | None:
    try:
        return load_one()
    except InputError as exc:
        problems.extend(exc.problems)
        return None
