"""The KDC's pure parts: configuration text, lockout mapping, kadmin quoting, output parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.lab import kerberos
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.kerberos import AdminScript, realm_for, service_principal
from orchestrator.lab.kerberos.config import KdcFiles, kdc_conf, krb5_conf
from orchestrator.lab.kerberos.errors import redact
from orchestrator.lab.kerberos.kadmin import quote
from orchestrator.lab.kerberos.policy import KdcLockout, from_lockout, is_locked
from orchestrator.lab.kerberos.state import parse_listing, parse_states

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LOCKOUT = KdcLockout(
    max_failures=3,
    failure_count_interval=timedelta(minutes=30),
    lockout_duration=timedelta(minutes=30),
)
GET_PRINCIPALS = """\
Authenticating as principal root/admin@CONTOSO.COM with password.
kadmin.local:  Principal: alice@CONTOSO.COM
Expiration date: [never]
Last password change: Sat Dec 05 01:28:24 UTC 2026
Last successful authentication: [never]
Last failed authentication: Sat Dec 05 11:45:00 UTC 2026
Failed password attempts: 3
Number of keys: 2
Key: vno 2, aes256-cts-hmac-sha1-96
Key: vno 2, aes128-cts-hmac-sha1-96
MKey: vno 1
Attributes: REQUIRES_PRE_AUTH DISALLOW_ALL_TIX
Policy: default
kadmin.local:  Principal: HTTP/wks001.contoso.com@CONTOSO.COM
Last successful authentication: [never]
Last failed authentication: [never]
Failed password attempts: 0
Key: vno 1, aes256-cts-hmac-sha1-96
Attributes:
Policy: [none]
kadmin.local:  \
"""


def test_the_public_names_are_pinned() -> None:
    """The package exports exactly what the lab builds on."""
    assert sorted(kerberos.__all__) == [
        "AdminScript",
        "Kdc",
        "KdcError",
        "PrincipalState",
        "realm_for",
        "service_principal",
    ]


def test_the_realm_is_the_dns_name_in_upper_case() -> None:
    """contoso.com is the realm CONTOSO.COM, as in AD."""
    assert realm_for("contoso.com.") == "CONTOSO.COM"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("WKS001", "HTTP/wks001.contoso.com"), ("dc1.Contoso.com", "HTTP/dc1.contoso.com")],
)
def test_service_principals_are_lower_case_fqdns(host: str, expected: str) -> None:
    """A host name, short or fully qualified, gives HTTP/<host>.<dns> in lower case."""
    assert service_principal(host, "CONTOSO.COM") == expected


def test_clients_reach_the_one_kdc_over_tcp_without_dns() -> None:
    """krb5.conf: this realm by default, its KDC on loopback, TCP first, no DNS, AES only."""
    text = krb5_conf("CONTOSO.COM", "contoso.com", 8888)

    for line in (
        "default_realm = CONTOSO.COM",
        "kdc = 127.0.0.1:8888",
        "primary_kdc = 127.0.0.1:8888",
        "udp_preference_limit = 1",
        "dns_lookup_kdc = false",
        "rdns = false",
        "permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96",
        ".contoso.com = CONTOSO.COM",
    ):
        assert f"    {line}\n" in text, line


def test_the_kdc_listens_on_loopback_and_keeps_its_files_in_its_directory() -> None:
    """kdc.conf: UDP and TCP on 127.0.0.1:port; database, stash and logs under the directory."""
    files = KdcFiles(Path("/state"))
    text = kdc_conf("CONTOSO.COM", 8888, files)

    for line in (
        "kdc_listen = 127.0.0.1:8888",
        "kdc_tcp_listen = 127.0.0.1:8888",
        "database_name = /state/principal",
        "key_stash_file = /state/stash",
        "kdc = FILE:/state/kdc.log",
        "default_principal_flags = +preauth",
    ):
        assert f"    {line}\n" in text, line


def test_the_domain_lockout_policy_becomes_the_kdc_policy_one_to_one() -> None:
    """Threshold, observation window and duration become maxfailure, failurecountinterval and
    lockoutduration, in kadmin's seconds."""
    kdc = from_lockout(
        LockoutPolicy(threshold=5, observation_window=timedelta(minutes=15), duration=timedelta(0))
    )

    assert kdc.policy_options() == [
        "-maxfailure",
        "5",
        "-failurecountinterval",
        "900s",
        "-lockoutduration",
        "0s",
    ]


