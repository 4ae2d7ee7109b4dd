"""Read a YAML file and remember the line of every key, so errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bpsm.errors import Problem

__all__ = ["Located", "line_of", "read_yaml"]

PathKey = tuple[str | int, ...]


class Located:
    """A parsed YAML document plus the 1-based line where each path (key or item) starts."""

    def __init__(self, file: str, data: Any, lines: dict[PathKey, int], problems: list[Problem]):
        self.file, self.data, self.lines, self.problems = file, data, lines, problems

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or, when it does not exist (a missing field), of its nearest parent."""
        return line_of(self.lines, path)


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """Look ``path`` up in ``lines``, walking up to the nearest parent that has a line."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _walk(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[Problem], file: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        f"duplicate key {key!r} (first on line {seen[key]})",
                        file,
                        line,
                        ".".join(map(str, path + (key,))),
                    )
                )
            seen.setdefault(key, line)
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, file)


def read_yaml(path: Path, display: str | None = None) -> Located:
    """Parse one YAML file. Syntax errors and duplicate keys become :class:`Problem` entries."""
    file = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Located(file, None, {}, [Problem(f"cannot read file: {exc}", file)])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        msg = getattr(exc, "problem", None) or str(exc)
        return Located(file, None, {}, [Problem(f"YAML syntax error: {msg}", file, line)])
    if node is None:
        return Located(file, None, {}, [Problem("file is empty", file, 1)])
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    _walk(node, (), lines, problems, file)
    loader = yaml.SafeLoader(text)
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Located(
            file,
            None,
            lines,
            [Problem(f"YAML error: {exc}", file, mark.line + 1 if mark else None)],
        )
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.append(
            Problem(f"expected a mapping of keys at the top, got {type(data).__name__}", file, 1)
        )
    return Located(file, data, lines, problems)
