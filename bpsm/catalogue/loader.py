"""Load and validate a catalogue folder: ``desk.yaml`` plus ``services/*.yaml``.

A catalogue is all or nothing: :func:`load_catalogue` either returns a complete, consistent
:class:`Catalogue` or raises :class:`~bpsm.errors.ValidationError` listing every problem found
(file, line, field path, message), so nothing half-valid is ever loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from bpsm.catalogue.schema import DeskConfig, Service, short_repr
from bpsm.catalogue.yamlfile import Located, read_yaml
from bpsm.errors import Problem, ValidationError

__all__ = [
    "MAX_PROBLEMS_PER_FILE",
    "MAX_SERVICE_FILES",
    "Catalogue",
    "load_catalogue",
    "problems_from_pydantic",
    "validate_service",
]

#: The most service files a catalogue folder may hold (the example has 30).
MAX_SERVICE_FILES = 1000
#: The most problems reported for one file; the rest are counted in one last line.
MAX_PROBLEMS_PER_FILE = 50


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue: the desk's settings and its services by id."""

    root: Path
    desk: DeskConfig
    services: dict[str, Service]
    files: dict[str, Path] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.services)

    def summary(self) -> str:
        """One line: how many services per department, staff and checklist items."""
        by_dept: dict[str, int] = {}
        for s in self.services.values():
            by_dept[s.department] = by_dept.get(s.department, 0) + 1
        depts = ", ".join(f"{n} {d}" for d, n in sorted(by_dept.items()))
        return (
            f"{len(self.services)} services ({depts}), {len(self.desk.staff)} staff, "
            f"{len(self.desk.checklist)} checklist items"
        )


def problems_from_pydantic(
    exc: pydantic.ValidationError, doc: Located | None, file: str | None
) -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` entries with file, line and field path."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = doc.line_of(loc) if doc else None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif (
            "input" in err
            and err["type"] not in ("value_error", "assertion_error")
            and not isinstance(err["input"], (dict, list))
        ):
            msg += f" (got {short_repr(err['input'])})"
        out.append(Problem(msg, file, line, ".".join(map(str, loc)) or None))
    return out


def _validate(model: type[pydantic.BaseModel], doc: Located) -> tuple[Any, list[Problem]]:
    if doc.problems or doc.data is None:
        return None, _capped(doc.problems, doc.file)
    try:
        return model.model_validate(doc.data), []
    except pydantic.ValidationError as exc:
        return None, _capped(problems_from_pydantic(exc, doc, doc.file), doc.file)


def _capped(problems: list[Problem], file: str) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS_PER_FILE:
        return list(problems)
    more = len(problems) - MAX_PROBLEMS_PER_FILE
    return [*problems[:MAX_PROBLEMS_PER_FILE], Problem(f"… and {more:,} more problem(s)", file)]


def validate_service(data: dict[str, Any], source: str = "<proposal>") -> Service:
    """Validate one service definition given as a mapping (e.g. from a change proposal)."""
    try:
        return Service.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(problems_from_pydantic(exc, None, source)) from None


def load_catalogue(root: Path | str) -> Catalogue:
    """Read, validate and cross-check the catalogue in ``root``.

    Raises:
        ValidationError: with every problem: YAML syntax, unknown or duplicate keys, bad values,
            duplicate service ids, dangling alternatives, account managers or groups.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise ValidationError(Problem("catalogue folder not found", str(root)))
    desk_path = root / "desk.yaml"

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(root.parent)) if root.parent != p else str(p)
        except ValueError:
            return str(p)

    desk: DeskConfig | None = None
    if desk_path.is_file():
        desk_doc = read_yaml(desk_path, rel(desk_path))
        desk, found = _validate(DeskConfig, desk_doc)
        problems += found
    else:
        problems.append(Problem("desk.yaml is missing", rel(desk_path)))

    services: dict[str, Service] = {}
    files: dict[str, Path] = {}
    docs: dict[str, Located] = {}
    service_files = (
        sorted((root / "services").glob("*.y*ml")) if (root / "services").is_dir() else []
    )
    if not service_files:
        problems.append(Problem("no service files (services/*.yaml)", rel(root / "services")))
    elif len(service_files) > MAX_SERVICE_FILES:
        raise ValidationError(
            Problem(
                f"{len(service_files):,} service files; a catalogue may hold at most "
                f"{MAX_SERVICE_FILES:,}",
                rel(root / "services"),
            )
        )
    declared: dict[
        str, Path
    ] = {}  # every id a file declares, valid or not: for duplicates and references
    for path in service_files:
        doc = read_yaml(path, rel(path))
        raw_id = doc.data.get("id") if isinstance(doc.data, dict) else None
        if doc.data is None and path.stem not in declared:
            # an unreadable file stands for the service its name says (services/<id>.yaml), so
            # references to it do not cascade into more problems
            declared[path.stem] = path
        if isinstance(raw_id, str):
            if raw_id in declared:
                problems.append(
                    Problem(
                        f"duplicate service id {raw_id!r} (also in {rel(declared[raw_id])})",
                        doc.file,
                        doc.line_of(("id",)),
                        "id",
                    )
                )
                raw_id = None
            else:
                declared[raw_id] = path
        svc, found = _validate(Service, doc)
        problems += found
        if svc is None or raw_id is None:
            continue
        services[svc.id], files[svc.id], docs[svc.id] = svc, path, doc

    for sid, svc in services.items():
        doc = docs[sid]
        for i, alt in enumerate(svc.alternatives):
            if alt not in declared:
                problems.append(
                    Problem(
                        f"alternative {alt!r} is not a service in this catalogue",
                        doc.file,
                        doc.line_of(("alternatives", i)),
                        f"alternatives.{i}",
                    )
                )
        if desk is not None:
            person = desk.person(svc.account_manager)
            if person is None:
                problems.append(
                    Problem(
                        f"account manager {svc.account_manager!r} is not on the staff list "
                        "in desk.yaml",
                        doc.file,
                        doc.line_of(("account_manager",)),
                        "account_manager",
                    )
                )
            elif "account_manager" not in person.roles:
                problems.append(
                    Problem(
                        f"{svc.account_manager!r} does not have the account_manager role",
                        doc.file,
                        doc.line_of(("account_manager",)),
                        "account_manager",
                    )
                )
            if svc.group not in desk.groups:
                problems.append(
                    Problem(
                        f"group {svc.group!r} is not one of desk.yaml's groups",
                        doc.file,
                        doc.line_of(("group",)),
                        "group",
                    )
                )
    if desk is not None:
        for i, item in enumerate(desk.recommendations.price_list):
            if item.service is not None and item.service not in declared:
                field = f"recommendations.price_list.{i}.service"
                problems.append(
                    Problem(
                        f"price list item {item.id!r} names unknown service {item.service!r}",
                        desk_doc.file,
                        desk_doc.line_of(tuple(field.split(".")[:2]) + (i, "service")),
                        field,
                    )
                )
    if problems:
        raise ValidationError(problems)
    assert desk is not None
    return Catalogue(root=root, desk=desk, services=services, files=files)
