"""Which method applies, and why: the rule table over constructed facts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from orchestrator.diagnosis import diagnose
from orchestrator.diagnosis.facts import Facts, Failure, Part, Unread
from orchestrator.diagnosis.rules import RULES, assess
from orchestrator.diagnosis.verdicts import Assessment, Verdict

from .sites import (
    LOGON_ON,
    OLD,
    SECOND,
    account,
    broken,
    caps,
    client_hosts,
    failing,
    findings,
    healthy,
    locked,
    with_accounts,
    with_site,
)


def _verdicts(facts: Facts) -> dict[str, Verdict]:
    return {a.method.key: a.verdict for a in assess(findings(facts))}


def _method(facts: Facts, key: str) -> Assessment:
    return next(a for a in assess(findings(facts)) if a.method.key == key)


def _blocked_by(facts: Facts, key: str, text: str) -> None:
    assessment = _method(facts, key)
    assert assessment.verdict is Verdict.BLOCKED, assessment
    assert any(text in b for b in assessment.evaluation.blockers), assessment.evaluation.blockers


def test_the_table_has_one_rule_per_method_in_order() -> None:
    """Nothing, methods 1 to 3 (recovery, in the article's order), then the rotation."""
    keys = [(m.key, m.recovery) for m, _ in RULES]
    assert keys == [("nothing", False), ("method-1", True), ("method-2", True),
                    ("method-3", True), ("rotation", False)]  # fmt: skip
    playbooks = {m.key: m.playbook for m, _ in RULES}
    assert playbooks == {
        "nothing": None,
        "method-1": "playbooks/smsman-reinstall.yml",
        "method-2": "playbooks/orphan-and-reinstall.yml",
        "method-3": "playbooks/guest-window.yml",
        "rotation": "playbooks/rotate-connection-account.yml",
    }


def test_a_healthy_site_with_two_accounts_needs_nothing() -> None:
    """Nothing to do is the only recommendation; the diagnosis is healthy."""
    assert _verdicts(healthy()) == {
        "nothing": Verdict.RECOMMENDED,
        "method-1": Verdict.NOT_NEEDED,
        "method-2": Verdict.NOT_NEEDED,
        "method-3": Verdict.NOT_NEEDED,
        "rotation": Verdict.NOT_NEEDED,
    }
    d = diagnose(healthy())
    assert d.healthy
    assert d.state() == "healthy"
    assert d.recommended == ()


def test_a_working_site_with_one_account_gets_the_rotation() -> None:
    """Every client checked in, but one account: the rotation (Q237759) is recommended."""
    facts = with_site(healthy(), accounts=(OLD,))
    assert _verdicts(facts)["rotation"] is Verdict.RECOMMENDED
    assert _verdicts(facts)["nothing"] is Verdict.NOT_NEEDED
    d = diagnose(facts)
    assert d.state() == "at-risk"
    assert not d.healthy
    assert [a.method.key for a in d.recommended] == ["rotation"]
    assert _method(facts, "rotation").evaluation.hosts == ("DC1", "SITE1")


def test_the_articles_site_gets_method_1_with_the_others_as_alternatives() -> None:
    """Logon methods on, Smsman.exe on every client, Guest possible: method 1 recommended,
    2 and 3 alternatives, the rotation recommended after the recovery."""
    facts = broken()
    assert _verdicts(facts) == {
        "nothing": Verdict.NOT_NEEDED,
        "method-1": Verdict.RECOMMENDED,
        "method-2": Verdict.ALTERNATIVE,
        "method-3": Verdict.ALTERNATIVE,
        "rotation": Verdict.RECOMMENDED,
    }
    one = _method(facts, "method-1").evaluation
    assert one.hosts == ("WKS0001", "WKS0002", "WKS0003", "DC1", "SITE1")
    assert any("after the recovery" in c for c in _method(facts, "rotation").evaluation.caveats)
    three = _method(facts, "method-3").evaluation
    assert three.hosts == ("DC1", "SITE1", "CAP1")
    assert three.extra_vars == ()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (replace(LOGON_ON, logon_discovery=False, logon_installation=False), "both off"),
        (None, "unknown (Get-CMSite is not available on SITE1)"),
    ],
)
def test_methods_1_and_2_need_a_logon_method(settings: object, expected: str) -> None:
    """Logon Discovery and Installation off, or unknown: methods 1 and 2 are blocked, so the
    Guest window (method 3) is recommended."""
    unknown = "" if settings else "Get-CMSite is not available on SITE1"
    facts = with_site(broken(), settings=settings, settings_unknown=unknown)
    _blocked_by(facts, "method-1", expected)
    _blocked_by(facts, "method-2", expected)
    assert _verdicts(facts)["method-3"] is Verdict.RECOMMENDED


def test_a_missing_smsman_on_a_client_makes_method_2_the_choice() -> None:
    """Without the client's own Smsman.exe there is no /u: method 1 is blocked, method 2 (the
    client uninstalls itself) is recommended."""
    facts = broken(client_hosts=client_hosts(smsman=False))
    _blocked_by(facts, "method-1", "Smsman.exe is not at")
    assert _verdicts(facts)["method-2"] is Verdict.RECOMMENDED


def test_without_a_logon_point_methods_1_and_2_cannot_run() -> None:
    """Both playbooks run Smsman.exe from the logon point's share."""
    facts = broken(scope=replace(broken().scope, logon_points=()))
    _blocked_by(facts, "method-1", "no logon_point host")
    _blocked_by(facts, "method-2", "no logon_point host")


