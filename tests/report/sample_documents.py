"""Report documents built the real way: a loaded playbook's skeleton fed real events.

One run that meets every run outcome (and stops early), one plan that meets every plan
outcome. A Secret canary sits in a before/after value of each: no format may show it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.modules import MODULES
from orchestrator.playbook.loader import build_playbook
from orchestrator.playbook.model import Playbook
from orchestrator.report.document import ReportBuilder, ReportDocument, skeleton
from orchestrator.secrets import Secret
from orchestrator.yamlsource import load_text

CANARY = "Canary-Report-5519!"
SCRIPT = "<script>alert('x')</script>"
PLAYBOOK_PATH = "playbooks/recover.yml"
INVENTORY_PATH = "inventory/site-tb1.yml"

PLAYBOOK = """\
name: Recover TB1
steps:
  - name: Create the new account
    hosts: domain_controller[0]
    ad_user: {name: SMSClient2_TB1, enabled: true}
  - name: Delete the old account
    hosts: domain_controller[0]
    ad_user: {name: SMSClient_TB1, state: absent}
    irreversible: true
  - window:
      name: guest-access
      deadline: 2h
      failsafe: target
      steps:
        - name: Enable the local Guest
          hosts: cap_server
          local_user: {sid: S-1-5-21-*-501, enabled: true}
        - name: Put the local Guest in Users
          hosts: cap_server
          local_group_member: {group_sid: S-1-5-32-545, members: [S-1-5-21-*-501]}
        - name: Wait for the clients
          hosts: site_server[0]
          wait_for:
            probe: {sms_client_status: {site_code: TB1}}
            until: checked_in_ratio >= 0.98
            interval: 60s
            timeout: 110m
  - name: Restart the client service
    hosts: client
    service: {name: CcmExec, state: restarted}
"""

STEP_CREATE, STEP_DELETE, STEP_GUEST, STEP_USERS, STEP_WAIT, STEP_RESTART = (
    "Create the new account",
    "Delete the old account",
    "Enable the local Guest",
    "Put the local Guest in Users",
    "Wait for the clients",
    "Restart the client service",
)
RUN_HOSTS = ("dc1", "cap1", "cap2", "cap3", "cap4", "cap5", "site1", "cl1")
REJECTED = "authentication failed: credential 'cap-local' was rejected (HTTP 401)"
ABORT_REASON = "window 'guest-access' could not be fully reverted"


def playbook() -> Playbook:
    """The sample playbook, loaded and validated like any other."""
    return build_playbook(load_text(PLAYBOOK, PLAYBOOK_PATH), MODULES)


def _build(kind: str, events: list[ev.Event]) -> ReportDocument:
    builder = ReportBuilder(skeleton(kind, playbook(), INVENTORY_PATH))
    for event in events:
        builder(event)
    return builder.document


def run_document() -> ReportDocument:
    """A run: changed, ok, failed, unreachable (at connect and in a step), deadline-missed,
    rolled-back and rollback-failed; the window is left open, so the run stops early."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    finished = ev.HostStepFinished
    events: list[ev.Event] = [
        ev.RunStarted("run-20260301-1", "Recover TB1", RUN_HOSTS, start),
        ev.CredentialAccepted("domain-admin", "TB\\orchestrator", "dc1"),
        ev.CredentialRejected("cap-local", "cap5\\admin", "cap5"),
        finished("(connect)", "cap3", Status.UNREACHABLE, error="cap3:5985: connection refused"),
        finished("(connect)", "cap5", Status.FAILED, error=REJECTED),
        ev.StepStarted(0, STEP_CREATE, "ad_user", ("dc1",)),
        finished(
            STEP_CREATE,
            "dc1",
            Status.CHANGED,
            summary="create SMSClient2_TB1 | enabled",
            before={"exists": False},
            after={"exists": True, "enabled": True, "password": Secret(CANARY, "pw")},
        ),
        ev.StepStarted(1, STEP_DELETE, "ad_user", ("dc1",)),
        finished(STEP_DELETE, "dc1", Status.OK, summary=f"already absent {SCRIPT}"),
        ev.WindowOpened(
            "guest-access",
            start + timedelta(hours=2),
            42.0,
            "1 wave of 3 hosts: 2 undo commands at 3.5s x1.5, plus a 30s connect timeout",
        ),
        ev.StepStarted(2, STEP_GUEST, "local_user", ("cap1", "cap2", "cap4")),
        finished(
            STEP_GUEST,
            "cap1",
            Status.CHANGED,
            summary="enable Guest",
            before={"enabled": False},
            after={"enabled": True},
        ),
        finished(STEP_GUEST, "cap2", Status.UNREACHABLE, error="cap2: connection dropped"),
        finished(
            STEP_GUEST,
            "cap4",
            Status.FAILED,
            error="Set-LocalUser: Access denied | code 5\nsecond line",
            error_id="AccessDenied,Microsoft.PowerShell.Commands.SetLocalUserCommand",
            attempts=3,
        ),
        ev.StepStarted(3, STEP_USERS, "local_group_member", ("cap1",)),
        finished(STEP_USERS, "cap1", Status.CHANGED, summary="add Guest to Users"),
        ev.StepStarted(4, STEP_WAIT, "wait_for", ("site1",)),
        finished(
            STEP_WAIT,
            "site1",
            Status.FAILED,
            error="window deadline near: 40s left, the revert needs 42s",
        ),
        ev.WindowClosing("guest-access", "a step failed inside the window"),
        ev.UndoFinished("guest-access", "cap1", STEP_USERS, True, "Guest removed from Users"),
        ev.UndoFinished("guest-access", "cap1", STEP_GUEST, False, "Guest still enabled"),
        ev.WindowClosed("guest-access", False, ("cap1",)),
        ev.RunAborted(ABORT_REASON),
        ev.RunFinished("run-20260301-1", True, start + timedelta(minutes=4)),
    ]
    doc = _build("run", events)
    doc.exit_code = 3
    return doc


