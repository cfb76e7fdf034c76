"""Contract values -> psrpcore objects, serialized the way Windows PowerShell sends them.

Output objects keep the type names the domain gives (Windows sends live type names on the wire;
"Deserialized." is added by the receiving PowerShell, which pypsrp is not). An error record is
built in its remoting form ([MS-PSRP] 2.2.3.15: flat ErrorCategory_* notes) so every field
pypsrp's ErrorRecord reads (fq_error, category, activity, reason, target_name, target_type,
message) is exactly what Windows would send.
"""

from __future__ import annotations

import datetime
import enum
import threading
from collections.abc import Callable, Mapping
from typing import Any

from psrpcore.types import (
    ErrorCategory,
    PSDouble,
    PSEnumBase,
    PSNoteProperty,
    PSObject,
    PSSecureString,
    PSType,
)

from orchestrator.lab import contract

_ENUM_LOCK = threading.Lock()
_ENUMS: dict[type[enum.Enum], type[PSEnumBase]] = {}
_COR_E_EXCEPTION = -2146233087  # HResult of a plain System.Exception


def ps_value(value: Any) -> Any:
    """A contract value as something psrpcore serializes to the right CLIXML element."""
    for kind, convert in _CONVERTERS:
        if isinstance(value, kind):
            return convert(value)
    return value if _is_primitive(value) else str(value)


def _is_primitive(value: Any) -> bool:
    plain = (str, int, bytes, datetime.datetime, datetime.timedelta)
    return value is None or isinstance(value, plain)


def ps_object(value: contract.PSObject) -> PSObject:
    """A PSObject with its type names, adapted properties (<Props>) and ToString."""
    obj = PSObject()
    obj.PSObject.type_names = list(value.type_names)
    props = obj.PSObject.adapted_properties
    for name, item in value.properties.items():
        props.append(PSNoteProperty(name, ps_value(item)))
    obj.PSObject.to_string = value.to_string
    return obj


def _note_object(type_names: list[str], to_string: str, notes: Mapping[str, Any]) -> PSObject:
    """A PSObject whose members are notes (<MS>), as the remoting forms of records are."""
    obj = PSObject()
    obj.PSObject.type_names = type_names
    obj.PSObject.to_string = to_string
    members = obj.PSObject.extended_properties
    for name, item in notes.items():
        members.append(PSNoteProperty(name, item))
    return obj


def _enum_value(value: enum.Enum) -> Any:
    """An enum as Windows serializes one: <Obj> with its type names, ToString and <I32>.

    The .NET type name comes from the enum class's `__ps_type_name__` (a dunder, so Enum does not
    make it a member), else its class name.
    """
    cls = type(value)
    with _ENUM_LOCK:
        shadow = _ENUMS.get(cls)
        if shadow is None:
            name = getattr(cls, "__ps_type_name__", None) or cls.__name__
            members = {m.name: m.value for m in cls}
            functional: Any = PSEnumBase  # Enum's functional API, which mypy cannot follow
            shadow = PSType(type_names=[name], rehydrate=False)(functional(cls.__name__, members))
            _ENUMS[cls] = shadow
    return shadow[value.name]


def _sequence(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [ps_value(item) for item in value]


def _mapping(value: dict[Any, Any]) -> dict[Any, Any]:
    return {ps_value(k): ps_value(v) for k, v in value.items()}


def _secure(value: contract.SecureString) -> PSSecureString:
    return PSSecureString(value.reveal())  # encrypted with the session key when serialized


_CONVERTERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (bool, lambda v: v),
    (enum.Enum, _enum_value),
    (float, PSDouble),  # Windows sends [double] as <Db>; psrpcore would pick <Sg>
    (contract.PSObject, ps_object),
    (contract.SecureString, _secure),
    ((list, tuple), _sequence),
    (dict, _mapping),
)


def _exception(record: contract.ErrorRecord) -> PSObject:
    """The serialized .NET exception, shaped like Windows' (Props: Message, Data, ... HResult)."""
    names = [record.exception_type]
    names += [n for n in ("System.SystemException", "System.Exception") if n != names[0]]
    obj = PSObject()
    obj.PSObject.type_names = [*names, "System.Object"]
    obj.PSObject.to_string = f"{record.exception_type}: {record.message}"
    props = obj.PSObject.adapted_properties
    for name, item in (
        ("Message", record.message),
        ("Data", {}),
        ("InnerException", None),
        ("TargetSite", None),
        ("StackTrace", None),
        ("HelpLink", None),
        ("Source", None),
        ("HResult", _COR_E_EXCEPTION),
    ):
        props.append(PSNoteProperty(name, item))
    return obj


def _invocation_info(record: contract.ErrorRecord) -> PSObject:
    """A minimal InvocationInfo naming the cmdlet, as a remote cmdlet's record carries one."""
    obj = PSObject()
    obj.PSObject.type_names = ["System.Management.Automation.InvocationInfo", "System.Object"]
    obj.PSObject.to_string = "System.Management.Automation.InvocationInfo"
    props = obj.PSObject.adapted_properties
    for name, item in (
        ("MyCommand", record.activity),
        ("BoundParameters", {}),
        ("UnboundArguments", []),
        ("InvocationName", record.activity),
        ("PipelineLength", 1),
        ("PipelinePosition", 1),
        ("ExpectingInput", False),
        ("CommandOrigin", "Runspace"),
    ):
        props.append(PSNoteProperty(name, item))
    return obj


def category_message(record: contract.ErrorRecord) -> str:
    """CategoryInfo as text: "ObjectNotFound: (x:String) [Get-LocalUser], UserNotFoundException"."""
    target = f"({record.target_name}:{record.target_type})"
    return f"{record.category}: {target} [{record.activity}], {_short_name(record.exception_type)}"


def _short_name(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def _category_number(name: str) -> int:
    try:
        return int(ErrorCategory[name].value)
    except KeyError:
        return int(ErrorCategory.NotSpecified.value)


def error_record(record: contract.ErrorRecord, *, write_error_stream: bool) -> PSObject:
    """An ErrorRecord in its remoting form; `writeErrorStream` marks a non-terminating one."""
    notes: dict[str, Any] = {
        "Exception": _exception(record),
        "TargetObject": ps_value(record.target_object),
        "FullyQualifiedErrorId": record.fully_qualified_error_id,
        "InvocationInfo": _invocation_info(record),
        "ErrorCategory_Category": _category_number(record.category),
        "ErrorCategory_Activity": record.activity,
        "ErrorCategory_Reason": _short_name(record.exception_type),
        "ErrorCategory_TargetName": record.target_name,
        "ErrorCategory_TargetType": record.target_type,
        "ErrorCategory_Message": category_message(record),
        "SerializeExtendedInfo": False,
    }
    if write_error_stream:
        notes["writeErrorStream"] = True
    names = ["System.Management.Automation.ErrorRecord", "System.Object"]
    return _note_object(names, record.message, notes)


def failed_state(record: contract.ErrorRecord) -> PSObject:
    """PIPELINE_STATE Failed (5) carrying the record as ExceptionAsErrorRecord, in one object."""
    notes = {
        "PipelineState": 5,
        "ExceptionAsErrorRecord": error_record(record, write_error_stream=False),
    }
    return _note_object([], "", notes)
