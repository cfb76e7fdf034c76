"""The diagnosis as JSON for machines, and the JSON Schema (draft 2020-12) that documents it.

Keys come in a fixed order, `schema_version` first; times are ISO 8601 in UTC. The committed
docs/diagnose.schema.json is `diagnosis_schema()` written out (a test checks), with:

    .venv/bin/python -c 'import json; from orchestrator.diagnosis.json_report import
    diagnosis_schema; print(json.dumps(diagnosis_schema(), indent=2, ensure_ascii=False))'
    > docs/diagnose.schema.json
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.diagnosis.accounts import AccountFinding, AccountState
from orchestrator.diagnosis.clients import ClientCause, ClientFinding
from orchestrator.diagnosis.findings import Note, Severity, SiteFinding
from orchestrator.diagnosis.guest import ClientHostFinding, GuestFinding
from orchestrator.diagnosis.outcome import Diagnosis
from orchestrator.diagnosis.report import SCHEMA_VERSION, Header, iso
from orchestrator.diagnosis.verdicts import Assessment, Verdict


def render_json(diagnosis: Diagnosis, header: Header) -> str:
    """The diagnosis as indented JSON text, ending with a newline."""
    return json.dumps(diagnosis_data(diagnosis, header), indent=2, ensure_ascii=False) + "\n"


def diagnosis_data(d: Diagnosis, header: Header) -> dict[str, Any]:
    """The diagnosis as plain data, in the shape `diagnosis_schema()` describes."""
    f = d.findings
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "diagnosis",
        "orchestrator_version": header.version,
        "generated": iso(header.generated),
        "inventory_path": header.inventory,
        "limit": header.limit,
        "site_code": header.site_code,
        "state": d.state(),
        "healthy": d.healthy,
        "complete": d.complete,
        "exit_code": header.exit_code,
        "recommended": [a.method.key for a in d.recommended],
        "notes": [_note(n) for n in f.notes],
        "methods": [_method(a, header) for a in d.methods],
        "clients": [_client(c) for c in f.clients],
        "accounts": [_account(a) for a in f.accounts],
        "site": _site(f.site) if f.site else None,
        "caps": [_cap(c) for c in f.caps],
        "client_hosts": [_client_host(h) for h in f.client_hosts],
        "smsman_path": d.facts.smsman_path,
        "unread": [
            {"part": u.part.value, "host": u.host, "failure": u.failure.value, "reason": u.reason}
            for u in d.facts.unread
        ],
        "credentials_rejected": [
            {"credential": r.credential, "username": r.username, "host": r.host}
            for r in header.rejected
        ],
    }


def _note(note: Note) -> dict[str, Any]:
    return {
        "severity": note.severity.value,
        "code": note.code,
        "message": note.message,
        "subjects": list(note.subjects),
    }


def _method(a: Assessment, header: Header) -> dict[str, Any]:
    e = a.evaluation
    return {
        "key": a.method.key,
        "title": a.method.title,
        "source": a.method.source,
        "playbook": a.method.playbook,
        "verdict": a.verdict.value,
        "reasons": list(e.reasons),
        "blockers": list(e.blockers),
        "caveats": list(e.caveats),
        "hosts": list(e.hosts),
        "extra_vars": list(e.extra_vars),
        "command": a.command(header.inventory),
    }


def _client(c: ClientFinding) -> dict[str, Any]:
    return {
        "name": c.name,
        "status": c.status,
        "installed": c.installed,
        "cause": c.cause.value,
        "broken": c.broken,
        "stuck": c.stuck,
        "last_error": {
            "code": c.error.code,
            "hex": c.error.hex,
            "symbol": c.error.symbol,
            "meaning": c.error.meaning,
        },
        "accounts": [{"name": name, "state": state.value} for name, state in c.accounts],
        "site_config_last_checked": c.site_config_last_checked,
        "explanation": c.explanation,
    }


def _account(a: AccountFinding) -> dict[str, Any]:
    facts = a.facts
    return {
        "name": a.name,
        "state": a.state.value,
        "valid": a.valid,
        "in_site": a.in_site,
        "exists": facts.exists if facts and not facts.foreign else None,
        "enabled": facts.enabled if facts else None,
        "locked_out": facts.locked_out if facts else None,
        "listed_locked_out": a.listed_locked,
        "bad_logon_count": facts.bad_logon_count if facts else None,
        "lockout_time": facts.lockout_time if facts else None,
        "last_bad_password_attempt": facts.last_bad_password_attempt if facts else None,
        "known_by": list(a.known_by),
        "likely_lockers": list(a.lockers),
        "protected": a.protected,
    }


def _site(s: SiteFinding) -> dict[str, Any]:
    settings = s.settings
    return {
        "site_code": s.site_code,
        "server": s.server,
        "connection_accounts": list(s.accounts),
        "too_few_accounts": s.too_few_accounts,
        "logon_methods": s.logon_methods,
        "logon_discovery": settings.logon_discovery if settings else None,
        "logon_installation": settings.logon_installation if settings else None,
        "logon_points": list(settings.logon_points) if settings else [],
        "logon_share": settings.logon_share if settings else None,
        "smsman_path": settings.smsman_path if settings else None,
        "settings_unknown": s.settings_unknown,
    }


def _cap(c: GuestFinding) -> dict[str, Any]:
    return {
        "host": c.host,
        "on_dc": c.on_dc,
        "guest": c.guest,
        "guest_enabled": c.guest_enabled,
        "limit_blank_password_use": c.limit_blank_password_use,
        "guest_can_work": c.can_work,
        "reason": c.reason,
    }


def _client_host(h: ClientHostFinding) -> dict[str, Any]:
    return {
        "host": h.host,
        "read": h.read,
        "allow_insecure_guest_auth": h.allow_insecure_guest_auth,
        "accepts_guest": h.accepts_guest,
        "reason": h.guest_reason,
        "smsman_found": h.smsman,
    }


# -- the schema ---------------------------------------------------------------------------------


def _t(kind: str | list[str], text: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "description": text, **more}


def _obj(text: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": text,
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _strings(text: str) -> dict[str, Any]:
    return _t("array", text, items={"type": "string"})


def _enum(values: list[Any], text: str, *, nullable: bool = False) -> dict[str, Any]:
    return {"enum": [*values, None] if nullable else values, "description": text}


_OPT_BOOL = ["boolean", "null"]
_OPT_INT = ["integer", "null"]
_OPT_STR = ["string", "null"]


def _defs() -> dict[str, Any]:
    states = [s.value for s in AccountState]
    return {
        "note": _obj("One headline of the diagnosis.", {
            "severity": _enum([s.value for s in Severity], "problem (the site needs recovery),"
                              " warning (prevention, security, something unread) or info."),
            "code": _t("string", "A stable identifier of the kind of note, e.g. clients-failing."),
            "message": _t("string", "The note for people."),
            "subjects": _strings("The hosts or accounts it is about."),
        }),
        "method": _obj("One row of the method table: a method of Q236052 or Q237759's rotation.", {
            "key": _enum(["nothing", "method-1", "method-2", "method-3", "rotation"],
                         "The method's identifier."),
            "title": _t("string", "The method's name."),
            "source": _t("string", "The KB article (and method) it comes from."),
            "playbook": _t(_OPT_STR, "The playbook that carries it out (null: nothing to run)."),
            "verdict": _enum([v.value for v in Verdict], "recommended, alternative (applies,"
                             " another one comes first), blocked, or not-needed."),
            "reasons": _strings("Why it applies (or why it is not needed)."),
            "blockers": _strings("What stops it; empty when it can run."),
            "caveats": _strings("What to know before running it."),
            "hosts": _strings("The hosts its playbook would touch."),
            "extra_vars": _strings("The -e key=value its playbook needs for this site."),
            "command": _t(_OPT_STR, "The `orchestrator plan` to review before running it."),
        }),
        "client": _obj("One client as the site server sees it, judged.", {
            "name": _t("string", "The client's name."),
            "status": _t("string", "As the site says: CheckedIn, Failing, Pending, Uninstalled."),
            "installed": _t("boolean", "Whether the SMS client is installed."),
            "cause": _enum([c.value for c in ClientCause], "Why it is in its state."),
            "broken": _t("boolean", "Needs recovery: failing, uninstalled or stuck."),
            "stuck": _t("boolean", "Its Site Config Last Checked cannot be read (Q265358)."),
            "last_error": _obj("Its last error, an HRESULT, decoded.", {
                "code": _t("integer", "The HRESULT as Ccim32.log prints it (0: none)."),
                "hex": _t("string", "The HRESULT in hexadecimal."),
                "symbol": _t("string", "Its name, e.g. E_ACCESSDENIED (empty when unknown)."),
                "meaning": _t("string", "What it means for the client (empty when unknown)."),
            }),
            "accounts": _t("array", "The connection accounts it holds, in the order it tries"
                           " them.", items=_obj("An account the client holds.", {
                               "name": _t("string", "DOMAIN\\name."),
                               "state": _enum(states, "The account's state now."),
                           })),
            "site_config_last_checked": _t(_OPT_STR, "The raw REG_SZ value (null: missing)."),
            "explanation": _t("string", "Why, in words."),
        }),
        "account": _obj("A connection account the site or a client knows.", {
            "name": _t("string", "DOMAIN\\name, as the site or a client names it."),
            "state": _enum(states, "valid, or why not: missing, disabled, locked-out,"
                           " not-in-site, foreign (another domain), unknown (not read)."),
            "valid": _t("boolean", "Exists, enabled, not locked out, in the site's list."),
            "in_site": _t("boolean", "The site hands it out (Get-CMClientConnectionAccount)."),
            "exists": _t(_OPT_BOOL, "It exists in AD (null: not read)."),
            "enabled": _t(_OPT_BOOL, "Enabled in AD (null: not read or missing)."),
            "locked_out": _t(_OPT_BOOL, "Get-ADUser's LockedOut (null: not read or missing)."),
            "listed_locked_out": _t(_OPT_BOOL, "Search-ADAccount -LockedOut lists it."),
            "bad_logon_count": _t(_OPT_INT, "badPwdCount."),
            "lockout_time": _t(_OPT_STR, "When it was locked out (null: not locked)."),
            "last_bad_password_attempt": _t(_OPT_STR, "When the last bad password came."),
            "known_by": _strings("The installed clients that hold it."),
            "likely_lockers": _strings("The clients that hold it and fail (Q227033)."),
            "protected": _t("boolean", "An operator's or built-in account: never deleted."),
        }),
        "site": _obj("The site's own state.", {
            "site_code": _t("string", "The site code."),
            "server": _t("string", "The site server it was read on."),
            "connection_accounts": _strings("Its client connection accounts, in order."),
            "too_few_accounts": _t("boolean", "Fewer than two (Q237759)."),
            "logon_methods": _t(_OPT_BOOL, "Windows NT Logon Discovery or Logon Installation on"
                                " (null: unknown)."),
            "logon_discovery": _t(_OPT_BOOL, "Windows NT Logon Discovery (null: unknown)."),
            "logon_installation": _t(_OPT_BOOL, "Windows NT Logon Installation (null: unknown)."),
            "logon_points": _strings("The logon points."),
            "logon_share": _t(_OPT_STR, "The logon share (null: unknown)."),
            "smsman_path": _t(_OPT_STR, "Where the site says Smsman.exe is (null: unknown)."),
            "settings_unknown": _t("string", "Why the settings are unknown (empty: known)."),
        }),
        "cap": _obj("A CAP server: whether Guest can work there.", {
            "host": _t("string", "The CAP server."),
            "on_dc": _t(_OPT_BOOL, "A domain controller: the domain Guest serves it."),
            "guest": _t(_OPT_STR, "The Guest's name (RID 501; null: not found or not read)."),
            "guest_enabled": _t(_OPT_BOOL, "The Guest is enabled now."),
            "limit_blank_password_use": _t(_OPT_INT, "LimitBlankPasswordUse (null: not set)."),
            "guest_can_work": _t(_OPT_BOOL, "Guest can work here (null: cannot be confirmed)."),
            "reason": _t("string", "Why, in words."),
        }),
        "client_host": _obj("A client host of the inventory.", {
            "host": _t("string", "The client host."),
            "read": _t("boolean", "It could be read."),
            "allow_insecure_guest_auth": _t(_OPT_INT, "AllowInsecureGuestAuth (null: not set)."),
            "accepts_guest": _t(_OPT_BOOL, "Its SMB client accepts Guest (null: unconfirmed)."),
            "reason": _t("string", "Why, in words."),
            "smsman_found": _t(_OPT_BOOL, "Smsman.exe is at smsman_path (null: not read)."),
        }),
    }  # fmt: skip


def diagnosis_schema() -> dict[str, Any]:
    """The JSON Schema of `render_json`'s output."""

    def ref(name: str, text: str) -> dict[str, Any]:
        return _t("array", text, items={"$ref": f"#/$defs/{name}"})

    schema = _obj("orchestrator diagnose: a read-only diagnosis of an SMS 2.0 site (Q236052).", {
        "schema_version": {"const": SCHEMA_VERSION, "description": "Changes when a field does."},
        "kind": {"const": "diagnosis", "description": "Always `diagnosis`."},
        "orchestrator_version": _t("string", "The orchestrator that wrote it."),
        "generated": _t("string", "When, ISO 8601 in UTC.", format="date-time"),
        "inventory_path": _t("string", "The inventory given with -i."),
        "limit": _t(_OPT_STR, "The --limit given (null: none)."),
        "site_code": _t("string", "The site diagnosed."),
        "state": _enum(["healthy", "at-risk", "broken", "unknown"], "healthy; at-risk (working,"
                       " prevention recommended); broken (clients need recovery); unknown (the"
                       " site could not be read)."),
        "healthy": _t("boolean", "Nothing to recover, nothing to prevent."),
        "complete": _t("boolean", "Everything could be read."),
        "exit_code": _enum([0, 1, 5, 6], "The command's exit code (docs/diagnose.md)."),
        "recommended": _strings("The keys of the methods to run, in order."),
        "notes": ref("note", "The headlines, most serious first."),
        "methods": ref("method", "Every method with its verdict, in the table's order."),
        "clients": ref("client", "Every client of the site."),
        "accounts": ref("account", "Every connection account the site or a client knows."),
        "site": {"anyOf": [{"$ref": "#/$defs/site"}, {"type": "null"}],
                 "description": "The site's own state (null: the site could not be read)."},
        "caps": ref("cap", "Every CAP server of the inventory."),
        "client_hosts": ref("client_host", "Every client host of the inventory."),
        "smsman_path": _t("string", "Where the method 1 and 2 playbooks run Smsman.exe."),
        "unread": _t("array", "What could not be read.", items=_obj("A part not read.", {
            "part": _enum(["site", "directory", "cap", "client"], "What was being read."),
            "host": _t("string", "Where."),
            "failure": _enum(["unreachable", "refused", "failed"], "Why it could not be."),
            "reason": _t("string", "The error, in words."),
        })),
        "credentials_rejected": _t("array", "Credentials a host rejected (one logon each).",
                                   items=_obj("A rejected credential.", {
                                       "credential": _t("string", "Its name in the inventory."),
                                       "username": _t("string", "Its user name."),
                                       "host": _t("string", "The host that rejected it."),
                                   })),
    })  # fmt: skip
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:orchestrator:diagnosis:1",
        "title": "orchestrator diagnosis",
        **schema,
        "$defs": _defs(),
    }
