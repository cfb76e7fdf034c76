"""probe, assert and the probes they read, against the lab: values, preconditions, names."""

from __future__ import annotations

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import StepError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.protocol import StepContext
from orchestrator.templating import Templar

from .conftest import Host, args


def _ctx(host: str, **variables: object) -> StepContext:
    return StepContext(host, variables, Templar().evaluate)


def test_probe_reads_which_clients_are_broken(lab: DomainBackend) -> None:
    """On the article's site every client fails with #2147942405: all are broken; a probe
    changes nothing and keeps its values as the diff's before."""
    host = Host(lab, "SITE1")
    outcome = host.step(
        "probe", args("probe", sms_client_status={"site_code": "TB1"}), _ctx("SITE1")
    )
    assert outcome.status is Status.OK
    assert outcome.diff.before["broken"] == [f"WKS000{n}" for n in range(1, 6)]
    assert outcome.diff.before["site_accounts"] == ["CONTOSO\\SMSClient_TB1"]
    assert host.mutations() == []


def test_a_healthy_site_has_no_broken_client(healthy: DomainBackend) -> None:
    """Every client checked in with an account the site hands out: nothing is broken."""
    values = Host(healthy, "SITE1").probe(
        "probe", args("probe", sms_client_status={"site_code": "TB1"}), _ctx("SITE1")
    )
    assert values["broken"] == []
    assert values["failing_other"] == []


def test_an_assertion_that_holds_changes_nothing(lab: DomainBackend) -> None:
    """`that` over the probe's values and the variables: holds, so the step is ok."""
    given = args("assert", path={"path": "HKLM:\\Software"}, that="exists and wanted", msg="m")
    outcome = Host(lab, "WKS0001").step("assert", given, _ctx("WKS0001", wanted=True))
    assert outcome.status is Status.OK
    assert outcome.diff.summary == "holds: exists and true (probed: exists = true)"


def test_an_assertion_that_fails_stops_with_its_message(lab: DomainBackend) -> None:
    """A precondition not met fails the step with its message, sending nothing that changes."""
    host = Host(lab, "WKS0001")
    given = args("assert", path={"path": "HKLM:\\Software\\Nowhere"}, that="exists", msg="no key")
    with pytest.raises(StepError, match="precondition not met: no key"):
        host.step("assert", given, _ctx("WKS0001"))
    assert host.mutations() == []


def test_connection_account_names_count_up_and_name_the_one_to_retire(
    healthy: DomainBackend,
) -> None:
    """The healthy site's AD holds SMSClient_TB1 and SMSClient2_TB1: the next name is
    SMSClient3_TB1; one account in the site's list retires nothing, two retire the oldest."""
    dc = Host(healthy, "DC1")
    one = dc.probe(
        "probe",
        args("probe", connection_accounts={"site_code": "TB1",
                                           "site_accounts": ["CONTOSO\\SMSClient_TB1"]}),
        _ctx("DC1"),
    )  # fmt: skip
    assert (one["next"], one["retire"]) == ("SMSClient3_TB1", None)
    assert one["names"] == ["SMSClient_TB1", "SMSClient2_TB1"]
    two = dc.probe(
        "probe",
        args("probe", connection_accounts={"site_code": "TB1", "site_accounts": [
            "CONTOSO\\SMSClient_TB1", "CONTOSO\\SMSClient7_TB1"]}),
        _ctx("DC1"),
    )  # fmt: skip
    assert (two["next"], two["retire"], two["highest"]) == ("SMSClient8_TB1", "SMSClient_TB1", 7)
