"""Load a playbook file into a validated `Playbook`, reporting every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import InputError, Location, Problem
from orchestrator.playbook.model import (
    RESERVED_NAMES,
    Playbook,
    PlaybookFields,
    Step,
    StepFields,
    Window,
    WindowFields,
)
from orchestrator.templating import template_syntax_error
from orchestrator.validation import describe, suggest, validate
from orchestrator.yamlsource import NodePath, SourceMap, YamlDocument, format_path, load_file, walk

if TYPE_CHECKING:  # the registry is passed in: playbook/ never imports the modules
    from orchestrator.modules import Registry


def load_playbook(path: Path, modules: Registry) -> Playbook:
    """Read, parse and validate one playbook file against the modules it may use."""
    return build_playbook(load_file(path, what="playbook"), modules)


def build_playbook(doc: YamlDocument, modules: Registry) -> Playbook:
    """Validate parsed YAML as a playbook; raises InputError naming every problem."""
    if not isinstance(doc.data, dict):
        raise InputError.single(
            f"a playbook is a mapping with 'name' and 'steps'; found {describe(doc.data)}",
            location=doc.source.value_at(()),
        )
    return _Builder(doc.source, modules).playbook(doc.data)


class _Builder:
    """Validates one document, collecting every problem before failing."""

    def __init__(self, source: SourceMap, modules: Registry) -> None:
        self.source = source
        self.modules = modules
        self.problems: list[Problem] = []

    def report(self, path: NodePath, message: str, hint: str = "", *, at_key: bool = False) -> None:
        where = self.source.key_at(path) if at_key else self.source.value_at(path)
        self.problems.append(Problem(where, format_path(path), message, hint))

    def playbook(self, data: dict[Any, Any]) -> Playbook:
        header, found = validate(PlaybookFields, data, self.source)
        self.problems += found
        self.check_vars(data.get("vars"))
        raw_steps = data.get("steps")
        items = [
            item
            for index, raw in enumerate(raw_steps if isinstance(raw_steps, list) else [])
            if (item := self.item(raw, ("steps", index))) is not None
        ]
        self.check_unique_names(items)
        self.check_references(items)
        if self.problems or header is None:
            raise InputError(self.problems)
        return Playbook(
            name=header.name,
            description=header.description,
            vars=header.vars,
            secrets=header.secrets,
            var_types=header.var_types,
            serial=header.serial,
            max_fail_percentage=header.max_fail_percentage,
            forks=header.forks,
            items=tuple(items),
            path=self.source.file,
            source=self.source,
        )

    def item(self, raw: Any, path: NodePath) -> Step | Window | None:
        if isinstance(raw, dict) and "window" in raw:
            return self.window(raw, path)
        return self.step(raw, path, window=None)

    def window(self, raw: dict[Any, Any], path: NodePath) -> Window | None:
        before = len(self.problems)
        for key in (k for k in raw if k != "window"):
            self.report(
                (*path, key),
                f"unknown key '{key}' beside 'window'",
                "put the window's settings and steps under 'window:'",
                at_key=True,
            )
        wpath = (*path, "window")
        fields, found = validate(WindowFields, raw["window"], self.source, wpath)
        self.problems += found
        name = fields.name if fields else str(_get(raw["window"], "name", "?"))
        raw_steps = raw["window"].get("steps") if isinstance(raw["window"], dict) else None
        steps = [
            step
            for index, inner in enumerate(raw_steps if isinstance(raw_steps, list) else [])
            if (step := self.window_step(inner, (*wpath, "steps", index), name)) is not None
        ]
        if fields is None or len(self.problems) > before:
            return None
        return Window(
            name=fields.name,
            deadline=fields.deadline,
            failsafe=fields.failsafe,
            steps=tuple(steps),
            path=path,
            location=self.source.value_at(path),
        )

    def window_step(self, raw: Any, path: NodePath, window: str) -> Step | None:
        if isinstance(raw, dict) and "window" in raw:
            self.report(
                (*path, "window"),
                "windows do not nest",
                "close the outer window first, or merge the two into one window",
                at_key=True,
            )
            return None
        return self.step(raw, path, window=window)

    def step(self, raw: Any, path: NodePath, *, window: str | None) -> Step | None:
        if not isinstance(raw, dict):
            self.report(
                path,
                f"a step is a mapping with 'name', 'hosts' and one module; found {describe(raw)}",
            )
            return None
        before = len(self.problems)
        modules = [k for k in raw if k in self.modules]
        module = self.one_module(modules, path)
        fields_raw = {k: v for k, v in raw.items() if k not in self.modules}
        if "on" in fields_raw:
            self.renamed_on(fields_raw, path)
        fields, found = validate(
            StepFields, fields_raw, self.source, path, extra_keys=list(self.modules)
        )
        self.problems += found
        for name in modules:
            self.check_args(name, raw[name], (*path, name))
        if module is None:
            if not modules and not any(p.message.startswith("unknown key") for p in found):
                self.report(
                    path, "the step has no module", f"add one of: {', '.join(self.modules)}"
                )
            return None
        if fields is not None:
            self.check_reversibility(module, raw[module], fields, path, window)
        if fields is None or len(self.problems) > before:
            return None
        return Step(
            **dict(fields),
            module=module,
            args=raw[module],
            path=path,
            location=self.source.value_at(path),
            window=window,
        )

    def renamed_on(self, fields_raw: dict[str, Any], path: NodePath) -> None:
        """`on:` was the targets key; YAML 1.1 tools read it as the boolean true."""
        value = fields_raw.pop("on")
        if "hosts" in fields_raw:
            hint = "delete 'on:'; the step's hosts are its 'hosts:' key"
        else:
            fields_raw["hosts"] = value  # so the rest of the step is still checked
            hint = "rename the key to 'hosts:'; YAML 1.1 tools read a bare 'on' as true"
        self.report((*path, "on"), "'on:' is now 'hosts:'", hint, at_key=True)

    def one_module(self, modules: list[str], path: NodePath) -> str | None:
        if len(modules) > 1:
            self.report(
                (*path, modules[1]),
                f"a step runs exactly one module; found {', '.join(map(repr, modules))}",
                "split it into one step per module",
                at_key=True,
            )
            return None
        return modules[0] if modules else None

    def check_args(self, module: str, args: Any, path: NodePath) -> None:
        if not isinstance(args, dict):
            self.report(path, f"the arguments of '{module}' are a mapping; found {describe(args)}")
            return
        _, found = validate(
            self.modules[module].args, args, self.source, path, defer_templates=True
        )
        self.problems += found
        self.check_templates(args, path)

    def check_templates(self, data: Any, base: NodePath) -> None:
        for sub, value in walk(data):
            problem = template_syntax_error(value) if isinstance(value, str) else None
            if problem:
                self.report((*base, *sub), problem)

    def check_reversibility(
        self, module: str, args: Any, fields: StepFields, path: NodePath, window: str | None
    ) -> None:
        reason = self.modules[module].irreversible(args) if isinstance(args, dict) else None
        if window is not None and (reason or fields.irreversible):
            because = f" ({reason})" if reason else ""
            self.report(
                path,
                f"this step cannot be undone{because}, so it cannot sit in window '{window}'",
                "move it before or after the window",
            )
        elif reason and not fields.irreversible:
            self.report(
                path,
                f"this step cannot be undone: {reason}",
                "add 'irreversible: true' to acknowledge it",
            )

    def check_vars(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        for name in (n for n in raw if n in RESERVED_NAMES):
            self.report(
                ("vars", name),
                f"'{name}' is a reserved name the engine provides",
                "rename the variable",
                at_key=True,
            )
        self.check_templates(raw, ("vars",))

    def check_references(self, items: list[Step | Window]) -> None:
        """`needs:` names earlier steps; a `register:` name is used once and is not reserved."""
        earlier: set[str] = set()
        registered: dict[str, Step] = {}
        for step in _steps_of(items):
            for index, needed in enumerate(step.needs):
                if needed not in earlier:
                    hint = suggest(needed, earlier) or "name a step that comes before this one"
                    self.report((*step.path, "needs", index), f"no earlier step {needed!r}", hint)
            self.check_register(step, registered)
            earlier.add(step.name)

    def check_register(self, step: Step, registered: dict[str, Step]) -> None:
        name = step.register_as
        if name is None:
            return
        path = (*step.path, "register")
        if name in RESERVED_NAMES:
            self.report(path, f"'{name}' is a name the engine provides", "choose another name")
        elif name in registered:
            first = registered[name].location.line
            self.report(path, f"'{name}' is registered already (line {first})", "use another")
        else:
            registered[name] = step

    def check_unique_names(self, items: list[Step | Window]) -> None:
        seen: dict[str, Location] = {}
        for item in items:
            for step in item.steps if isinstance(item, Window) else (item,):
                first = seen.setdefault(step.name, step.location)
                if first is not step.location:
                    self.report(
                        (*step.path, "name"),
                        f"duplicate step name {step.name!r} (first used at line {first.line})",
                        "steps are identified by name in runs, journals and reports",
                    )


def _steps_of(items: list[Step | Window]) -> list[Step]:
    return [s for item in items for s in (item.steps if isinstance(item, Window) else (item,))]


def _get(data: Any, key: str, default: Any) -> Any:
    return data.get(key, default) if isinstance(data, dict) else default
