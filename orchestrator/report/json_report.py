"""The report as JSON for machines, and the JSON Schema (draft 2020-12) that documents it.

Keys come in a fixed order, `schema_version` first; times are ISO 8601 in UTC; outcomes are
their string values. docs/report.schema.json is `report_schema()` committed (a test checks).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from orchestrator.report.document import (
    SCHEMA_VERSION,
    CredentialCheck,
    EscrowInfo,
    Outcome,
    ReportDocument,
    Result,
    StepInfo,
    WindowInfo,
)
from orchestrator.report.view import iso, plain, safe_text


def render_json(doc: ReportDocument) -> str:
    """The document as indented JSON text, ending with a newline."""
    return json.dumps(report_data(doc), indent=2, ensure_ascii=False) + "\n"


def report_data(doc: ReportDocument) -> dict[str, Any]:
    """The document as plain data, in the shape `report_schema()` describes."""
    counts = doc.counts()
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": doc.kind,
        "playbook": safe_text(doc.playbook),
        "playbook_path": safe_text(doc.playbook_path),
        "inventory_path": safe_text(doc.inventory_path),
        "run_id": safe_text(doc.run_id),
        "started": iso(doc.started),
        "finished": iso(doc.finished),
        "failed": doc.failed,
        "aborted": safe_text(doc.aborted),
        "exit_code": doc.exit_code,
        "notices": [safe_text(n) for n in doc.notices],
        "counts": {o.value: counts.get(o.value, 0) for o in Outcome},
        "hosts": [safe_text(h) for h in doc.hosts],
        "credentials": [_credential(c) for c in doc.credentials],
        "escrows": [_escrow(e) for e in doc.escrows],
        "windows": [_window(w) for w in doc.windows],
        "steps": [_step(s) for s in doc.steps],
        "results": [_result(r) for r in doc.results],
    }


def _credential(check: CredentialCheck) -> dict[str, Any]:
    return {
        "credential": safe_text(check.credential),
        "username": safe_text(check.username),
        "host": safe_text(check.host),
        "ok": check.ok,
        "message": safe_text(check.message),
    }


def _escrow(escrow: EscrowInfo) -> dict[str, Any]:
    return {
        "secret": safe_text(escrow.secret),
        "destination": safe_text(escrow.destination),
        "planned": escrow.planned,
    }


def _window(window: WindowInfo) -> dict[str, Any]:
    return {
        "name": safe_text(window.name),
        "deadline_after": window.deadline_after,
        "failsafe": safe_text(window.failsafe),
        "steps": [safe_text(s) for s in window.steps],
        "deadline": iso(window.deadline),
        "revert_budget": window.revert_budget,
        "budget_explained": safe_text(window.budget_explained),
        "opened": iso(window.opened),
        "closing_reason": safe_text(window.closing_reason),
        "closed": iso(window.closed),
        "margin": window.margin,
        "complete": window.complete,
        "open_hosts": [safe_text(h) for h in window.open_hosts],
    }


def _step(step: StepInfo) -> dict[str, Any]:
    return {
        "index": step.index,
        "name": safe_text(step.name),
        "module": safe_text(step.module),
        "hosts": safe_text(step.hosts),
        "window": None if step.window is None else safe_text(step.window),
        "irreversible": step.irreversible,
        "targets": [safe_text(h) for h in step.targets],
    }


def _result(result: Result) -> dict[str, Any]:
    return {
        "step_index": result.step_index,
        "step": safe_text(result.step),
        "host": safe_text(result.host),
        "outcome": result.outcome.value,
        "summary": safe_text(result.summary),
        "before": plain(result.before),
        "after": plain(result.after),
        "error": safe_text(result.error),
        "error_id": safe_text(result.error_id),
        "reason": safe_text(result.reason),
        "attempts": result.attempts,
        "ignored": result.ignored,
    }


# -- the schema --------------------------------------------------------------------------------

_UTC_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _moment(description: str) -> dict[str, Any]:
    return {
        "type": ["string", "null"],
        "format": "date-time",
        "pattern": _UTC_PATTERN,
        "description": f"{description} (ISO 8601, UTC), or null when unknown",
    }


def _names(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def _list(definition: str, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"$ref": f"#/$defs/{definition}"},
        "description": description,
    }


def _object(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_CREDENTIAL = _object(
    "The preflight: one authentication per credential, before any change.",
    {
        "credential": _text("the credential's name in the inventory"),
        "username": _text("the account it logs on as"),
        "host": _text("the host it was tried on"),
        "ok": {"type": "boolean", "description": "true when the host accepted it"},
        "message": _text("what happened, e.g. 'authenticated' or why it was rejected"),
    },
)

_ESCROW = _object(
    "Where a generated secret was handed over before any host was contacted (never its value).",
    {
        "secret": _text("the secret's name in the playbook"),
        "destination": _text(
            "'file:/absolute/path' or 'command:PROGRAM ARGS'; empty when it has no escrow and"
            " is lost when the run ends"
        ),
        "planned": {
            "type": "boolean",
            "description": "true in a plan: where it would go (the run id is shown as <run id>)",
        },
    },
)

_WINDOW = _object(
    "A timed rollback window: declared, and (for runs) what happened to it.",
    {
        "name": _text("the window's name"),
        "deadline_after": {
            "type": "number",
            "description": "seconds after opening by which every change in it is undone",
        },
        "failsafe": {
            "type": "string",
            "description": "'target': a scheduled task on each host also undoes the changes"
            " at the deadline; 'none': only the orchestrator does",
        },
        "steps": _names("the names of the steps inside the window, in order"),
        "deadline": _moment("when everything in the window must be undone"),
        "revert_budget": {
            "type": ["number", "null"],
            "description": "seconds the revert is expected to need at most, or null",
        },
        "budget_explained": _text("how the revert budget was computed; empty when unknown"),
        "opened": _moment("when the window opened"),
        "closing_reason": _text("why forward work stopped and the revert began; empty if not"),
        "closed": _moment("when the window closed"),
        "margin": {
            "type": ["number", "null"],
            "description": "seconds between closing and the deadline (negative: late), or null",
        },
        "complete": {
            "type": ["boolean", "null"],
            "description": "true: every change undone and verified; false: some hosts still"
            " hold changes; null: the window never closed (or this is a plan)",
        },
        "open_hosts": _names("hosts still holding changes; their failsafes stay armed"),
    },
)

_STEP = _object(
    "A step as the playbook declares it.",
    {
        "index": {"type": "integer", "minimum": 0, "description": "0-based position"},
        "name": _text("the step's name"),
        "module": _text("the kind of step, e.g. 'local_user'"),
        "hosts": _text("the host pattern it targets, as written"),
        "window": {
            "type": ["string", "null"],
            "description": "the window it belongs to, or null",
        },
        "irreversible": {
            "type": "boolean",
            "description": "true when its change has no undo (no window can roll it back)",
        },
        "targets": _names("the hosts it was started on; empty when it never started"),
    },
)

_RESULT = _object(
    "One step on one host: what happened (run) or would happen (plan).",
    {
        "step_index": {
            "type": "integer",
            "minimum": -1,
            "description": "the step's index; -1 for work before the steps, e.g. '(connect)'",
        },
        "step": _text("the step's name, or a pseudo-step such as '(connect)'"),
        "host": _text("the host's name"),
        "outcome": {
            "enum": [o.value for o in Outcome],
            "description": "run: ok, changed, failed, skipped, unreachable, rolled-back,"
            " rollback-failed, deadline-missed; plan: will-change, no-change, unknown, skipped",
        },
        "summary": _text("the change in one line"),
        "before": {"type": "object", "description": "the state probed before (no secrets)"},
        "after": {"type": "object", "description": "the state after, or wanted (no secrets)"},
        "error": _text("the error message, when the step failed"),
        "error_id": _text("the remote error's FullyQualifiedErrorId, when there is one"),
        "reason": _text("plan: why unknown; run: why rolled back or missed"),
        "attempts": {"type": "integer", "minimum": 1, "description": "attempts made"},
        "ignored": {
            "type": "boolean",
            "description": "true when a failure is ignored (the step says ignore_errors)",
        },
    },
)


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `render_json`'s output."""
    top = _object(
        "What a run did, or a plan would do, per host and step, with its windows.",
        {
            "schema_version": {
                "const": SCHEMA_VERSION,
                "description": "the version of this format; it changes when a field does",
            },
            "kind": {"enum": ["run", "plan"], "description": "a run's report or a plan's"},
            "playbook": _text("the playbook's name"),
            "playbook_path": _text("the playbook file"),
            "inventory_path": _text("the inventory file"),
            "run_id": _text("the run's id (in the journal); empty when there is none"),
            "started": _moment("when the run or plan started"),
            "finished": _moment("when it finished"),
            "failed": {
                "type": "boolean",
                "description": "true when a result failed (not ignored) or the run stopped early",
            },
            "aborted": _text("why the run stopped before its end; empty when it did not"),
            "exit_code": {
                "type": ["integer", "null"],
                "description": "the command's exit code, when known",
            },
            "notices": _names(
                "security notices on the hosts reached, e.g. certificate validation turned off;"
                " empty when there are none"
            ),
            "counts": _object(
                "how many results have each outcome",
                {
                    o.value: {"type": "integer", "minimum": 0, "description": f"{o.value} results"}
                    for o in Outcome
                },
            ),
            "hosts": _names("every host of the run, in order"),
            "credentials": _list("credential", "the credential preflight, in order"),
            "escrows": _list("escrow", "each generated secret's escrow, in playbook order"),
            "windows": _list("window", "the playbook's rollback windows, in order"),
            "steps": _list("step", "the playbook's steps, in order"),
            "results": _list("result", "one per step and host, in the order they came"),
        },
    )
    defs = {
        "credential": _CREDENTIAL,
        "escrow": _ESCROW,
        "window": _WINDOW,
        "step": _STEP,
        "result": _RESULT,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:orchestrator:report:{SCHEMA_VERSION}",
        "title": "orchestrator report",
        **top,
        "$defs": copy.deepcopy(defs),  # a caller may change its copy, never ours
    }
