"""Secret values and where they come from.

A `Secret` prints, formats, reprs and serializes as `********`; only `reveal()` gives the
value, and only the transport calls it. Sources, as written in playbooks and inventories:

    env:NAME        an environment variable
    file:PATH       a file's content (one trailing newline dropped), relative to the YAML file
    prompt          asked on the terminal; an error when the run is not interactive
    generate        a new random password (mapping form: {generate: {length: 32, alphabet: ...}})

A generated secret may name an escrow, where the run hands it over before any host is
contacted (orchestrator.escrow): `{generate: true, escrow: "file:secrets/{{ run_id }}.txt"}`.
All secrets of a run are resolved together, before any host is contacted, and every missing
one is reported at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import hmac
import os
import secrets as _random
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import core_schema

from orchestrator.errors import InputError, Location, Problem
from orchestrator.escrow import playbook_destination_error
from orchestrator.inputfile import read_input_file

REDACTED = "********"
# NIST SP 800-63B 5.1.1's minimum for a memorized secret; shorter, a secret cannot be masked
# in logs without revealing it or mangling ordinary words, and is weak anyway: refused.
MIN_SECRET_LENGTH = 8
_TEXT_FORBIDDEN: contextvars.ContextVar[bool] = contextvars.ContextVar("secret_text", default=False)


class SecretTextError(TypeError):
    """A Secret was turned into text where that would silently produce `********`."""


@contextlib.contextmanager
def forbid_secret_text() -> Iterator[None]:
    """Inside this block str()/format() of a Secret raises instead of redacting.

    Templates use it: `{{ 'x' ~ secrets.pw }}` must fail, not produce `x********`.
    """
    token = _TEXT_FORBIDDEN.set(True)
    try:
        yield
    finally:
        _TEXT_FORBIDDEN.reset(token)


class Secret:
    """A value that must never be shown: redacted in str, repr, format and JSON."""

    __slots__ = ("_label", "_value")

    def __init__(self, value: str, label: str = "secret") -> None:
        self._value = value
        self._label = label

    @property
    def label(self) -> str:
        """The secret's name (not its value), for messages."""
        return self._label

    def reveal(self) -> str:
        """The clear value. Only the transport should call this."""
        return self._value

    def __str__(self) -> str:
        if _TEXT_FORBIDDEN.get():
            raise SecretTextError(f"secret {self._label!r} used as text")
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({self._label!r})"

    def __format__(self, format_spec: str) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # hashing by value would leak through timing and sets

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda _value: REDACTED, return_schema=core_schema.str_schema()
            ),
        )


class UnresolvedSecret(Secret):
    """Stands in for a secret that is declared but not fetched (validation, planning)."""

    def __init__(self, label: str) -> None:
        super().__init__("", label)

    def reveal(self) -> str:
        raise RuntimeError(f"secret {self.label!r} was never resolved")


def redact_json_default(value: Any) -> Any:
    """`json.dumps(default=...)` hook: Secrets become `********`, anything else is an error."""
    if isinstance(value, Secret):
        return REDACTED
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# --- sources -------------------------------------------------------------------------------

DEFAULT_ALPHABET = string.ascii_letters + string.digits + "!#%+-=?@^_"
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


class _Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EnvSource(_Source):
    """`env:NAME`: an environment variable."""

    kind: Literal["env"] = "env"
    env: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class FileSource(_Source):
    """`file:PATH`: a file's content, relative to the YAML file that names it."""

    kind: Literal["file"] = "file"
    file: str = Field(min_length=1)


class PromptSource(_Source):
    """`prompt`: asked on the terminal (interactive runs only)."""

    kind: Literal["prompt"] = "prompt"
    prompt: str = ""


class GenerateOptions(_Source):
    """How to generate a new password."""

    length: int = Field(default=24, ge=12, le=256)
    alphabet: str = Field(default=DEFAULT_ALPHABET, min_length=10)


class GenerateSource(_Source):
    """`generate`: a new random password, e.g. for a new connection account; `escrow` is
    where the playbook proposes to keep it (a relative `file:PATH`; the operator's --escrow
    overrides it)."""

    kind: Literal["generate"] = "generate"
    generate: GenerateOptions = GenerateOptions()
    escrow: str | None = Field(None, min_length=1)

    @field_validator("escrow")
    @classmethod
    def _escrow_syntax(cls, escrow: str | None) -> str | None:
        problem = None if escrow is None else playbook_destination_error(escrow)
        if problem:
            raise ValueError(problem)
        return escrow


