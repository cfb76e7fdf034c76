"""What PowerShell objects become on our side: plain Python values.

pypsrp deserializes CLIXML into primitives, lists, dicts and GenericComplexObjects; we turn the
latter into `RemoteObject`s (properties, type names, ToString) and enums into their names, as
PowerShell prints them (`Running`, not 4). Duck-typed, so this module needs no pypsrp import.
DateTime values stay the ISO text pypsrp 0.9.1 gives; modules parse them where they need to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from orchestrator.commands import RemoteObject


def plain_value(value: Any) -> Any:
    """A deserialized PowerShell value as plain Python data."""
    if hasattr(value, "adapted_properties"):
        return _complex(value)
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {plain_value(k): plain_value(v) for k, v in value.items()}
    return value


def _complex(value: Any) -> Any:
    types = tuple(getattr(value, "types", None) or ())
    text = getattr(value, "to_string", None)
    if "System.Enum" in types:
        return text
    collection = _collection(value)
    if collection is not None:
        return plain_value(collection)
    properties = {
        str(k): plain_value(v)
        for bag in (value.adapted_properties, value.extended_properties)
        for k, v in (bag or {}).items()
    }
    return RemoteObject(properties, types, "" if text is None else str(text))


def _collection(value: Any) -> list[Any] | dict[Any, Any] | None:
    """The items of a typed collection (e.g. AD's ADPropertyValueCollection: <Obj><LST>).

    pypsrp 0.9.1 leaves such a <LST> in `property_sets` as unparsed CLIXML text; without this
    the items would be lost (and PAM's EnabledScopes would read as empty).
    """
    sets = getattr(value, "property_sets", None) or []
    if len(sets) != 1:
        return None
    only = sets[0]
    if isinstance(only, list | dict):
        return only
    if isinstance(only, str) and only.startswith(("<LST", "<IE")):
        return _primitive_list(only)
    return None


_PRIMITIVES: dict[str, Callable[[str], Any]] = {
    "S": str,
    "I16": int,
    "I32": int,
    "I64": int,
    "U16": int,
    "U32": int,
    "U64": int,
    "By": int,
    "B": lambda text: text == "true",
    "DT": str,
    "G": str,
}


def _primitive_list(xml: str) -> list[Any] | None:
    """The primitive items of a CLIXML list (anything richer stays unparsed: None).

    The text is a fragment of a response pypsrp has already parsed with the same stdlib
    parser; CLIXML never declares a DTD, so one (an entity expansion attempt) is refused.
    """
    if "<!" in xml:
        return None
    try:
        root = ET.fromstring(xml)  # noqa: S314 -- no DTD (checked above): no entity expansion
    except ET.ParseError:
        return None
    items: list[Any] = []
    for element in root:
        if element.tag == "Nil":
            items.append(None)
            continue
        convert = _PRIMITIVES.get(element.tag)
        if convert is None:
            return None
        items.append(convert(element.text or ""))
    return items
