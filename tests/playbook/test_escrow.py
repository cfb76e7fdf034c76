"""Escrow of generated secrets: its syntax, who may choose it, and handing a secret over."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

from orchestrator.errors import InputError, RefusedError
from orchestrator.escrow import (
    Destination,
    Escrow,
    deposit,
    parse_destination,
    parse_overrides,
    plan_escrows,
    planned,
    write_file,
)
from orchestrator.modules import MODULES
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.schema import playbook_schema
from orchestrator.secrets import (
    EnvSource,
    GenerateOptions,
    GenerateSource,
    Secret,
    SecretRef,
    SecretSource,
)

CANARY = "Canary-Escrow-8823!z"
REF = TypeAdapter(SecretRef)
# a program that writes its standard input to the file named by its argument (no shell)
COPY = f"{sys.executable} -c 'import sys; open(sys.argv[1], \"w\").write(sys.stdin.read())'"


def _secrets() -> dict[str, Secret]:
    return {"pw": Secret(CANARY, "pw")}


# --- syntax ---------------------------------------------------------------------------------


def test_generate_alone_still_works_and_takes_an_escrow() -> None:
    """`generate`, `{generate: true}` and `{generate: {...}, escrow: file:...}` all load."""
    assert REF.validate_python("generate") == GenerateSource()
    assert REF.validate_python({"generate": True}) == GenerateSource()
    source = REF.validate_python(
        {"generate": {"length": 32}, "escrow": "file:secrets/{{ run_id }}-{{ secret }}.txt"}
    )
    assert source == GenerateSource(
        generate=GenerateOptions(length=32), escrow="file:secrets/{{ run_id }}-{{ secret }}.txt"
    )


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ({"generate": True, "escrow": "command:pass insert -m x"}, "named by the operator"),
        ({"generate": True, "escrow": "file:/root/pw.txt"}, "relative to the working directory"),
        ({"generate": True, "escrow": "file:~/pw.txt"}, "relative to the working directory"),
        ({"generate": True, "escrow": "file:../pw.txt"}, "no '..'"),
        ({"generate": True, "escrow": "file:{{ inventory_hostname }}"}, "unknown placeholder"),
        ({"generate": True, "escrow": "file:{{ run_id | upper }}"}, "not a template"),
        ({"generate": True, "escrow": "none"}, "only a file escrow"),
        ({"env": "PW", "escrow": "file:pw.txt"}, "goes with 'generate' alone"),
        ({"generate": False}, "no source"),
    ],
)
def test_a_playbook_proposes_only_a_file_under_the_working_directory(
    written: object, said: str
) -> None:
    """A playbook cannot send a secret to a program or a path elsewhere: the operator can."""
    with pytest.raises(ValidationError, match=said.replace("(", r"\(")):
        REF.validate_python(written)


def test_a_playbook_escrow_error_points_at_its_line(tmp_path: Path) -> None:
    """Loading a playbook with a program as escrow: an input error at the secret's line."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "name: T\nsecrets:\n  pw: {generate: true, escrow: 'command:cat'}\nsteps:\n"
        "  - {name: s, hosts: all, service: {name: x, state: started}}\n"
    )
    with pytest.raises(InputError) as info:
        load_playbook(playbook, MODULES)
    (problem,) = info.value.problems
    assert problem.location is not None
    assert problem.location.line == 3
    assert "--escrow NAME=command:" in problem.message


def test_the_editor_schema_knows_the_escrow_form() -> None:
    """The JSON Schema (`orchestrator schema`) accepts `generate` with a file escrow, and refuses
    a program there, as the loader does."""
    validator = jsonschema.Draft202012Validator(playbook_schema(MODULES))
    step = {"name": "s", "hosts": "all", "service": {"name": "x", "state": "started"}}

    def with_secret(ref: object) -> dict[str, object]:
        return {"name": "p", "secrets": {"pw": ref}, "steps": [step]}

    assert validator.is_valid(with_secret("generate"))
    assert validator.is_valid(with_secret({"generate": True, "escrow": "file:s/{{ run_id }}"}))
    assert validator.is_valid(with_secret({"generate": {"length": 30}, "escrow": "file:x"}))
    assert not validator.is_valid(with_secret({"generate": True, "escrow": "command:cat"}))
    assert not validator.is_valid(with_secret({"env": "X", "escrow": "file:x"}))
    assert not validator.is_valid(with_secret({"generate": False}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("file:a/b.txt", Destination("file", "a/b.txt")),
        ("command:pass insert -m sms/tb1", Destination("command", "pass insert -m sms/tb1")),
        ("none", Destination("none")),
    ],
)
def test_destinations_as_the_operator_writes_them(text: str, expected: Destination) -> None:
    """file:PATH, command:PROGRAM ARGS and none."""
    assert parse_destination(text) == expected