PLAN_HOSTS = ("dc1", "cap1", "cap2", "site1", "cl1", "cl2")
UNKNOWN_REASON = "the clients' check-ins cannot be predicted | they happen later"


def plan_document() -> ReportDocument:
    """A plan: will-change, no-change, unknown (with its reason) and skipped."""
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    events: list[ev.Event] = [
        ev.RunStarted("plan-1", "Recover TB1", PLAN_HOSTS, start),
        ev.CredentialAccepted("domain-admin", "TB\\orchestrator", "dc1"),
        ev.StepStarted(0, STEP_CREATE, "ad_user", ("dc1",)),
        ev.Predicted(
            STEP_CREATE,
            "dc1",
            "will-change",
            "create SMSClient2_TB1",
            {"exists": False},
            {"exists": True, "password": Secret(CANARY, "pw")},
        ),
        ev.StepStarted(1, STEP_DELETE, "ad_user", ("dc1",)),
        ev.Predicted(STEP_DELETE, "dc1", "will-change", "delete SMSClient_TB1"),
        ev.StepStarted(2, STEP_GUEST, "local_user", ("cap1", "cap2")),
        ev.Predicted(
            STEP_GUEST, "cap1", "will-change", "enable Guest", {"enabled": False}, {"enabled": True}
        ),
        ev.Predicted(STEP_GUEST, "cap2", "no-change", "Guest already enabled"),
        ev.StepStarted(3, STEP_USERS, "local_group_member", ("cap1", "cap2")),
        ev.Predicted(STEP_USERS, "cap1", "will-change", "add Guest to Users"),
        ev.Predicted(STEP_USERS, "cap2", "skipped", reason="when: is false"),
        ev.StepStarted(4, STEP_WAIT, "wait_for", ("site1",)),
        ev.Predicted(STEP_WAIT, "site1", "unknown", reason=UNKNOWN_REASON),
        ev.StepStarted(5, STEP_RESTART, "service", ("cl1", "cl2")),
        ev.Predicted(STEP_RESTART, "cl1", "no-change", "CcmExec running"),
        ev.Predicted(STEP_RESTART, "cl2", "will-change", "restart CcmExec"),
        ev.RunFinished("plan-1", False, start + timedelta(seconds=12)),
    ]
    doc = _build("plan", events)
    # the planner computes revert budgets itself and writes them on the document
    doc.windows[0].revert_budget = 42.0
    doc.windows[0].budget_explained = "1 wave of 2 hosts: 2 undo commands at 3.5s x1.5, plus 30s"
    doc.exit_code = 0
    return doc
