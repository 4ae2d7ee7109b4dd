"""The KPI dashboard's pictures: a trend as a terminal plot, and the effort balance as bars.

:class:`TrendPlot` draws one figure per period with ``textual-plotext`` (a line for shares and
means, bars for counts); a period without a figure (a share of nothing) is a gap, never a zero.
:class:`BalanceBars` draws each kind of work's share of the time logged as a bar with the
target marked on it, and the gap in points beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from rich.text import Text
from textual.app import RenderResult
from textual.widgets import Static
from textual_plotext import PlotextPlot

from bpsm import EffortBalance
from bpsm_tui.data.format import minutes_text

__all__ = ["BalanceBars", "Kind", "TrendPlot"]

Kind = Literal["line", "bar", "bands"]
"""A trend as a line, a trend as bars, or a few named bands as bars (each bar labelled)."""


def _ticks(count: int, room: int) -> list[int]:
    """Which of ``count`` x positions get a label, evenly, about one per ``room`` columns."""
    if count <= 0:
        return []
    every = max(1, -(-count // max(1, room)))
    picked = list(range(0, count, every))
    if picked[-1] != count - 1 and count - 1 - picked[-1] >= every / 2:
        picked.append(count - 1)
    return picked


def _runs(points: list[tuple[int, float]]) -> list[list[tuple[int, float]]]:
    """The points in runs of neighbouring periods (a period without a figure breaks the line)."""
    runs: list[list[tuple[int, float]]] = []
    for point in points:
        if runs and runs[-1][-1][0] == point[0] - 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


class TrendPlot(PlotextPlot):
    """One figure per period: ``show(labels, values)`` draws it (None: no figure that period).

    Args:
        title: what the plot shows, with its unit (``First time right %``).
        kind: ``line`` (shares, means) or ``bar`` (counts).
        low, high: the y axis' fixed range (a share 0–100, a 1–7 score), else from the data.
    """

    DEFAULT_CSS = """
    TrendPlot {
        height: 10;
        width: 1fr;
    }
    """

    def __init__(
        self,
        title: str,
        *,
        kind: Kind = "line",
        low: float | None = None,
        high: float | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self._kind, self._low, self._high = kind, low, high
        self._labels: list[str] = []
        self._values: list[float | None] = []
        self._note = "computing…"  # until the first show()

    @property
    def values(self) -> list[float | None]:
        """The figures shown, one per period (tests read them)."""
        return list(self._values)

    def show(self, labels: Sequence[str], values: Sequence[float | None], note: str = "") -> None:
        """Draw ``values`` over the periods ``labels``; ``note`` follows the title."""
        self._labels, self._values, self._note = list(labels), list(values), note
        self.refresh()

    def render(self) -> RenderResult:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        points = [(i, v) for i, v in enumerate(self._values) if v is not None]
        note = self._note or ("" if points or not self._labels else "none in this range")
        plt.title(f"{self.title} · {note}" if note else self.title)
        if points:
            xs, ys = [i for i, _ in points], [v for _, v in points]
            if self._kind in ("bar", "bands"):
                plt.bar(xs, ys, width=0.6)
                top = max(1, math.ceil(max(ys)))
                every = math.ceil(top / 4)
                counts = [float(t) for t in range(0, top + every, every)]
                plt.ylim(0, counts[-1])
                plt.yticks(counts, [f"{t:,.0f}" for t in counts])
            else:
                for run in _runs(points):  # a line only between neighbouring periods
                    plt.plot([i for i, _ in run], [v for _, v in run], marker="braille")
                plt.scatter(xs, ys, marker="dot")
        if self._low is not None and self._high is not None:
            plt.ylim(self._low, self._high)
            span = self._high - self._low
            step = span / 4 if span != 6 else 2.0  # a 1–7 score: 1, 3, 5, 7
            ticks = [self._low + step * i for i in range(round(span / step) + 1)]
            plt.yticks(ticks, [f"{t:g}" for t in ticks])
        count = len(self._labels)
        if count:
            plt.xlim(-0.5, count - 0.5)
            room = max(1, (self.size.width - 8) // 7)
            if self._kind == "bands":  # a few short labels: one under each bar that fits
                widest = max(len(label) for label in self._labels)
                room = max(1, (self.size.width - 6) // (widest + 1))
            shown = _ticks(count, room)
            plt.xticks([float(i) for i in shown], [self._labels[i] for i in shown])
        return super().render()


class BalanceBars(Static):
    """The time logged by kind of work: each kind's share as a bar, its target marked ``┊``."""

    DEFAULT_CSS = """
    BalanceBars {
        height: auto;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._balance: EffortBalance | None = None
        self._title = "Time against target · computing…"  # until the first show()

    def show(self, balance: EffortBalance, title: str) -> None:
        """Draw ``balance`` under ``title``."""
        self._balance, self._title = balance, title
        self.refresh(layout=True)

    def render(self) -> RenderResult:
        out = Text(self._title, style="bold")
        balance = self._balance
        if balance is None:
            return out
        out.append(f"\n{minutes_text(balance.minutes)} logged · ┊ the target", style="dim")
        name_width = max(len(k.work) for k in balance.kinds)
        # name, bar, then " 61%  target 50  +11" (24 columns) or, when narrow, " 61%/50 +11"
        wide = self.content_size.width - name_width - 1 >= 24 + 16
        room = max(4, self.content_size.width - name_width - 1 - (24 if wide else 12))
        for kind in balance.kinds:
            out.append("\n")
            out.append(kind.work.ljust(name_width + 1))
            filled = round((kind.share or 0) * room / 100)
            mark = min(room - 1, round(kind.target * room / 100))
            for cell in range(room):
                if cell == mark:
                    out.append(
                        "│" if cell < filled else "┊",
                        style="bold on cyan" if cell < filled else "bold",
                    )
                else:
                    out.append("█" if cell < filled else " ", style="cyan")
            share = "  —" if kind.share is None else f"{kind.share:3.0f}%"
            out.append(f" {share}  target {kind.target:>2}" if wide else f" {share}/{kind.target}")
            if kind.gap is not None:
                style = "green" if abs(kind.gap) < 5 else "yellow"
                out.append(f" {' ' if wide else ''}{kind.gap:+.0f}".replace("-", "−"), style=style)
        return out