@pytest.mark.parametrize("bad", ["pass:x", "file:", "command:  ", "command:'unclosed", "s3:b"])
def test_bad_destinations_are_refused(bad: str) -> None:
    """Anything else is an error saying what a destination looks like."""
    with pytest.raises(ValueError, match="escrow"):
        parse_destination(bad)


def test_escrow_options_are_checked_all_at_once() -> None:
    """--escrow NAME=DEST: every malformed one reported together, as input errors."""
    assert parse_overrides(["pw=file:x.txt", "other=none"]) == {
        "pw": Destination("file", "x.txt"),
        "other": Destination("none"),
    }
    with pytest.raises(InputError) as info:
        parse_overrides(["pw", "pw=vault:x", "a=none", "a=none"])
    assert [p.field for p in info.value.problems] == ["--escrow"] * 3


# --- who chooses --------------------------------------------------------------------------------


def test_the_operator_overrides_the_playbook(tmp_path: Path) -> None:
    """--escrow wins over the playbook's proposal; `none` drops it; other generated secrets
    keep theirs, and one without any is shown as not escrowed."""
    sources: dict[str, SecretSource] = {
        "pw": GenerateSource(escrow="file:pw-{{ run_id }}.txt"),
        "other": GenerateSource(escrow="file:other.txt"),
        "bare": GenerateSource(),
        "admin": EnvSource(env="ADMIN_PW"),
    }
    escrows = plan_escrows(
        sources, {"pw": Destination("command", "pass insert x"), "other": Destination("none")}
    )
    assert escrows == [
        Escrow("pw", Destination("command", "pass insert x")),
        Escrow("other", None),
        Escrow("bare", None),
    ]
    shown = planned(plan_escrows(sources, {}), tmp_path)
    assert [(e.secret, e.destination) for e in shown] == [
        ("pw", f"file:{tmp_path.resolve()}/pw-<run id>.txt"),
        ("other", f"file:{tmp_path.resolve()}/other.txt"),
        ("bare", ""),
    ]


def test_only_generated_secrets_of_the_playbook_are_escrowed() -> None:
    """An override naming no secret, or one that is not generated, is an input error."""
    sources: dict[str, SecretSource] = {"pw": GenerateSource(), "admin": EnvSource(env="ADMIN_PW")}
    with pytest.raises(InputError) as info:
        plan_escrows(sources, {"nope": Destination("none"), "admin": Destination("none")})
    messages = [p.message for p in info.value.problems]
    assert "the playbook has no secret 'nope'" in messages[0]
    assert "is not generated" in messages[1]


# --- files ----------------------------------------------------------------------------------


def test_a_file_escrow_is_a_new_0600_file_with_the_secret_and_a_newline(tmp_path: Path) -> None:
    """The file holds the secret and a newline, mode 0600; no temporary file is left over."""
    escrows = [Escrow("pw", Destination("file", "secrets/{{ run_id }}-{{ secret }}.txt"))]
    done = deposit(escrows, _secrets(), "abc123", cwd=tmp_path)
    path = tmp_path / "secrets" / "abc123-pw.txt"
    assert [(d.secret, d.destination) for d in done] == [("pw", f"file:{path}")]
    assert path.read_text() == CANARY + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    """An escrow file that exists already: refused (exit 4), the file untouched, no secret shown."""
    path = tmp_path / "pw.txt"
    path.write_text("earlier\n")
    with pytest.raises(RefusedError) as info:
        deposit([Escrow("pw", Destination("file", str(path)))], _secrets(), "r1", cwd=tmp_path)
    assert "exists already" in str(info.value)
    assert "--escrow pw=" in str(info.value)
    assert CANARY not in str(info.value)
    assert path.read_text() == "earlier\n"


