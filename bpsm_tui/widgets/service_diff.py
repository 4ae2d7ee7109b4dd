"""A change's proposed service as a unified diff against the published version, coloured."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

__all__ = ["ServiceDiff", "diff_text"]

_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def diff_text(lines: Sequence[str], *, empty: str = "no difference") -> Text:
    """Unified-diff lines as text: additions green, removals red, file and hunk heads marked."""
    if not lines:
        return Text(empty, style="italic dim")
    out = Text()
    for line in lines:
        style = next((s for head, s in _STYLES if line.startswith(head)), "")
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


class ServiceDiff(Static):
    """Shows :attr:`bpsm.DefinitionDiff.lines`; long lines wrap, so nothing is cut at 80 columns."""

    def show(self, lines: Sequence[str], *, empty: str = "no difference") -> None:
        """Show these diff lines (``empty`` when there are none)."""
        self.update(diff_text(lines, empty=empty))
