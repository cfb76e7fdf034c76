"""The JSON Schema of playbooks, for editors (yaml-language-server) and CI checks.

Built from the same pydantic models the loader validates with. Inside module arguments any
value may also be a jinja template string: those are checked again once rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.playbook.model import PlaybookFields, StepFields, WindowFields

if TYPE_CHECKING:
    from orchestrator.modules import Registry

SCHEMA_ID = "https://orchestrator.invalid/schemas/playbook.schema.json"
_TEMPLATE = {"type": "string", "pattern": r"\{\{|\{%", "description": "a jinja template"}


def playbook_schema(modules: Registry) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a playbook document using these modules."""
    defs: dict[str, Any] = {}
    step_ref = {"$ref": "#/$defs/Step"}
    defs["Step"] = _step_schema(defs, modules)
    defs["WindowItem"] = _window_item_schema(defs, step_ref)
    root = _inline(PlaybookFields.model_json_schema(), defs, "Playbook")
    root["properties"]["steps"]["items"] = {"anyOf": [{"$ref": "#/$defs/WindowItem"}, step_ref]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "orchestrator playbook",
        **root,
        "$defs": defs,
    }


def _step_schema(defs: dict[str, Any], modules: Registry) -> dict[str, Any]:
    step = _inline(StepFields.model_json_schema(), defs, "StepFields")
    for name, spec in modules.items():
        args = _inline(spec.args.model_json_schema(), defs, f"{name}.")
        args["properties"] = {k: _templatable(v) for k, v in args.get("properties", {}).items()}
        for nested in [d for d in defs if d.startswith(f"{name}.")]:  # a probe's arguments
            model = defs[nested]
            if "properties" in model:
                props = model["properties"].items()
                defs[nested] = {**model, "properties": {k: _templatable(v) for k, v in props}}
        args["description"] = spec.summary
        step["properties"][name] = args
    step["oneOf"] = [{"required": [name]} for name in modules]
    step["description"] = "a step: name, hosts, and exactly one module"
    return step


def _window_item_schema(defs: dict[str, Any], step_ref: dict[str, Any]) -> dict[str, Any]:
    window = _inline(WindowFields.model_json_schema(), defs, "Window")
    window["properties"]["steps"]["items"] = step_ref
    return {
        "type": "object",
        "properties": {"window": window},
        "required": ["window"],
        "additionalProperties": False,
        "description": "a timed rollback window",
    }


def _inline(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Move a model schema's $defs into the shared ones, under names unique to the model."""
    local = schema.pop("$defs", {})
    renamed = {name: f"{prefix}{name}" for name in local}
    for name, sub in local.items():
        defs[renamed[name]] = _retarget(sub, renamed)
    result: dict[str, Any] = _retarget(schema, renamed)
    return result


def _retarget(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _retarget(v, renamed) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/$defs/" + renamed.get(ref[8:], ref[8:])
        return out
    if isinstance(node, list):
        return [_retarget(v, renamed) for v in node]
    return node


def _templatable(schema: dict[str, Any]) -> dict[str, Any]:
    """A value of this schema, or a template string rendered to one later (at any depth)."""
    keep: dict[str, Any] = {
        k: schema[k] for k in ("title", "description", "default") if k in schema
    }
    core = {k: _inner_templatable(k, v) for k, v in schema.items() if k not in keep}
    return {**keep, "anyOf": [core, _TEMPLATE]}


def _inner_templatable(key: str, value: Any) -> Any:
    if key == "properties" and isinstance(value, dict):
        return {name: _templatable(sub) for name, sub in value.items()}
    if key in ("items", "additionalProperties") and isinstance(value, dict):
        return _templatable(value)
    if key in ("anyOf", "oneOf") and isinstance(value, list):
        return [{k: _inner_templatable(k, v) for k, v in member.items()} for member in value]
    return value
