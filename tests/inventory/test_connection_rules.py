"""Connection settings that cannot work, or that send secrets in clear, are refused at load.

Each rule is found when the inventory resolves, before any host is contacted, at the
file:line of the setting, naming the hosts it hits and the fix. The combinations pypsrp 0.9.1
refuses are those of its WSMan (wsman.py `_TransportHTTP.__init__`): message encryption is
wrapped with negotiate, ntlm, kerberos or credssp only, and it is required over http unless
`encryption: never`, and over https only with `encryption: always`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.inventory.model import Host, security_notices
from tests.inventory.helpers import line_of, load, only, problems

BASIC_OVER_HTTP = """\
all:
  scheme: http
  children:
    labs:
      auth: basic
      encryption: never
      hosts: {h1: {}, h2: {}}
"""


def test_basic_over_http_is_refused_at_its_line_with_the_fix(tmp_path: Path) -> None:
    """Basic over plain http is refused where `auth: basic` is set, naming hosts and fixes."""
    problem = only(problems(tmp_path, BASIC_OVER_HTTP))
    assert problem.location is not None
    assert problem.location.file == str(tmp_path / "inventory.yml")
    assert problem.location.line == line_of(BASIC_OVER_HTTP, "auth: basic")
    assert problem.field == "all.children.labs.auth"
    assert problem.message.startswith("hosts 'h1', 'h2': auth basic over http")
    for fix in ("scheme: https", "negotiate", "allow_basic_over_http: true"):
        assert fix in problem.hint


def test_basic_over_http_is_accepted_with_the_opt_in(tmp_path: Path) -> None:
    """`allow_basic_over_http: true` with `encryption: never` loads: the operator chose it."""
    text = BASIC_OVER_HTTP.replace("auth: basic", "auth: basic\n      allow_basic_over_http: true")
    inventory = load(tmp_path, text)
    assert all(h.connection.allow_basic_over_http for h in inventory.hosts)


def test_the_opt_in_is_a_strict_boolean(tmp_path: Path) -> None:
    """`allow_basic_over_http: "yes"` is an error, not a truthy string."""
    text = BASIC_OVER_HTTP.replace("auth: basic", 'auth: basic\n      allow_basic_over_http: "yes"')
    found = problems(tmp_path, text)
    assert any(p.field == "all.children.labs.allow_basic_over_http" for p in found)


def test_the_opt_in_conflicts_like_any_setting(tmp_path: Path) -> None:
    """A host written twice with different opt-ins is a conflict naming both places."""
    text = """\
    all:
      children:
        a: {hosts: {h1: {allow_basic_over_http: true}}}
        b: {hosts: {h1: {allow_basic_over_http: false}}}
    """
    problem = only(problems(tmp_path, text))
    assert "sets allow_basic_over_http to" in problem.message


def test_the_opt_in_does_not_make_basic_encrypt(tmp_path: Path) -> None:
    """With the opt-in but encryption auto, pypsrp would still refuse: say `encryption: never`."""
    text = "all:\n  scheme: http\n  auth: basic\n  allow_basic_over_http: true\n  hosts: {h1: {}}\n"
    problem = only(problems(tmp_path, text))
    assert "host 'h1'" in problem.message
    assert "encryption: never" in problem.hint


@pytest.mark.parametrize(
    ("settings", "line_key", "words"),
    [
        # pypsrp: "Cannot use message encryption with auth 'basic'", whatever the scheme
        ("scheme: https\n  auth: basic\n  encryption: always", "encryption", "encryption: always"),
        (
            "scheme: https\n  auth: certificate\n  encryption: always",
            "encryption",
            "encryption: always",
        ),
        ("scheme: http\n  auth: basic\n  encryption: always", "encryption", "encryption: always"),
        # over http pypsrp wraps every message unless `never`: basic cannot
        ("scheme: http\n  auth: basic", "auth", "auth basic over http"),
        # pypsrp _build_auth_certificate: "For certificate auth, SSL must be used"
        ("scheme: http\n  auth: certificate", "auth", "certificate authentication needs"),
        # pypsrp sends in clear; Windows refuses it unless AllowUnencrypted
        ("scheme: http\n  auth: ntlm\n  encryption: never", "encryption", "encryption: never"),
        ("scheme: http\n  encryption: never", "encryption", "encryption: never"),
    ],
)
def test_each_impossible_combination_is_refused(
    tmp_path: Path, settings: str, line_key: str, words: str
) -> None:
    """Every combination that cannot work is a problem at the line of the setting to fix."""
    text = f"all:\n  {settings}\n  hosts: {{h1: {{}}}}\n"
    found = problems(tmp_path, text)
    if "certificate" not in settings or "http\n" in settings:
        assert len(found) == 1, found  # certificate over https also lacks its PEM files
    problem = next(p for p in found if words in p.message)
    assert problem.location is not None
    assert problem.location.line == line_of(text, f"{line_key}:")
    assert problem.message.startswith("host 'h1': ")
    assert words in problem.message
    assert problem.hint


def test_a_ca_bundle_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    """`cert_validation: PATH` must name a file beside the inventory (not missing, not a dir)."""
    (tmp_path / "ca").mkdir()
    for value in ("ca/missing.pem", "ca"):
        text = f"all:\n  cert_validation: {value}\n  hosts: {{h1: {{}}}}\n"
        problem = only(problems(tmp_path, text))
        assert problem.location is not None
        assert problem.location.line == 2
        assert "is not a file" in problem.message
        assert str(tmp_path / value) in problem.message


def test_an_existing_ca_bundle_loads(tmp_path: Path) -> None:
    """A CA bundle that is a file is accepted and resolved beside the inventory."""
    (tmp_path / "root.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    inventory = load(tmp_path, "all:\n  cert_validation: root.pem\n  hosts: {h1: {}}\n")
    assert inventory.hosts[0].connection.cert_validation == tmp_path / "root.pem"


def test_certificate_auth_needs_its_pem_files(tmp_path: Path) -> None:
    """Certificate auth without its certificate_pem/certificate_key_pem files is refused."""
    text = "all:\n  auth: certificate\n  vars: {certificate_pem: c.pem}\n  hosts: {h1: {}}\n"
    problem = only(problems(tmp_path, text))
    assert "certificate_key_pem" in problem.message
    assert "c.pem" in problem.message  # named: it is not a file either
    (tmp_path / "c.pem").write_text("x", encoding="utf-8")
    (tmp_path / "k.pem").write_text("x", encoding="utf-8")
    fixed = text.replace(
        "certificate_pem: c.pem", "certificate_pem: c.pem, certificate_key_pem: k.pem"
    )
    assert load(tmp_path, fixed).hosts[0].connection.auth.value == "certificate"


def test_cert_validation_false_is_a_notice_naming_hosts_compactly(tmp_path: Path) -> None:
    """security_notices says how many https hosts skip validation and names the first few."""
    names = [f"h{n}" for n in range(1, 9)]
    hosts = "".join(f"\n    {n}: {{}}" for n in names)
    inventory = load(tmp_path, f"all:\n  cert_validation: false\n  hosts:{hosts}\n")
    (notice,) = security_notices(inventory.hosts)
    assert "certificate validation is off for 8 hosts" in notice
    assert "h1, h2, h3" in notice
    assert "and 3 more" in notice
    assert "h8" not in notice


def test_no_notice_for_secure_settings(tmp_path: Path) -> None:
    """Validated https hosts produce no notice; basic over http with the opt-in produces one."""
    assert security_notices(load(tmp_path, "all:\n  hosts: {h1: {}}\n").hosts) == []
    opted = BASIC_OVER_HTTP.replace("auth: basic", "auth: basic\n      allow_basic_over_http: true")
    (notice,) = security_notices(load(tmp_path, opted).hosts)
    assert "basic" in notice
    assert "'h1'" not in notice
    assert "h1, h2" in notice
    assert security_notices([Host("x", "x")]) == []