SecretSource = Annotated[
    Annotated[EnvSource, Tag("env")]
    | Annotated[FileSource, Tag("file")]
    | Annotated[PromptSource, Tag("prompt")]
    | Annotated[GenerateSource, Tag("generate")],
    Discriminator(lambda v: v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)),
]


def source_from_yaml(value: Any) -> Any:
    """Turn the written forms (`env:NAME`, `{generate: {...}}` ...) into a tagged mapping."""
    if isinstance(value, str):
        kind, _, rest = value.partition(":")
        if kind in ("env", "file") and rest:
            return {"kind": kind, kind: rest}
        if kind in ("prompt", "generate") and not rest:
            return {"kind": kind}
        if kind == "prompt":
            return {"kind": "prompt", "prompt": rest}
        # never echo the text: it may be a password written where a reference belongs
        raise ValueError(
            "expected a secret reference 'env:NAME', 'file:PATH', 'prompt' or 'generate';"
            " found other text (not shown: it may be a password)"
        )
    if isinstance(value, dict) and "escrow" in value:
        return _generated_with_escrow(value)
    if isinstance(value, dict) and len(value) == 1:
        (kind,) = value
        if kind == "generate":
            return {"kind": kind, kind: _generate_options(value[kind])}
        if kind in ("env", "file", "prompt"):
            return {"kind": kind, kind: value[kind]}
    raise ValueError(
        "expected a secret reference: 'env:NAME', 'file:PATH', 'prompt', 'generate'"
        " or a mapping such as {generate: {length: 32}}"
    )


def _generate_options(inner: Any) -> Any:
    """`generate:` with nothing, `true` or its options."""
    if inner is None or inner is True:
        return {}
    if inner is False:
        raise ValueError("'generate: false' is no source: give the secret another source")
    return inner


def _generated_with_escrow(value: dict[str, Any]) -> dict[str, Any]:
    """`{generate: true | {...}, escrow: "file:PATH"}`: a new password and where it is kept."""
    if set(value) != {"generate", "escrow"}:
        raise ValueError(
            "'escrow' goes with 'generate' alone: a secret from env:, file: or prompt is known"
            " already; write {generate: true, escrow: 'file:PATH'}"
        )
    options = _generate_options(value["generate"])
    return {"kind": "generate", "generate": options, "escrow": value["escrow"]}


# --- resolution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretRequest:
    """One secret a run needs: its name, its source and where that source was written."""

    name: str
    source: EnvSource | FileSource | PromptSource | GenerateSource
    location: Location | None = None
    base_dir: Path = Path()


Prompter = Callable[[str], str]


