"""Values to and from the journal's text: times, JSON without secrets, undo commands.

Informational JSON (args, diffs, event detail) is redacted: a Secret becomes `********` and a
registered secret value inside any text is scrubbed. Undo commands are never redacted, since a
redacted undo would restore the wrong value: a Secret in one is refused instead.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.commands import SWITCH, Command
from orchestrator.journal.errors import JournalError, SecretInJournalError
from orchestrator.logging import Redactor
from orchestrator.secrets import REDACTED, Secret

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


def to_text(moment: datetime) -> str:
    """A timezone-aware datetime as fixed-width UTC text; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("the journal stores aware datetimes only (a naive one has no zone)")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def from_text(text: str) -> datetime:
    """The datetime `to_text` wrote."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def maybe_time(text: str | None) -> datetime | None:
    """`from_text`, passing None through."""
    return None if text is None else from_text(text)


# --- informational JSON ---------------------------------------------------------------------


def redacted(value: Any, redactor: Redactor) -> Any:
    """A JSON-able copy of value: Secrets and registered secret values become ********."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, str):
        return redactor.scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {redactor.scrub(str(k)): redacted(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [redacted(v, redactor) for v in items]
    return redacted(_plain(value), redactor)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)  # a str() of a Secret-holding object shows ******** (Secret.__str__)


def dump_json(value: Any, redactor: Redactor) -> str:
    """Redacted, key-sorted JSON text."""
    return json.dumps(redacted(value, redactor), sort_keys=True, ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) with Secrets redacted: what a vars digest hashes."""
    return json.dumps(redacted(value, Redactor()), sort_keys=True, separators=(",", ":"))


def exact_json(value: Any, redactor: Redactor, what: str) -> str:
    """JSON of plain data that must stay exact (a failsafe's commands): a Secret, or a
    registered secret value in any text, is refused rather than redacted."""
    _check_exact(value, redactor, what)
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise JournalError(f"{what} cannot be journaled: {exc}") from exc


def _check_exact(value: Any, redactor: Redactor, what: str) -> None:
    # each text on its own: in JSON text a secret with a quote or backslash would be escaped
    # and slip past the scrubber
    if isinstance(value, Secret):
        raise SecretInJournalError(f"{what} holds a Secret")
    if isinstance(value, str) and redactor.scrub(value) != value:
        raise SecretInJournalError(f"{what} holds a secret value")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_exact(key, redactor, what)
            _check_exact(item, redactor, what)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_exact(item, redactor, what)


def load_json(text: str) -> Any:
    """Parse JSON the journal wrote."""
    return json.loads(text)


# --- undo commands ----------------------------------------------------------------------------
# Tagged values: JSON has no tuple, bytes, datetime, timedelta or switch; a one-key object whose
# key starts with "$" carries them. Mappings are tagged too, so user keys cannot collide.


def encode_commands(commands: Iterable[Command], redactor: Redactor | None = None) -> str:
    """Commands as JSON text; SecretInJournalError for a Secret (or a registered secret value)."""
    check = redactor or Redactor()
    return json.dumps([_encode_command(c, check) for c in commands], ensure_ascii=False)


def decode_commands(text: str) -> tuple[Command, ...]:
    """The commands `encode_commands` wrote."""
    try:
        return tuple(_decode_command(item) for item in json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise JournalError(f"an undo command in the journal cannot be read: {exc}") from exc


def _encode_command(command: Command, redactor: Redactor) -> dict[str, Any]:
    name = command.cmdlet
    if redactor.scrub(name) != name:
        raise SecretInJournalError(f"a secret value is in the text of a {_label(command)} command")
    return {
        "cmdlet": name,
        "parameters": [[k, _encode(v, redactor, k)] for k, v in command.parameters],
        "mutating": command.mutating,
        "is_script": command.is_script,
    }


def _label(command: Command) -> str:
    return "script" if command.is_script else command.cmdlet


def _encode(value: Any, redactor: Redactor, name: str) -> Any:  # noqa: PLR0911 -- one return per tag
    if isinstance(value, Secret):
        raise SecretInJournalError(f"parameter -{name} holds a Secret: undo commands keep none")
    if value is SWITCH:
        return {"$switch": True}
    if isinstance(value, str):
        if redactor.scrub(value) != value:
            raise SecretInJournalError(f"parameter -{name} holds a secret value")
        return str(value)  # a StrEnum is sent as its plain text
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        return [_encode(v, redactor, name) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, redactor, name) for v in value]}
    if isinstance(value, Mapping):
        pairs = [[_encode(k, redactor, name), _encode(v, redactor, name)] for k, v in value.items()]
        return {"$map": pairs}
    return _encode_scalar(value, name)


def _encode_scalar(value: Any, name: str) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    raise JournalError(f"parameter -{name}: a {type(value).__name__} cannot be journaled")


def _decode_command(item: Mapping[str, Any]) -> Command:
    parameters = tuple((str(k), _decode(v)) for k, v in item["parameters"])
    return Command(item["cmdlet"], parameters, bool(item["mutating"]), bool(item["is_script"]))


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    return _DECODERS[tag](inner)


_DECODERS: Mapping[str, Callable[[Any], Any]] = {
    "$switch": lambda _inner: SWITCH,
    "$tuple": lambda inner: tuple(_decode(v) for v in inner),
    "$map": lambda inner: {_decode(k): _decode(v) for k, v in inner},
    "$bytes": lambda inner: base64.b64decode(inner, validate=True),
    "$datetime": datetime.fromisoformat,
    "$timedelta": lambda inner: timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2]),
}


def human(moment: datetime) -> str:
    """A time as people read it in messages: UTC, to the second, marked Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
