"""Undo commands through the journal's JSON: exact round trips, secrets refused."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orchestrator.commands import SWITCH, Command
from orchestrator.journal import (
    JournalError,
    SecretInJournalError,
    canonical_json,
    decode_commands,
    encode_commands,
)
from orchestrator.logging import Redactor
from orchestrator.secrets import Secret


class Mode(enum.StrEnum):
    """A StrEnum parameter value (sent as its text)."""

    AUTO = "Automatic"


def test_every_parameter_kind_round_trips() -> None:
    """Switch, bytes, datetime, timedelta, tuple, list, mapping, None, bool, int, float come back equal."""
    commands = (
        Command(
            "Set-ItemProperty",
            (
                ("Force", SWITCH),
                ("Value", b"\x00\xffbinary"),
                ("When", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))),
                ("TTL", timedelta(days=1, seconds=7, microseconds=8)),
                ("Multi", ("a", "b")),
                ("List", ["x", 1, None, [True, 2.5]]),
                ("Map", {"k": ("v",), "$tuple": "not a tag"}),
                ("Null", None),
                ("Big", 2**62),
                ("Negative", -(2**31)),
            ),
            mutating=True,
        ),
        Command("param($Name) Disable-LocalUser -Name $Name", (("Name", "Guest"),), True, True),
    )
    decoded = decode_commands(encode_commands(commands))
    assert decoded == commands
    assert decoded[0].param("Force") is SWITCH
    assert isinstance(decoded[0].param("Multi"), tuple)
    assert isinstance(decoded[0].param("List"), list)


def test_str_enum_is_journaled_as_its_text() -> None:
    """A StrEnum value comes back as the plain text it is sent as."""
    (decoded,) = decode_commands(
        encode_commands([Command.of("Set-Service", StartupType=Mode.AUTO)])
    )
    assert decoded.param("StartupType") == "Automatic"
    assert type(decoded.param("StartupType")) is str


def test_a_secret_parameter_is_refused() -> None:
    """A Secret anywhere in a command's parameters is refused, naming the parameter."""
    command = Command.of("New-LocalUser", Password=Secret("hunter2-canary"))
    with pytest.raises(SecretInJournalError, match="-Password holds a Secret"):
        encode_commands([command])
    nested = Command.of("Set-X", Values=["a", {"b": Secret("s")}])
    with pytest.raises(SecretInJournalError, match="-Values"):
        encode_commands([nested])


def test_a_registered_secret_value_in_text_is_refused() -> None:
    """A plain string equal to or holding a registered secret value is refused, not redacted."""
    redactor = Redactor()
    redactor.add(Secret("S3cret-value"))
    with pytest.raises(SecretInJournalError):
        encode_commands([Command.of("Set-X", Note="pw=S3cret-value")], redactor)
    with pytest.raises(SecretInJournalError):
        encode_commands([Command("echo 'S3cret-value'", (), True, True)], redactor)


def test_unsupported_values_are_refused() -> None:
    """A value the journal cannot represent is an error, not its str()."""
    with pytest.raises(JournalError, match="object"):
        encode_commands([Command.of("Set-X", Thing=object())])


def test_corrupt_undo_text_is_a_journal_error() -> None:
    """Unreadable undo JSON gives a JournalError, not a KeyError."""
    with pytest.raises(JournalError, match="cannot be read"):
        decode_commands(
            '[{"cmdlet": "X", "parameters": [["a", {"$unknown": 1}]], "mutating": true, "is_script": false}]'
        )


def test_canonical_json_is_stable_and_redacted() -> None:
    """canonical_json sorts keys, has no spaces, and shows a Secret as ********."""
    value = {"b": 1, "a": [Secret("x"), datetime(2026, 1, 1, tzinfo=UTC)]}
    assert canonical_json(value) == '{"a":["********","2026-01-01T00:00:00+00:00"],"b":1}'
