"""`orchestrator inventory list`: text for people, JSON for machines, exit 2 on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.inventory.cli import app
from tests.inventory.helpers import EXAMPLE, write

SECRET_VALUE = "Pa55-must-never-show"
ENV = {"COLUMNS": "200", "ORCH_ADMIN_PASSWORD": SECRET_VALUE, "ORCH_CLIENT_PASSWORD": SECRET_VALUE}


def run(*args: str) -> Result:
    """Invoke the inventory sub-app with a wide terminal and the passwords set."""
    return CliRunner().invoke(app, list(args), env=ENV)


def test_text_lists_one_line_per_host() -> None:
    """The text form is a header, one line per host (name, roles, groups, how it is reached,
    columns aligned) and a summary naming --host."""
    result = run("list", "-i", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 8 + 1
    assert lines[0].split() == ["host", "roles", "groups", "connection"]
    assert re.split(r"\s{2,}", lines[1]) == [
        "dc1",
        "domain_controller, cap_server",
        "caps, domain_controllers",
        "https://dc1.tb1.example.com:5986 negotiate as TB1\\orch-admin",
    ]
    assert lines[8].endswith("  https://10.0.20.14:5986 negotiate as TB1\\orch-wks")
    assert len({line.index("https://") for line in lines[1:9]}) == 1
    assert lines[9].startswith("8 hosts in ")
    assert "--host NAME" in lines[9]


def test_the_line_says_when_a_certificate_is_not_validated(tmp_path: Path) -> None:
    """A host reached without certificate validation says so on its line, so does a path."""
    path = write(
        tmp_path,
        "all:\n  hosts:\n    h1: {address: '::1', cert_validation: false, path: /ws}\n",
    )
    result = run("list", "-i", str(path))
    assert result.exit_code == 0, result.output
    assert "https://[::1]:5986/ws negotiate (certificate not validated)" in result.stdout


def test_host_shows_one_host_with_values_and_origins() -> None:
    """`--host NAME` shows that host's settings, credential and vars with where each came from."""
    result = run("list", "-i", str(EXAMPLE), "--host", "dc1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "domain_controller" in out
    assert "example.yml:45 (host dc1)" in out
    assert "default for https" in out
    assert "example.yml:51 (group caps)" in out
    assert "env:ORCH_ADMIN_PASSWORD" in out
    assert "dc2" not in out


def test_host_as_json_is_that_hosts_entry() -> None:
    """`--host NAME --format json` gives the host's entry of the full JSON."""
    one = json.loads(run("list", "-i", str(EXAMPLE), "--host", "site1", "--format", "json").stdout)
    every = json.loads(run("list", "-i", str(EXAMPLE), "--format", "json").stdout)
    assert one == next(h for h in every["hosts"] if h["name"] == "site1")


def test_an_unknown_host_exits_2_with_a_suggestion() -> None:
    """`--host wks0001` exits 2 naming the inventory and suggesting the hosts it may mean."""
    result = run("list", "-i", str(EXAMPLE), "--host", "wks0001")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --host: 'wks0001' is no host of {EXAMPLE}"
        " (did you mean 'wks001' or another of wks002, wks003, wks004 (4 named wks*)?)"
    )


def test_a_host_outside_the_limit_is_not_shown() -> None:
    """`--host` picks among the hosts `--limit` selects: one left out is an input error."""
    result = run("list", "-i", str(EXAMPLE), "--limit", "cap_server", "--host", "dc2")
    assert result.exit_code == 2
    assert "'dc2' is not among the hosts --limit selects" in result.stderr
    assert run("list", "-i", str(EXAMPLE), "-l", "cap_server", "--host", "cap1").exit_code == 0


def test_text_with_limit_lists_only_the_selected_hosts() -> None:
    """`--limit` narrows the listing and the summary names the limit."""
    result = run("list", "-i", str(EXAMPLE), "--limit", "cap_server:!domain_controller")
    assert result.exit_code == 0, result.output
    assert "cap1" in result.stdout
    assert "dc1" not in result.stdout
    assert "1 host in" in result.stdout
    assert "(limit: cap_server:!domain_controller)" in result.stdout


