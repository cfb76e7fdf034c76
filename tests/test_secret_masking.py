"""Secrets are masked as whole values, and a secret too short to mask is refused when read.

Masking a value wherever it occurs as a substring reveals a short secret (the secret `y`
turns `registry` into `registr********`) and mangles ordinary words; masking only where the
value stands as a whole token, and refusing secrets shorter than MIN_SECRET_LENGTH, does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.errors import InputError, Location
from orchestrator.logging import Redactor
from orchestrator.secrets import (
    MIN_SECRET_LENGTH,
    EnvSource,
    FileSource,
    GenerateSource,
    PromptSource,
    Secret,
    SecretRequest,
    SecretResolver,
)

ROOT = Path(__file__).resolve().parents[1]
SHORT_CANARY = "Qz7#kW"  # shorter than the minimum, and found in no ordinary output
LONG = "Correct-Horse-42"


def _redactor(*values: str) -> Redactor:
    redactor = Redactor()
    redactor.add(*(Secret(v) for v in values))
    return redactor


def test_a_secret_inside_a_longer_word_is_left_alone() -> None:
    """The secret `y` masks a lone `y`, never the `y` of `registry`."""
    redactor = _redactor("y")
    assert redactor.scrub("registry key y") == "registry key ********"
    assert redactor.scrub("registry") == "registry"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LONG, "********"),
        (f"password={LONG};", "password=********;"),
        (f"'{LONG}' rejected", "'********' rejected"),
        (f"{LONG}\n{LONG}", "********\n********"),
        (f"x{LONG}", f"x{LONG}"),  # inside a longer alphanumeric run: another value
        (f"{LONG}9", f"{LONG}9"),
    ],
)
def test_a_secret_is_masked_where_it_stands_as_a_whole_token(text: str, expected: str) -> None:
    """Bounded by text edges or by non-alphanumerics, the value is masked; inside a run, not."""
    assert _redactor(LONG).scrub(text) == expected


def test_an_edge_that_is_punctuation_needs_no_boundary() -> None:
    """A secret starting or ending with a symbol is masked even when a letter touches it."""
    redactor = _redactor("!Hunter-2024")
    assert redactor.scrub("pw:x!Hunter-2024") == "pw:x********"
    assert _redactor("Hunter-2024!").scrub("Hunter-2024!b") == "********b"


def test_the_longest_secret_wins_and_regex_characters_are_literal() -> None:
    """Overlapping secrets mask the longest; `.`, `*`, `(` in a secret are plain characters."""
    redactor = _redactor("abc.def(1)", "abc.def(1)-and-more")
    assert redactor.scrub("see abc.def(1)-and-more") == "see ********"
    assert redactor.scrub("see abcXdef(1)") == "see abcXdef(1)"


def _problem_text(error: InputError) -> str:
    return "\n".join(str(p) for p in error.problems)


@pytest.mark.parametrize(
    ("source", "where"),
    [
        (EnvSource(env="ORCH_SHORT"), "env:ORCH_SHORT"),
        (FileSource(file="short.txt"), "file:short.txt"),
        (PromptSource(), "prompt"),
    ],
)
def test_a_short_secret_is_refused_by_name_never_by_value(
    tmp_path: Path, source: EnvSource | FileSource | PromptSource, where: str
) -> None:
    """Shorter than the minimum: an InputError naming the secret and its source, not its value."""
    (tmp_path / "short.txt").write_text(SHORT_CANARY + "\n", encoding="utf-8")
    resolver = SecretResolver(
        interactive=True, environ={"ORCH_SHORT": SHORT_CANARY}, prompter=lambda _: SHORT_CANARY
    )
    request = SecretRequest(
        "credentials.admin.password", source, Location("inv.yml", 3, 15), tmp_path
    )
    with pytest.raises(InputError) as caught:
        resolver.resolve([request])
    text = _problem_text(caught.value)
    assert "inv.yml:3:15" in text
    assert "credentials.admin.password" in text
    assert where in text
    assert f"at least {MIN_SECRET_LENGTH} characters" in text
    assert SHORT_CANARY not in text
    assert SHORT_CANARY not in repr(caught.value.problems)


def test_long_and_generated_secrets_resolve() -> None:
    """A secret of the minimum length resolves; a generated one is long already."""
    exact = "a" * MIN_SECRET_LENGTH
    resolver = SecretResolver(interactive=False, environ={"OK": exact})
    found = resolver.resolve(
        [SecretRequest("a", EnvSource(env="OK")), SecretRequest("b", GenerateSource())]
    )
    assert found["a"].reveal() == exact
    assert len(found["b"].reveal()) >= MIN_SECRET_LENGTH


def test_the_cli_refuses_a_short_credential_without_showing_it(tmp_path: Path) -> None:
    """`plan` with a short env password: exit 2 before any host, the name shown, never the value."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "name: T\nsecrets:\n  api_token: env:ORCH_TOKEN\n"
        "steps:\n  - {name: s, hosts: dc1, service: {name: x, state: started}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "ORCH_ADMIN_PASSWORD": SHORT_CANARY,
        "ORCH_CLIENT_PASSWORD": LONG,
        "ORCH_TOKEN": SHORT_CANARY[::-1],
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "plan", str(playbook),
         "-i", str(ROOT / "inventory" / "example.yml")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "credentials.domain_admin.password" in result.stderr
    assert "env:ORCH_ADMIN_PASSWORD" in result.stderr
    assert "secrets.api_token" in result.stderr
    assert "env:ORCH_TOKEN" in result.stderr
    for output in (result.stdout, result.stderr):
        assert SHORT_CANARY not in output
        assert SHORT_CANARY[::-1] not in output
