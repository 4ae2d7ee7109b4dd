"""Read one catalogue YAML file safely and remember the line of every key.

Any file, however broken or hostile, becomes either data or a list of :class:`Problem` entries
naming the file and, wherever there is one, the line. The work is bounded by the limits below
(the bytes read, the values composed, the nesting depth), so no file can make the loader hang or
exhaust memory. ``docs/catalogue-files.md`` states these limits for the people writing the files.

Catalogue files are plain YAML: mappings, lists and single values. Anchors and aliases
(``&name``/``*name``) are refused rather than budgeted: a catalogue needs none, the change
process writes files back from their data (an alias would not survive), and refusing them closes
the "billion laughs" expansion for good. Keys must be single values, not lists or mappings.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from bpsm.catalogue.schema import short_repr
from bpsm.errors import Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NUMBER_CHARS",
    "MAX_VALUES",
    "Located",
    "line_of",
    "read_yaml",
]

#: The largest catalogue file read, in bytes (1 MiB; the example files are 2-6 KB).
MAX_FILE_BYTES = 1024 * 1024
#: The deepest nesting of mappings and lists (the schema itself needs four levels).
MAX_DEPTH = 20
#: The most values (keys, items and single values) one file may hold.
MAX_VALUES = 100_000
#: The longest number (digits, sign, point, exponent) a value may be written with.
MAX_NUMBER_CHARS = 64

_TAG = "tag:yaml.org,2002:"
#: Explicit tags a catalogue file may use; everything else (``!!binary``, ``!!python/...``,
#: ``!!set``, local ``!tags``) has no meaning in a catalogue and is refused.
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_NUMBER_TAGS = {_TAG + "int", _TAG + "float"}
# The characters YAML allows in a stream (YAML 1.1, section 5.1), as PyYAML's reader checks them.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

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


class _Refused(Exception):
    """A structural problem found while composing; stops reading the file."""

    def __init__(self, message: str, mark: Any, field: str | None = None) -> None:
        self.message, self.line, self.field = message, mark.line + 1, field


Frame = tuple[yaml.Node, list[yaml.Node]]


def _field(stack: list[Frame]) -> str | None:
    """The dotted path of the value about to be read (the path of its mapping, at a key)."""
    parts: list[str] = []
    for depth, (node, children) in enumerate(stack):
        # outer frames already hold the collection being read as their last child
        before = len(children) - (depth < len(stack) - 1)
        if isinstance(node, yaml.SequenceNode):
            parts.append(str(before))
        elif before % 2:
            parts.append(str(children[before - 1].value))
        else:
            break
    return ".".join(parts) or None


def _read_bytes(path: Path, file: str) -> bytes | Problem:
    """The file's bytes, reading no more than the cap; never blocks on a FIFO or device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return Problem(f"cannot read file: {exc.strerror or exc}", file)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return Problem("not a regular file", file)
        size = info.st_size
        data = b"" if size > MAX_FILE_BYTES else handle.read(MAX_FILE_BYTES + 1)
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        return Problem(
            f"file is {max(size, len(data)):,} bytes; a catalogue file may be at most "
            f"{MAX_FILE_BYTES:,} bytes (1 MiB)",
            file,
        )
    return data