def test_json_holds_values_with_origins() -> None:
    """The JSON form has every host, value and origin (file, line, column, scope)."""
    result = run("list", "-i", str(EXAMPLE), "--format", "json", "--limit", "site1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["limit"] == "site1"
    (site1,) = data["hosts"]
    assert site1["name"] == "site1"
    assert [r["value"] for r in site1["roles"]] == ["site_server", "logon_point"]
    assert site1["groups"] == ["site_servers"]
    read_timeout = site1["connection"]["read_timeout"]
    assert read_timeout["value"] == "1m30s"
    assert read_timeout["origin"]["scope"] == "host site1"
    assert read_timeout["origin"]["file"] == str(EXAMPLE)
    assert isinstance(read_timeout["origin"]["line"], int)
    assert site1["connection"]["port"] == {
        "value": 5986,
        "origin": {"scope": "default for https", "file": None, "line": None, "column": None},
    }
    assert site1["vars"]["site_code"]["value"] == "TB1"
    assert site1["credential"] == {
        "name": "domain_admin",
        "username": "TB1\\orch-admin",
        "password": "env:ORCH_ADMIN_PASSWORD",
    }
    assert set(data["groups"]) >= {"all", "caps", "site_servers"}


def test_no_secret_value_in_any_output() -> None:
    """Even with the passwords in the environment, no output contains their value."""
    for form in ("text", "json"):
        for one in ([], ["--host", "dc1"]):
            result = run("list", "-i", str(EXAMPLE), "--format", form, *one)
            assert result.exit_code == 0
            assert SECRET_VALUE not in result.output


def test_markup_in_values_is_shown_literally(tmp_path: Path) -> None:
    """A var value that looks like rich markup is printed as written."""
    path = write(tmp_path, "all:\n  hosts:\n    h1: {vars: {note: '[bold]x[/bold]'}}\n")
    result = run("list", "-i", str(path), "--host", "h1")
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold]" in result.stdout


def test_bad_inventory_exits_2_with_located_problems_and_no_traceback(tmp_path: Path) -> None:
    """Every problem goes to stderr as file:line: field: message (hint), exit code 2."""
    path = write(tmp_path, "all:\n  hosts:\n    dc1: {adress: x, port: 0}\n")
    result = run("list", "-i", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: {path}:3:")
    assert "unknown key 'adress' (did you mean 'address'?)" in result.stderr
    assert "all.hosts.dc1.port" in result.stderr
    assert "Traceback" not in result.output


def test_missing_inventory_file_exits_2() -> None:
    """A path that does not exist is an input error, exit code 2."""
    result = run("list", "-i", "no/such/inventory.yml")
    assert result.exit_code == 2
    assert "inventory not found" in result.stderr


def test_bad_limit_exits_2_with_a_suggestion() -> None:
    """A limit naming nothing known exits 2 and suggests the closest name, and the hosts named
    like it with a number."""
    result = run("list", "-i", str(EXAMPLE), "--limit", "dc11")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --limit: 'dc11' is no role, group or host of this inventory"
        " (did you mean 'dc1' or 'dc2'?)"
    )


def test_limit_file_is_read_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--limit @file` reads the file from where the command runs."""
    (tmp_path / "hosts.txt").write_text("dc2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("list", "-i", str(EXAMPLE), "--limit", "@hosts.txt")
    assert result.exit_code == 0, result.output
    assert "dc2" in result.stdout
    assert "1 host in" in result.stdout


def test_empty_limit_is_an_error_not_every_host() -> None:
    """`--limit ''` (an unset shell variable, say) is refused rather than meaning all hosts."""
    result = run("list", "-i", str(EXAMPLE), "--limit", "")
    assert result.exit_code == 2
    assert "a host pattern cannot be empty" in result.stderr
