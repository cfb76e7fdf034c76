"""Secrets: redacted in every form, fetched from their sources all at once."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from orchestrator.errors import InputError
from orchestrator.secrets import (
    REDACTED,
    EnvSource,
    FileSource,
    GenerateOptions,
    GenerateSource,
    PromptSource,
    Secret,
    SecretRequest,
    SecretResolver,
    generate_password,
    redact_json_default,
    source_from_yaml,
)

CANARY = "canary-Zq7!pw"


class _Holder(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    password: Secret


def test_secret_is_redacted_in_every_text_form() -> None:
    """str, repr, f-strings, format specs, %-formatting and containers never show the value."""
    secret = Secret(CANARY, "admin")
    forms = [
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret:>30}",
        "%s" % secret,  # noqa: UP031 -- the old formatting path must redact too
        "{}".format(secret),  # noqa: UP032 -- str.format is its own path
        str([secret]),
        repr({"k": secret}),
    ]
    assert all(CANARY not in form for form in forms)
    assert str(secret) == REDACTED
    assert "admin" in repr(secret)


def test_secret_is_redacted_in_json_forms() -> None:
    """Our JSON hook and pydantic serialization write the redacted form."""
    secret = Secret(CANARY)
    assert json.dumps({"p": secret}, default=redact_json_default) == '{"p": "********"}'
    holder = _Holder(password=secret)
    assert CANARY not in holder.model_dump_json()
    assert holder.model_dump(mode="json") == {"password": REDACTED}


def test_secret_cannot_be_pickled_and_copies_are_itself() -> None:
    """Pickling (to disk, to another process) is refused; copies are the same object."""
    secret = Secret(CANARY)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy(secret) is secret


def test_secret_equality_compares_values_without_hashing() -> None:
    """Two secrets with the same value are equal; secrets are not hashable."""
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    with pytest.raises(TypeError):
        hash(Secret("a"))


def test_reveal_gives_the_value() -> None:
    """Only reveal() gives the clear value."""
    assert Secret(CANARY).reveal() == CANARY


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("env:ADMIN_PW", {"kind": "env", "env": "ADMIN_PW"}),
        ("file:secrets/pw.txt", {"kind": "file", "file": "secrets/pw.txt"}),
        ("prompt", {"kind": "prompt"}),
        ("generate", {"kind": "generate"}),
        ({"generate": {"length": 32}}, {"kind": "generate", "generate": {"length": 32}}),
        ({"generate": None}, {"kind": "generate", "generate": {}}),
    ],
)
def test_written_forms_of_a_source(written: object, expected: dict[str, object]) -> None:
    """`env:NAME`, `file:PATH`, `prompt`, `generate` and the mapping form are understood."""
    assert source_from_yaml(written) == expected


@pytest.mark.parametrize("bad", ["environment:X", "env:", "vault:x", 5, {"env": "A", "file": "b"}])
def test_unknown_forms_are_refused(bad: object) -> None:
    """Anything else is an error listing the accepted forms."""
    with pytest.raises(ValueError, match="secret reference"):
        source_from_yaml(bad)


def test_resolver_reads_env_and_files(tmp_path: Path) -> None:
    """env: reads the environment, file: reads the file relative to the YAML, minus one newline."""
    (tmp_path / "pw.txt").write_text(CANARY + "\n")
    resolver = SecretResolver(interactive=False, environ={"ADMIN_PW": "from-env"})
    secrets = resolver.resolve(
        [
            SecretRequest("a", EnvSource(env="ADMIN_PW")),
            SecretRequest("b", FileSource(file="pw.txt"), base_dir=tmp_path),
        ]
    )
    assert secrets["a"].reveal() == "from-env"
    assert secrets["b"].reveal() == CANARY


def test_every_missing_secret_is_reported_together(tmp_path: Path) -> None:
    """A run reports all unavailable secrets at once, before contacting any host."""
    resolver = SecretResolver(interactive=False, environ={})
    with pytest.raises(InputError) as info:
        resolver.resolve(
            [
                SecretRequest("a", EnvSource(env="MISSING_PW")),
                SecretRequest("b", FileSource(file="nope.txt"), base_dir=tmp_path),
                SecretRequest("c", PromptSource()),
            ]
        )
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 3
    assert "environment variable MISSING_PW is not set" in messages[0]
    assert "does not exist" in messages[1]
    assert "not interactive" in messages[2]


def test_prompt_is_used_only_when_interactive() -> None:
    """An interactive run asks the prompter, with the secret's name in the prompt."""
    asked: list[str] = []

    def prompter(text: str) -> str:
        asked.append(text)
        return CANARY

    resolver = SecretResolver(interactive=True, environ={}, prompter=prompter)
    secrets = resolver.resolve([SecretRequest("admin", PromptSource())])
    assert secrets["admin"].reveal() == CANARY
    assert asked == ["Password for admin: "]


def test_generated_passwords_meet_ad_complexity() -> None:
    """Generated passwords have the length asked and every character class of the alphabet."""
    for _ in range(50):
        password = generate_password(GenerateOptions(length=16))
        assert len(password) == 16
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)
    assert len({generate_password(GenerateOptions()) for _ in range(20)}) == 20


def test_generate_source_resolves_to_a_fresh_secret() -> None:
    """`generate` yields a Secret of the default length."""
    secret = SecretResolver(interactive=False, environ={}).resolve(
        [SecretRequest("new", GenerateSource())]
    )["new"]
    assert len(secret.reveal()) == 24


def test_a_password_written_as_a_source_is_not_echoed() -> None:
    """`secrets: {pw: Hunter2-CANARY}` is refused without repeating the text."""
    with pytest.raises(ValueError, match="secret reference") as info:
        source_from_yaml(CANARY)
    assert CANARY not in str(info.value)