def _decode(data: bytes, file: str) -> str | Problem:
    """Strict UTF-8 (a leading byte-order mark is dropped); a bad byte is named with its place."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        hint = (
            " (the file looks like UTF-16)"
            if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            else ""
        )
        return Problem(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}{hint}; "
            "save the file as UTF-8",
            file,
            line,
        )
    if bad := _NON_PRINTABLE.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        char = bad.group()
        what = "NUL byte (0x00)" if char == "\0" else f"control character U+{ord(char):04X}"
        return Problem(f"{what} at column {column}; catalogue files are plain text", file, line)
    return text


def _parser(text: str) -> Any:
    """An event parser: libyaml's when PyYAML has it (fast), else PyYAML's own."""
    if yaml.__with_libyaml__:
        return yaml.CSafeLoader(text)
    return yaml.SafeLoader(text)


def _tag(resolver: Resolver, kind: type[yaml.Node], event: Any, value: str | None) -> str:
    tag: str | None = event.tag
    if tag is None or tag == "!":
        return str(resolver.resolve(kind, value, event.implicit))
    if tag not in _ALLOWED_TAGS:
        raise _Refused(
            f"tag {tag.replace(_TAG, '!!')} is not allowed in catalogue files", event.start_mark
        )
    return tag


def _compose(parser: Any) -> yaml.Node | None:
    """Build the node tree from parser events, refusing what a catalogue file may not hold.

    Iterative (no recursion, whatever the nesting), and it stops at the first refusal, so the
    work never exceeds the limits. A refusal names the field being read.
    """
    stack: list[Frame] = []
    try:
        return _build(parser, stack)
    except _Refused as exc:
        exc.field = exc.field or _field(stack)
        raise


def _build(parser: Any, stack: list[Frame]) -> yaml.Node | None:
    resolver = Resolver()
    root: yaml.Node | None = None
    values = 0
    parser.get_event()  # StreamStart
    if parser.check_event(yaml.StreamEndEvent):
        return None
    parser.get_event()  # DocumentStart
    while True:
        event = parser.get_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"alias *{event.anchor}: anchors and aliases are not allowed in catalogue files; "
                "write the value out in full",
                mark,
            )
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            done, children = stack.pop()
            done.value = (
                list(zip(children[::2], children[1::2], strict=True))
                if isinstance(done, yaml.MappingNode)
                else children
            )
            done.end_mark = event.end_mark
            if not stack:
                break
            continue
        if event.anchor is not None:
            raise _Refused(
                f"anchor &{event.anchor}: anchors and aliases are not allowed in catalogue "
                "files; write the value out in full",
                mark,
            )
        values += 1
        if values > MAX_VALUES:
            raise _Refused(f"more than {MAX_VALUES:,} values in one file", mark)
        parent = stack[-1] if stack else None
        is_key = (
            parent is not None
            and isinstance(parent[0], yaml.MappingNode)
            and not len(parent[1]) % 2
        )
        node: yaml.Node
        if isinstance(event, yaml.ScalarEvent):
            value = event.value
            tag = _tag(resolver, yaml.ScalarNode, event, value)
            if tag in _NUMBER_TAGS and len(value) > MAX_NUMBER_CHARS:
                raise _Refused(
                    f"number {short_repr(value)} is longer than {MAX_NUMBER_CHARS} characters", mark
                )
            if "\0" in value:
                raise _Refused("a value holds a NUL character (\\0)", mark)
            node = yaml.ScalarNode(tag, value, mark, mark, event.style)
        else:
            if is_key:
                what = "list" if isinstance(event, yaml.SequenceStartEvent) else "mapping"
                raise _Refused(f"a key must be a single name, not a {what} ('?' complex key)", mark)
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", mark)
            if isinstance(event, yaml.SequenceStartEvent):
                tag = _tag(resolver, yaml.SequenceNode, event, None)
                node = yaml.SequenceNode(tag, [], mark, None, event.flow_style)
            else:
                tag = _tag(resolver, yaml.MappingNode, event, None)
                node = yaml.MappingNode(tag, [], mark, None, event.flow_style)
        if parent is not None:
            parent[1].append(node)
        else:
            root = node
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            stack.append((node, []))
        elif not stack:
            break
    parser.get_event()  # DocumentEnd
    if parser.check_event(yaml.DocumentStartEvent):
        raise _Refused(
            "more than one YAML document ('---'); a catalogue file holds one",
            parser.peek_event().start_mark,
        )
    return root


class _Constructor(SafeConstructor):
    """PyYAML's safe constructor, turning a value Python cannot build into a located error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError, TypeError) as exc:
            shown = short_repr(node.value) if isinstance(node.value, str) else "this value"
            raise ConstructorError(
                None, None, f"cannot read {shown}: {exc}", node.start_mark
            ) from None


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
                        f"duplicate key {short_repr(key)} (first on line {seen[key]})",
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


def _yaml_problem(exc: yaml.YAMLError, file: str, text: str, what: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    position = getattr(exc, "position", None)  # a reader error has an offset instead
    if mark is not None:
        line: int | None = mark.line + 1
    elif isinstance(position, int):
        line = text.count("\n", 0, position) + 1
    else:
        line = None
    msg = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(f"{what}: {msg}", file, line)


def _with_field(problem: Problem, lines: dict[PathKey, int]) -> Problem:
    """``problem`` naming the deepest field that starts on its line."""
    on_line: list[PathKey] = [p for p, line in lines.items() if p and line == problem.line]
    if not on_line:
        return problem
    deepest: PathKey = max(on_line, key=len)
    return Problem(problem.message, problem.file, problem.line, ".".join(map(str, deepest)))


def _guarded(file: str, text: str, step: Callable[[], Any], what: str) -> Any:
    try:
        return step()
    except _Refused as exc:
        return Problem(exc.message, file, exc.line, exc.field)
    except yaml.YAMLError as exc:
        return _yaml_problem(exc, file, text, what)


def read_yaml(path: Path, display: str | None = None) -> Located:
    """Parse one YAML file within the limits; every defect becomes a :class:`Problem`.

    The file is refused (``data`` is None) when it is larger than :data:`MAX_FILE_BYTES`, not
    UTF-8, holds a NUL or control character, is not valid YAML, uses anchors, aliases or tags a
    catalogue has no use for, nests deeper than :data:`MAX_DEPTH` or holds more than
    :data:`MAX_VALUES` values. Duplicate keys are reported with both lines.
    """
    file = display or str(path)
    raw = _read_bytes(path, file)
    if isinstance(raw, Problem):
        return Located(file, None, {}, [raw])
    text = _decode(raw, file)
    if isinstance(text, Problem):
        return Located(file, None, {}, [text])
    parser = _parser(text)
    try:
        node = _guarded(file, text, lambda: _compose(parser), "YAML syntax error")
    finally:
        parser.dispose()
    if isinstance(node, Problem):
        return Located(file, None, {}, [node])
    if node is None:
        return Located(file, None, {}, [Problem("file is empty", file, 1)])
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    _walk(node, (), lines, problems, file)
    if not isinstance(node, yaml.MappingNode):
        got = (
            "a list"
            if isinstance(node, yaml.SequenceNode)
            else f"the value {short_repr(node.value)}"
        )
        problems.append(Problem(f"expected a mapping of keys at the top, got {got}", file, 1))
        return Located(file, None, lines, problems)
    data = _guarded(file, text, lambda: _Constructor().construct_document(node), "YAML error")
    if isinstance(data, Problem):
        return Located(file, None, lines, [_with_field(data, lines)])
    return Located(file, data, lines, problems)