def test_a_stuck_client_is_cured_by_method_2() -> None:
    """A client whose timestamp cannot be read (Q265358): method 2 writes it anew."""
    stuck = replace(failing("WKS0001"), site_config_last_checked=None, timestamp_readable=False)
    facts = with_site(broken(), clients=(stuck,))
    reasons = _method(facts, "method-2").evaluation.reasons
    assert any("stuck WKS0001 (Q265358)" in r for r in reasons)


@pytest.mark.parametrize(
    ("facts", "blocker"),
    [
        (broken(caps=caps(lbpu=1)), "Guest cannot work on CAP1: LimitBlankPasswordUse=1"),
        (broken(caps=caps(lbpu=None)), "cannot confirm that Guest works on CAP1"),
        (broken(client_hosts=client_hosts(guest=0)), "WKS0001 refuses Guest"),
        (broken(client_hosts=client_hosts(guest=None)), "cannot confirm that WKS0001 accepts"),
        (broken(caps=()), "no CAP server"),
    ],
    ids=["limit-blank-password-use", "lbpu-not-set", "insecure-guest-off", "unset", "no-cap"],
)
def test_a_guest_barrier_refuses_method_3(facts: Facts, blocker: str) -> None:
    """LimitBlankPasswordUse on a member-server CAP, AllowInsecureGuestAuth off on a client,
    or either unconfirmed: method 3 is blocked, whatever else applies."""
    if not facts.caps:
        facts = replace(facts, scope=replace(facts.scope, caps=()))
    _blocked_by(facts, "method-3", blocker)


def test_limit_blank_password_use_on_a_dc_cap_blocks_only_through_the_playbook() -> None:
    """The DC's Guest is a domain account (not concerned), yet guest-window.yml checks every CAP."""
    dc, cap = caps()
    facts = broken(caps=(replace(dc, limit_blank_password_use=1), cap))
    f = findings(facts)
    assert f.caps[0].can_work is True
    _blocked_by(facts, "method-3", "DC1: LimitBlankPasswordUse=1")


def test_method_3_never_deletes_a_protected_or_still_used_account() -> None:
    """An operator's account held by a failing client, or an account checked-in clients still
    use, blocks method 3; so do two existing accounts (the playbook deletes one)."""
    admin = "CONTOSO\\labadmin"
    facts = with_accounts(with_site(broken(), clients=(failing("WKS0001", admin),)),
                          account(admin, 1000))  # fmt: skip
    _blocked_by(facts, "method-3", "operator's or built-in account")
    mixed = with_site(broken(), accounts=(OLD, SECOND), clients=(
        failing("WKS0001", SECOND), replace(failing("WKS0002", SECOND), status="CheckedIn",
                                            last_error=0)))  # fmt: skip
    mixed = with_accounts(mixed, locked(), account(SECOND, 1105))
    _blocked_by(mixed, "method-3", "valid for checked-in WKS0002")
    two = with_accounts(with_site(broken(), clients=(failing("WKS0001", OLD, SECOND),)),
                        locked(), locked(SECOND))  # fmt: skip
    _blocked_by(two, "method-3", "deletes one (old_account)")


def test_method_3_names_the_account_to_delete_when_it_is_not_the_default() -> None:
    """A held account other than SMSClient_<site> is passed as -e old_account=..."""
    other = "CONTOSO\\SmsConn_TB1"
    facts = with_accounts(
        with_site(broken(), accounts=(other,), clients=(failing("WKS0001", other),)), locked(other)
    )
    three = _method(facts, "method-3")
    assert three.evaluation.extra_vars == ("old_account=SmsConn_TB1",)
    assert three.command("inv.yml") == (
        "orchestrator plan playbooks/guest-window.yml -i inv.yml -e old_account=SmsConn_TB1"
    )


def test_the_playbooks_new_account_must_not_exist_for_method_3() -> None:
    """guest-window.yml creates SMSClient2_<site>: an existing one blocks it."""
    facts = with_accounts(broken(), locked(), account(SECOND, 1105))
    _blocked_by(facts, "method-3", "SMSClient2_TB1, the playbook's new account, exists")


def test_something_unread_means_nothing_can_be_confirmed() -> None:
    """A healthy site with a CAP unreachable: "nothing to do" is blocked, not recommended."""
    unread = (Unread(Part.CAP, "CAP1", Failure.UNREACHABLE, "connection refused"),)
    facts = healthy(caps=caps()[:1], unread=unread)
    _blocked_by(facts, "nothing", "cap on CAP1 could not be read")
    assert not diagnose(facts).complete


def test_the_first_recovery_that_can_run_is_recommended_the_rest_are_alternatives() -> None:
    """assess: verdicts depend on the table's order, not on the rules' own opinions."""
    f = findings(broken())
    reordered = (RULES[3], RULES[1], RULES[2])
    assert [a.verdict for a in assess(f, reordered)] == [
        Verdict.RECOMMENDED, Verdict.ALTERNATIVE, Verdict.ALTERNATIVE]  # fmt: skip


def test_without_the_domain_controller_no_playbook_is_recommended() -> None:
    """Every playbook changes accounts on the first DC: unread, every method is blocked."""
    facts = broken(directory=None)
    verdicts = _verdicts(facts)
    assert {verdicts[k] for k in ("method-1", "method-2", "method-3", "rotation")} == {
        Verdict.BLOCKED
    }
    _blocked_by(facts, "method-3", "first domain controller could not be read")