def test_a_dangling_symlink_is_not_followed(tmp_path: Path) -> None:
    """A symlink where the file goes (pointing nowhere yet) is refused, never written through."""
    target = tmp_path / "elsewhere.txt"
    (tmp_path / "pw.txt").symlink_to(target)
    with pytest.raises(RefusedError, match="exists already"):
        deposit([Escrow("pw", Destination("file", "pw.txt"))], _secrets(), "r1", cwd=tmp_path)
    assert not target.exists()


def test_a_world_writable_directory_is_refused(tmp_path: Path) -> None:
    """A directory anyone may write to (like /tmp): refused, nothing written."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(RefusedError, match="world-writable"):
        deposit([Escrow("pw", Destination("file", "shared/pw.txt"))], _secrets(), "r", cwd=tmp_path)
    assert list(shared.iterdir()) == []


def test_write_file_creates_the_missing_directory_private(tmp_path: Path) -> None:
    """Missing directories are created; the new one is 0700 (under the umask)."""
    write_file(tmp_path / "new" / "pw.txt", CANARY)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) & 0o077 == 0


# --- commands -------------------------------------------------------------------------------


def test_a_command_escrow_gets_the_secret_on_standard_input(tmp_path: Path) -> None:
    """The program (no shell) reads the secret and a newline; its arguments come from shlex."""
    out = tmp_path / "received {{ run_id }}.txt"
    line = f"{COPY} '{out}'"
    done = deposit([Escrow("pw", Destination("command", line))], _secrets(), "r9", cwd=tmp_path)
    assert (tmp_path / "received r9.txt").read_text() == CANARY + "\n"
    assert done[0].destination == f"command:{COPY} '{tmp_path / 'received r9.txt'}'"
    assert CANARY not in done[0].destination


def test_a_failing_command_names_the_command_never_the_secret(tmp_path: Path) -> None:
    """A non-zero exit: refused, naming the command and its code; what it printed (here the
    secret itself) is not shown."""
    echo = f"{sys.executable} -c 'import sys; print(sys.stdin.read()); sys.exit(3)'"
    with pytest.raises(RefusedError) as info:
        deposit([Escrow("pw", Destination("command", echo))], _secrets(), "r", cwd=tmp_path)
    message = str(info.value)
    assert "exited with code 3" in message
    assert sys.executable in message
    assert CANARY not in message


def test_what_the_program_prints_is_never_passed_on(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A program that echoes its input on stdout and stderr: none of it reaches ours."""
    echo = f"{sys.executable} -c 'import sys; s = sys.stdin.read(); print(s); print(s, file=sys.stderr)'"
    deposit([Escrow("pw", Destination("command", echo))], _secrets(), "r", cwd=tmp_path)
    printed = capfd.readouterr()
    assert CANARY not in printed.out + printed.err


def test_a_missing_program_is_refused(tmp_path: Path) -> None:
    """A program that does not exist cannot take the secret: refused, naming it."""
    with pytest.raises(RefusedError, match="no-such-escrow-program cannot be started"):
        deposit(
            [Escrow("pw", Destination("command", "no-such-escrow-program x"))],
            _secrets(),
            "r",
            cwd=tmp_path,
        )


def test_a_later_failure_names_what_was_escrowed_already(tmp_path: Path) -> None:
    """Two secrets, the second refused: the message names the first file, so it can be removed."""
    (tmp_path / "b.txt").write_text("")
    secrets = {"a": Secret(CANARY, "a"), "b": Secret(CANARY + "b", "b")}
    escrows = [Escrow("a", Destination("file", "a.txt")), Escrow("b", Destination("file", "b.txt"))]
    with pytest.raises(RefusedError) as info:
        deposit(escrows, secrets, "r", cwd=tmp_path)
    assert f"already escrowed (now unused): a in file:{tmp_path / 'a.txt'}" in str(info.value)
    assert CANARY not in str(info.value)
