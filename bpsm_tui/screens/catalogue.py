"""The catalogue browser: every published service, searched as you type, shown in full.

The list on the left comes from ``desk.services.search`` (bounded: the best
:attr:`CatalogueScreen.LIMIT` matches), narrowed to one department if chosen; the pane on the
right shows the highlighted service as the desk publishes it: description, FAQ, quality levels,
ordering procedure, delivery terms (lead time, where to pick it up), when the desk can be
reached (``desk.yaml``), and every published version with its date, source and the version a
rollback restored (``desk.services.versions``). Everyone may browse it; it changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from bpsm import Service, ServiceHit
from bpsm_tui.data.format import local_time
from bpsm_tui.screens.call_screen import COMMON_BINDINGS, PaletteCommand, palette_from_bindings

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["CatalogueScreen", "duration_text"]

_ALL = "__all__"


def duration_text(value: timedelta) -> str:
    """``2 days``, ``4 h``, ``1 day 4 h``, ``30 min`` — a duration as a desk says it."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{mins} min"] if mins else []
    return " ".join(parts) or "immediately"


class CatalogueScreen(Screen[None]):
    """Search the published catalogue and read a service in full."""

    LIMIT = 50
    """At most this many services in the list (refine the search for more)."""

    DEFAULT_CSS = """
    CatalogueScreen #catalogue-left { width: 34%; min-width: 34; max-width: 44; }
    CatalogueScreen #catalogue-search { margin: 0; }
    CatalogueScreen #catalogue-department { margin: 0; }
    CatalogueScreen #catalogue-list { height: 1fr; }
    CatalogueScreen #catalogue-count { color: $text-muted; height: 1; }
    CatalogueScreen #catalogue-detail { width: 1fr; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "search",
            "Search",
            id="catalogue.search",
            tooltip="Type to search names, keywords, descriptions and FAQs",
        ),
        Binding(
            "ctrl+g",
            "department",
            "Department",
            id="catalogue.department",
            tooltip="Show only one department's services",
        ),
        Binding(
            "ctrl+l",
            "list",
            "List",
            id="catalogue.list",
            tooltip="Go to the list of services",
        ),
        Binding(
            "ctrl+o",
            "detail",
            "Read",
            id="catalogue.read",
            tooltip="Go to the service's details (scroll with the arrows)",
        ),
        *COMMON_BINDINGS,
    ]
    """``/`` searches, ctrl+g picks a department, ctrl+l the list, ctrl+o reads the service."""

    class Found(Message):
        """The services matching the search (from the worker)."""

        def __init__(self, hits: list[ServiceHit]) -> None:
            super().__init__()
            self.hits = hits

    class Departments(Message):
        """The departments that publish services (from the worker)."""

        def __init__(self, departments: list[str]) -> None:
            super().__init__()
            self.departments = departments

    class Shown(Message):
        """A service in full and its versions (from the worker)."""

        def __init__(self, service: Service, versions: list[Any]) -> None:
            super().__init__()
            self.service, self.versions = service, versions

    class Failed(Message):
        """A search or a look-up was refused or failed."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[ServiceHit] = []
        self.shown: Service | None = None

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen."""
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="catalogue-left"):
                yield Input(placeholder="search the catalogue", id="catalogue-search")
                yield Select(
                    [("every department", _ALL)],
                    value=_ALL,
                    allow_blank=False,
                    id="catalogue-department",
                )
                yield Static("", id="catalogue-count")
                yield OptionList(id="catalogue-list")
            with VerticalScroll(id="catalogue-detail"):
                yield Static(Text("Loading the catalogue…"), id="catalogue-service")
        yield Footer()

    def on_mount(self) -> None:
        # the list has the focus, so the number keys and F2 still switch areas; / searches
        self.query_one("#catalogue-list", OptionList).focus()
        self._search("", None)
        self._load_departments()

    # -- searching -----------------------------------------------------------------------------

    @property
    def department(self) -> str | None:
        """The department chosen (None: every department)."""
        value = self.query_one("#catalogue-department", Select).value
        return None if value == _ALL or value is Select.NULL else str(value)

    @on(Input.Changed, "#catalogue-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value, self.department)

    @on(Select.Changed, "#catalogue-department")
    def _department_chosen(self) -> None:
        self._search(self.query_one("#catalogue-search", Input).value, self.department)

    @on(Input.Submitted, "#catalogue-search")
    def _to_list(self) -> None:
        self.action_list()

    @work(thread=True, exclusive=True, group="catalogue-search")
    def _search(self, text: str, department: str | None) -> None:
        worker = get_current_worker()
        try:
            hits = self.desk_app.desk.services.search(text, limit=self.LIMIT, department=department)
        except Exception as err:
            self.post_message(self.Failed(err))
            return
        if not worker.is_cancelled:  # a later key press superseded this search
            self.post_message(self.Found(hits))

    @work(thread=True, group="catalogue-departments")
    def _load_departments(self) -> None:
        try:
            self.post_message(self.Departments(self.desk_app.desk.services.departments()))
        except Exception as err:
            self.post_message(self.Failed(err))

    def on_catalogue_screen_departments(self, message: Departments) -> None:
        self.query_one("#catalogue-department", Select).set_options(
            [("every department", _ALL), *((d, d) for d in message.departments)]
        )

    def on_catalogue_screen_found(self, message: Found) -> None:
        self.hits = message.hits
        listing = self.query_one("#catalogue-list", OptionList)
        listing.clear_options()
        listing.add_options(
            [
                Option(
                    Text.assemble((hit.name, "bold"), f"\n {hit.id} · {hit.department}"),
                    id=hit.id,
                )
                for hit in message.hits
            ]
        )
        more = " (refine the search for more)" if len(message.hits) == self.LIMIT else ""
        self.query_one("#catalogue-count", Static).update(
            f"{len(message.hits)} service{'s' if len(message.hits) != 1 else ''}{more}"
        )
        if message.hits:
            listing.highlighted = 0
        else:
            self.query_one("#catalogue-service", Static).update(
                Text("No published service matches the search.", style="italic")
            )

    @on(OptionList.OptionHighlighted, "#catalogue-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show(event.option.id)

    @on(OptionList.OptionSelected, "#catalogue-list")
    def _selected(self) -> None:
        self.action_detail()

    @work(thread=True, exclusive=True, group="catalogue-service")
    def _show(self, service_id: str) -> None:
        services = self.desk_app.desk.services
        worker = get_current_worker()
        try:
            service, versions = services.get(service_id), services.versions(service_id)
        except Exception as err:
            self.post_message(self.Failed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Shown(service, list(versions)))

    def on_catalogue_screen_shown(self, message: Shown) -> None:
        self.shown = message.service
        self.query_one("#catalogue-service", Static).update(
            self._service(message.service, message.versions)
        )
        self.query_one("#catalogue-detail", VerticalScroll).scroll_home(animate=False)

    def on_catalogue_screen_failed(self, message: Failed) -> None:
        self.desk_app.show_error(message.error, title="Could not read the catalogue")

    # -- one service in full -------------------------------------------------------------------

    def _service(self, svc: Service, versions: list[Any]) -> Group:
        config = self.desk_app.desk.config
        zone = config.timezone

        def head(title: str) -> Text:
            return Text(f"\n{title}", style="bold underline")

        parts: list[Any] = [
            Text(svc.name, style="bold"),
            Text(
                f"{svc.id} · {svc.department} · calls go to {svc.group} · owner {svc.owner} · "
                f"account manager {svc.account_manager}",
                style="dim",
            ),
            Text(svc.description),
            head("FAQ"),
        ]
        for entry in svc.faq:
            parts += [Text(f"Q: {entry.q}", style="bold"), Text(f"A: {entry.a}")]
        parts.append(head("Quality levels"))
        levels = Table("Level", "Response", "Resolution", "What it means", box=None)
        for level in svc.quality_levels:
            levels.add_row(
                level.name,
                duration_text(level.response_time),
                duration_text(level.resolution_time),
                level.description,
            )
        parts += [levels, head("How to order"), Text(svc.ordering)]
        parts += [
            head("Delivery"),
            Text(f"Lead time: {duration_text(svc.delivery.lead_time)}"),
            Text(f"Where: {svc.delivery.pickup}"),
            head("When the desk can be reached"),
        ]
        for day, hours in config.hours.items():
            opening = "closed" if hours is None else f"{hours[0]:%H:%M}–{hours[1]:%H:%M}"
            parts.append(Text(f"{day.capitalize():<10} {opening}"))
        parts.append(Text(f"Channels: {', '.join(config.channels)} ({zone})", style="dim"))
        if svc.alternatives:
            parts += [head("Related services"), Text(", ".join(svc.alternatives))]
        parts.append(head("Versions"))
        for v in versions:
            line = Text(f"v{v.version} ", style="bold" if v.current else "")
            line.append(f"{local_time(v.published_at, zone)} · {v.source}")
            if v.restores_version is not None:
                line.append(f" · restores v{v.restores_version}", style="yellow")
            if v.current:
                line.append(" · current", style="green")
            parts.append(line)
        return Group(*parts)

    # -- keys ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        """Focus the search field."""
        self.query_one("#catalogue-search", Input).focus()

    def action_department(self) -> None:
        """Open the department choice."""
        select = self.query_one("#catalogue-department", Select)
        select.focus()
        select.action_show_overlay()

    def action_list(self) -> None:
        """Focus the list of services."""
        self.query_one("#catalogue-list", OptionList).focus()

    def action_detail(self) -> None:
        """Focus the service's details, to scroll them."""
        self.query_one("#catalogue-detail", VerticalScroll).focus()

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's palette entries (``catalogue: search``...)."""
        return palette_from_bindings(self)
