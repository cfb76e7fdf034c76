"""The value names and kinds each probe declares (checked before a run) are what it returns,
read from the lab: for a thing that exists and for one that does not."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.probes import VALUE_KINDS
from orchestrator.samples import matches

from .conftest import Host, args

# (probe, host, arguments that find something, arguments that find nothing)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("sms_client_status", "SITE1", {"site_code": "TB1", "account": "CONTOSO\\SMSClient_TB1"}, None),
    ("sms_site", "SITE1", {"site_code": "TB1"}, {"site_code": "ZZ9"}),
    ("service", "WKS0001", {"name": "Clisvcl"}, {"name": "NoSuchService"}),
    (
        "registry",
        "CAP1",
        {"path": "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa", "name": "LimitBlankPasswordUse"},
        {"path": "HKLM:\\Software\\Nowhere", "name": "x"},
    ),
    ("path", "WKS0001", {"path": "HKLM:\\Software"}, {"path": "HKLM:\\Software\\Nowhere"}),
    ("ad_user", "DC1", {"name": "SMSClient_TB1"}, {"name": "nobody"}),
    ("local_user", "CAP1", {"sid": "S-1-5-21-*-501"}, {"name": "nobody"}),
    ("connection_accounts", "DC1", {"site_code": "TB1"}, None),
]


def _read(lab: DomainBackend, probe: str, host: str, given: dict[str, Any]) -> dict[str, Any]:
    values = Host(lab, host).probe("probe", args("probe", **{probe: given}))
    assert isinstance(values, dict)
    return values


@pytest.mark.parametrize(("probe", "host", "found", "missing"), CASES, ids=[c[0] for c in CASES])
def test_a_probe_returns_exactly_the_values_it_declares(
    lab: DomainBackend,
    probe: str,
    host: str,
    found: dict[str, Any],
    missing: dict[str, Any] | None,
) -> None:
    """Same names, each value of its declared kind, whether or not the thing exists."""
    kinds = VALUE_KINDS[probe]
    for given in (found, missing):
        if given is None:
            continue
        values = _read(lab, probe, host, given)
        assert set(values) == set(kinds), (given, values)
        wrong = {n: v for n, v in values.items() if not matches(v, kinds[n])}
        assert wrong == {}, (given, wrong)


def test_every_probe_is_covered() -> None:
    """A new probe gets its declared values checked here too."""
    assert {case[0] for case in CASES} == set(VALUE_KINDS)