class SecretResolver:
    """Fetches every requested secret, or reports every one that cannot be fetched."""

    def __init__(
        self,
        *,
        interactive: bool,
        environ: Mapping[str, str] | None = None,
        prompter: Prompter | None = None,
    ) -> None:
        self.interactive = interactive
        self.environ = os.environ if environ is None else environ
        self.prompter = prompter

    def resolve(self, requests: Sequence[SecretRequest]) -> dict[str, Secret]:
        """All secrets by name; raises one InputError naming every failure."""
        resolved: dict[str, Secret] = {}
        problems: list[Problem] = []
        for request in requests:
            try:
                value = _long_enough(request, self._fetch(request))
                resolved[request.name] = Secret(value, request.name)
            except _UnavailableError as exc:
                problems.append(
                    Problem(request.location, f"secrets.{request.name}", str(exc), exc.hint)
                )
        if problems:
            raise InputError(problems)
        return resolved

    def _fetch(self, request: SecretRequest) -> str:
        source = request.source
        if isinstance(source, EnvSource):
            return self._from_env(source.env)
        if isinstance(source, FileSource):
            return _from_file(request.base_dir / source.file)
        if isinstance(source, PromptSource):
            return self._from_prompt(request.name, source.prompt)
        return generate_password(source.generate)

    def _from_env(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise _UnavailableError(
                f"environment variable {name} is not set"
                + (" (it is empty)" if value == "" else ""),
                f"export {name} before the run",
            )
        return value

    def _from_prompt(self, name: str, text: str) -> str:
        if not self.interactive or self.prompter is None:
            raise _UnavailableError(
                "this secret is asked at a prompt, but the run is not interactive",
                "give it through env:NAME or file:PATH for unattended runs",
            )
        value = self.prompter(text or f"Password for {name}: ")
        if not value:
            raise _UnavailableError("nothing was entered at the prompt")
        return value


def _long_enough(request: SecretRequest, value: str) -> str:
    """The value, or an error naming the secret and its source (never the value, nor its
    length) when it is too short to mask safely."""
    if len(value) >= MIN_SECRET_LENGTH:
        return value
    raise _UnavailableError(
        f"the value of {request.name} (from {_source_text(request.source)}) is shorter than"
        f" {MIN_SECRET_LENGTH} characters; it is not shown",
        f"use a secret of at least {MIN_SECRET_LENGTH} characters (or `generate`): a shorter"
        " one cannot be masked in logs and reports without revealing it, and is weak anyway",
    )


def _source_text(source: EnvSource | FileSource | PromptSource | GenerateSource) -> str:
    """A source as it is written (`env:NAME`, `file:PATH`, `prompt`, `generate`)."""
    if isinstance(source, EnvSource):
        return f"env:{source.env}"
    if isinstance(source, FileSource):
        return f"file:{source.file}"
    return source.kind


class _UnavailableError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


MAX_SECRET_FILE_BYTES = 65_536  # a password or a key: never more; a pipe or device is refused


def _from_file(path: Path) -> str:
    try:
        raw = read_input_file(path, what=f"secret file {path}", cap=MAX_SECRET_FILE_BYTES)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise _UnavailableError(f"secret file {path} does not exist") from None
    except InputError as exc:  # not a regular file, too large, unreadable: never the content
        raise _UnavailableError(exc.problems[0].message, exc.problems[0].hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _UnavailableError(f"cannot read secret file {path}: {type(exc).__name__}") from None
    value = text.removesuffix("\n").removesuffix("\r")
    if not value:
        raise _UnavailableError(f"secret file {path} is empty")
    return value


def generate_password(options: GenerateOptions) -> str:
    """A random password from the alphabet, holding every character class the alphabet has.

    AD's complexity rule wants three of: lower, upper, digit, symbol; asking for each class
    the alphabet offers keeps New-ADUser from creating a disabled account (New-ADUser on Microsoft
    Learn: the account is created even when the password fails).
    """
    alphabet = "".join(dict.fromkeys(options.alphabet))
    wanted = [c for c in (*_CLASSES, _symbols(alphabet)) if set(c) & set(alphabet)]
    while True:
        candidate = "".join(_random.choice(alphabet) for _ in range(options.length))
        if all(set(candidate) & set(c) for c in wanted):
            return candidate


def _symbols(alphabet: str) -> str:
    return "".join(c for c in alphabet if not c.isalnum())


_GENERATE_SCHEMA = {
    "anyOf": [
        {"type": "null"},
        {"const": True},
        {
            "type": "object",
            "properties": {
                "length": {"type": "integer", "minimum": 12, "maximum": 256},
                "alphabet": {"type": "string", "minLength": 10},
            },
            "additionalProperties": False,
        },
    ]
}
_SECRET_REF_SCHEMA = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|prompt(:.*)?|generate)$",
        },
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "env": {"type": "string"},
                "file": {"type": "string"},
                "prompt": {"type": "string"},
                "generate": _GENERATE_SCHEMA,
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["generate", "escrow"],
            "properties": {
                "generate": _GENERATE_SCHEMA,
                "escrow": {
                    "type": "string",
                    "pattern": "^file:",
                    "description": "where the run keeps the new password before contacting any"
                    " host: a file relative to the working directory ({{ run_id }} and"
                    " {{ secret }} are replaced); the operator's --escrow overrides it",
                },
            },
            "additionalProperties": False,
        },
    ],
    "description": "where a secret comes from: env:NAME, file:PATH, prompt or generate"
    " (with an optional escrow)",
}

SecretRef = Annotated[
    SecretSource, BeforeValidator(source_from_yaml), WithJsonSchema(_SECRET_REF_SCHEMA)
]
"""A secret source as written in YAML (`env:NAME`, `file:PATH`, `prompt`, `generate`)."""