@pytest.mark.parametrize(
    ("lockout", "failures", "minutes_ago", "locked"),
    [
        (LOCKOUT, 2, 1, False),  # below the threshold
        (LOCKOUT, 3, 1, True),  # at it, within the duration
        (LOCKOUT, 3, 31, False),  # the duration has passed
        (KdcLockout(3, timedelta(minutes=30), timedelta(0)), 3, 10_000, True),  # until unlocked
        (KdcLockout(0, timedelta(minutes=30), timedelta(0)), 50, 1, False),  # never locks
    ],
)
def test_locked_follows_the_kdc_rule(
    lockout: KdcLockout, failures: int, minutes_ago: int, locked: bool
) -> None:
    """Locked = at least maxfailure failures, the last one within lockoutduration (0: forever)."""
    assert is_locked(lockout, failures, NOW - timedelta(minutes=minutes_ago), NOW) is locked


def test_get_principal_output_is_read_into_states() -> None:
    """Two principals' blocks, prompts and all: counts, dates, flags, policy, key version."""
    alice, service = parse_states(GET_PRINCIPALS, LOCKOUT, NOW)

    assert alice.principal == "alice@CONTOSO.COM"
    assert (alice.failed_attempts, alice.locked, alice.key_version) == (3, True, 2)
    assert alice.last_failed == datetime(2026, 12, 5, 11, 45, tzinfo=UTC)
    assert (alice.allows_tickets, alice.requires_preauth, alice.policy) == (False, True, "default")
    assert (service.policy, service.locked, service.allows_tickets) == (None, False, True)


def test_a_listing_is_read_without_kadmins_banner_and_prompts() -> None:
    """list_principals: the names, and nothing else."""
    out = "Authenticating as principal root/admin@R with password.\nkadmin.local:  a@R\nb/c@R\n"

    assert parse_listing(out) == {"a@R", "b/c@R"}


@pytest.mark.parametrize(
    ("word", "quoted"),
    [("alice", '"alice"'), ('say "hi"!', '"say ""hi""!"'), ("a b\t#c", '"a b\t#c"')],
)
def test_kadmin_words_are_double_quoted_with_quotes_doubled(word: str, quoted: str) -> None:
    """Blanks, '!', '#' stay inside the quotes; a quote is written twice."""
    assert quote(word) == quoted


@pytest.mark.parametrize("word", ["", "two\nlines", "carriage\rreturn", "nul\0"])
def test_a_word_that_would_end_a_kadmin_line_is_refused(word: str) -> None:
    """An empty word, or one with a line break or NUL, could split or inject a command."""
    with pytest.raises(ValueError, match="non-empty and on one line"):
        quote(word)


def test_a_script_shows_no_password_and_knows_what_to_redact() -> None:
    """The batch's repr counts commands; its secrets are what error text is redacted against."""
    script = AdminScript("CONTOSO.COM").add_user("alice", SecureString("S3cret pw"), "default")

    assert repr(script) == "AdminScript(CONTOSO.COM, 1 commands)"
    assert script.text() == (
        'add_principal "-policy" "default" "+requires_preauth" "-pw" "S3cret pw" "alice"\n'
    )
    assert redact("echo S3cret pw", script.secrets()) == "echo ****"


def test_redaction_hides_the_longer_secret_first() -> None:
    """A secret containing another is hidden whole, not half."""
    assert redact("pw pw-long", ["pw", "pw-long"]) == "**** ****"
