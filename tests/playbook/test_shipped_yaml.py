"""The shipped playbooks read the same to any YAML tool as to our loader.

Our loader resolves scalars by YAML 1.2's core schema; editors, linters and CI tools often
read YAML 1.1 (PyYAML's `safe_load`), where `on:`, `yes` or a date-like value mean something
else. So the shipped playbooks keep to yamllint's default rules and to what both read alike.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from yamllint import linter  # type: ignore[import-untyped]
from yamllint.config import YamlLintConfig  # type: ignore[import-untyped]

from orchestrator.modules import MODULES
from orchestrator.playbook.schema import playbook_schema
from orchestrator.yamlsource import load_file

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    """The playbook JSON Schema that editors and CI checks use."""
    return jsonschema.Draft202012Validator(playbook_schema(MODULES))


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_yamllint_default_rules_find_no_problem(playbook: Path) -> None:
    """yamllint's default rules, warnings included, find nothing to report in the playbook."""
    conf = YamlLintConfig("extends: default")
    found = [
        f"{playbook.name}:{p.line}:{p.column}: [{p.level}] {p.desc} ({p.rule})"
        for p in linter.run(playbook.read_text(encoding="utf-8"), conf, str(playbook))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_yaml_1_1_reads_what_our_loader_reads(
    playbook: Path, validator: jsonschema.Draft202012Validator
) -> None:
    """PyYAML's plain safe_load (YAML 1.1) reads the same data as our YAML 1.2 core loader,
    and that data is a valid playbook: no key or value means something else to other tools."""
    plain = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    assert plain == load_file(playbook).data
    errors = [
        f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(plain)
    ]
    assert not errors, "\n".join(errors)
