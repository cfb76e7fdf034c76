"""registry: one registry value, e.g. the SMS client's "Site Config Last Checked" (method 2)."""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from orchestrator.modules.base import ArgsModel, ModuleSpec, State

RegType = Literal["REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_MULTI_SZ", "REG_QWORD"]
PATH_PATTERN = r"^(?:HKLM|HKEY_LOCAL_MACHINE|HKCU|HKEY_CURRENT_USER):?\\[^\\].*$"
_HIVES = {"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_CURRENT_USER": "HKCU"}
_MAX = {"REG_DWORD": 2**32 - 1, "REG_QWORD": 2**64 - 1}


def normalize_path(path: str) -> str:
    """`HKEY_LOCAL_MACHINE\\Software` and `HKLM\\Software` -> `HKLM:\\Software`."""
    hive, _, rest = path.partition("\\")
    hive = _HIVES.get(hive.rstrip(":").upper(), hive.rstrip(":").upper())
    return f"{hive}:\\{rest.rstrip(chr(92))}"


class Args(ArgsModel):
    """Arguments of registry."""

    path: str = Field(pattern=PATH_PATTERN, description="key, e.g. HKLM:\\Software\\Microsoft\\SMS")
    name: str = Field(min_length=1, description="value name")
    state: State = "present"
    type: RegType | None = Field(None, description="required when the value is present")
    value: Any = Field(None, description="str, int, list of str, or bytes as hex by type")

    @field_validator("path")
    @classmethod
    def _normalize(cls, path: str) -> str:
        return normalize_path(path)

    @model_validator(mode="after")
    def _value_matches_type(self) -> Self:
        if self.state == "absent":
            if self.type is not None or self.value is not None:
                raise ValueError("an absent value takes no 'type' or 'value'")
            return self
        if self.type is None or self.value is None:
            raise ValueError("a present value needs both 'type' and 'value'")
        _check_value(self.type, self.value)
        return self


def _check_value(kind: str, value: Any) -> None:
    if kind in ("REG_SZ", "REG_EXPAND_SZ") and not isinstance(value, str):
        raise ValueError(f"{kind} takes text; quote it, e.g. value: '{value}'")
    if kind in _MAX and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ValueError(f"{kind} takes a whole number")
    if kind in _MAX and not 0 <= value <= _MAX[kind]:
        raise ValueError(f"{kind} takes 0 to {_MAX[kind]}, found {value}")
    if kind == "REG_MULTI_SZ" and not (
        isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    ):
        raise ValueError("REG_MULTI_SZ takes a list of text")
    if kind == "REG_BINARY" and not (
        isinstance(value, str) and re.fullmatch(r"(?:[0-9A-Fa-f]{2}\s?)*", value)
    ):
        raise ValueError("REG_BINARY takes hex bytes, e.g. '01 a0 ff'")


SPEC = ModuleSpec("registry", Args, "one registry value (all REG_ types)")
