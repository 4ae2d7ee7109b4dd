"""Writing a service definition back into its catalogue file, keeping what was not touched.

PyYAML cannot round-trip comments, so the file is rewritten per top-level key: a key whose value
did not change keeps its original lines (comments and layout included), a changed or new key is
written fresh, and the comment block at the top of the file stays. The result is checked: it must
load to exactly the new definition, else the whole file is generated from the definition.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from bpsm.catalogue.schema import Service

__all__ = ["rewrite_service_file", "service_yaml"]

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


def _data(service: Service) -> dict[str, Any]:
    data = service.model_dump(mode="json", exclude_defaults=True)
    return {"id": data.pop("id"), **data}


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def service_yaml(service: Service) -> str:
    """A service as catalogue-file YAML (the same schema the loader reads)."""
    return _dump(_data(service))


def _segments(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first key, then ``(key, lines)`` per top-level key in file order.

    Comment lines right before a key belong to that key.
    """
    head: list[str] = []
    segments: list[tuple[str, list[str]]] = []
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        found = _TOP_KEY.match(line)
        if found:
            segments.append((found.group(1), [*pending, line]))
            pending = []
        elif line.startswith("#") or not line.strip():
            pending.append(line)
        elif segments:
            segments[-1][1].extend([*pending, line])
            pending = []
        else:
            head.extend([*pending, line])
            pending = []
    if segments:
        segments[-1][1].extend(pending)
    else:
        head.extend(pending)
    return "".join(head), [(k, "".join(lines)) for k, lines in segments]


def _loads_to(text: str, service: Service) -> bool:
    from bpsm.catalogue.loader import validate_service

    try:
        data = yaml.safe_load(text)
        return isinstance(data, dict) and validate_service(data) == service
    except Exception:  # any failure means: do not trust the merge, generate the file
        return False


def rewrite_service_file(old_text: str | None, service: Service) -> str:
    """The new text of a service file: untouched top-level keys keep their original lines.

    Args:
        old_text: the file as it is now (None: a new file).
        service: the definition the file must hold afterwards.
    """
    fresh = service_yaml(service)
    if not old_text:
        return fresh
    try:
        old = yaml.safe_load(old_text)
    except yaml.YAMLError:
        return fresh
    if not isinstance(old, dict):
        return fresh
    head, segments = _segments(old_text)
    new, full = _data(service), service.model_dump(mode="json")
    parts, seen = [head], set()
    for key, lines in segments:
        seen.add(key)
        if key in full and old.get(key) == full[key]:  # untouched: the original lines
            parts.append(lines if lines.endswith("\n") else lines + "\n")
        elif key in new:
            parts.append(_dump({key: new[key]}))
        # else: the key went back to its default and is left out, as service_yaml does
    parts += [_dump({key: value}) for key, value in new.items() if key not in seen]
    merged = "".join(parts)
    return merged if _loads_to(merged, service) else fresh
