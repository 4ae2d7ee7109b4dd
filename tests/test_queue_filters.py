"""The queue's filters, text search, sort and keyset paging (``desk.calls.find`` / ``count``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm import Cursor, Desk, NotFound, ValidationError
from tests.helpers import call_in, new_call

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ids(page) -> list[int]:
    return [c.id for c in page.items]


@pytest.fixture
def mixed(desk: Desk) -> dict[str, int]:
    """One call in each state, registered a minute apart; anna registers all but one."""
    made: dict[str, int] = {}
    with freeze_time(T0) as frozen:
        for state in ("registered", "in_progress", "waiting_customer", "waiting_supplier"):
            made[state] = call_in(desk, state).id
            frozen.tick(60)
        for state in ("resolved", "closed", "referred", "cancelled"):
            made[state] = call_in(desk, state).id
            frozen.tick(60)
        made["omar"] = desk.calls.register(
            caller="Omar's caller", channel="phone", summary="Printer jams", by="omar"
        ).id
    return made


def test_each_filter_selects_its_calls_and_counts_them(desk: Desk, mixed: dict[str, int]) -> None:
    m = mixed
    open_ = [m[s] for s in ("registered", "in_progress", "waiting_customer", "waiting_supplier")]
    expected = {
        "open": [*open_, m["resolved"], m["omar"]],
        "mine": [*open_, m["resolved"]],
        "group": [*open_, m["resolved"], m["omar"]],
        "waiting": [m["waiting_customer"], m["waiting_supplier"]],
        "resolved": [m["resolved"]],
        "closed": [m["closed"]],
        "referred": [m["referred"]],
        "all": sorted(m.values()),
    }
    with freeze_time(T0 + timedelta(minutes=10)):
        for name, wanted in expected.items():
            assert ids(desk.calls.find(filter=name, by="anna")) == wanted, name
            assert desk.calls.count(filter=name, by="anna") == len(wanted), name


def test_a_specialist_sees_only_his_groups_calls(desk: Desk, mixed: dict[str, int]) -> None:
    in_progress = mixed["in_progress"]
    desk.calls.escalate(in_progress, to_group="second-line-it", reason="needs a tech", by="anna")
    assert ids(desk.calls.find(filter="group", by="ben")) == [in_progress]
    assert desk.calls.count(filter="mine", by="ben") == 0


def test_overdue_follows_the_services_lead_time(desk: Desk) -> None:
    with freeze_time(T0):
        laptop = call_in(desk, "in_progress", service="laptop").id  # lead time P5D
        password = call_in(desk, "registered", service="password-reset").id  # PT30M
        call_in(desk, "resolved", service="password-reset")  # delivered: never overdue
        call_in(desk, "registered", service=None)  # no delivery terms: never overdue
    with freeze_time(T0 + timedelta(minutes=29)):
        assert ids(desk.calls.find(filter="overdue")) == []
    with freeze_time(T0 + timedelta(minutes=31)):
        assert ids(desk.calls.find(filter="overdue")) == [password]
    with freeze_time(T0 + timedelta(days=5, minutes=1)):
        assert ids(desk.calls.find(filter="overdue")) == [laptop, password]
        assert desk.calls.count(filter="overdue") == 2


def test_search_finds_by_number_caller_and_summary(desk: Desk) -> None:
    kim = new_call(desk, caller="Kim Jansen", summary="Laptop will not start").id
    new_call(desk, caller="Ada Smit", summary="Screen flickers")
    odd = new_call(desk, caller="Bo 50% sure_", summary="VPN drops").id
    assert ids(desk.calls.find(search=f"C-{kim:06d}")) == [kim]
    assert ids(desk.calls.find(search=str(kim))) == [kim]
    assert ids(desk.calls.find(search="jansen")) == [kim]
    assert ids(desk.calls.find(search="WILL NOT")) == [kim]
    assert ids(desk.calls.find(search="50%")) == [odd]  # % is a character, not a wildcard
    assert ids(desk.calls.find(search="sure_")) == [odd]
    assert ids(desk.calls.find(search="o_s")) == []  # _ is no wildcard
    assert desk.calls.count(search="laptop") == 1


SEARCHES = [
    "k",  # one and two characters: shorter than the index's trigrams, read as before
    "Ki",
    "kim",
    "JANSEN",
    "will not",
    "50%",
    "sure_",
    "o_s",
    "%",
    "_",
    "'s c",
    'say "hi',
    '"',
    "jams",
    "zzz",
    "Émi",
    "émile",
]


@pytest.mark.parametrize("few", [0, 10_000], ids=["queue order", "index first"])
def test_search_finds_the_same_calls_whether_the_index_is_asked_first_or_not(
    desk: Desk, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whichever way a search is read (through the search index's candidates when the text is
    rare, or the queue in its order when common), it selects exactly the calls whose caller or
    summary holds the text, ignoring case; ``%``, ``_`` and quotes are characters."""
    from bpsm.processes.calls import queue

    monkeypatch.setattr(queue, "FEW", few)
    texts = [
        ("Kim Jansen", "Laptop will not start"),
        ("Ada Smit", "Screen flickers"),
        ("Bo 50% sure_", "VPN drops"),
        ("Omar's caller", "Printer jams"),
        ("Ann", 'They say "hi" and hang up'),
        ("Émile Kok", "Kiosk 100_% down"),
    ]
    made = {new_call(desk, caller=c, summary=t).id: (c, t) for c, t in texts}
    sqlite = desk.engine.dialect.name == "sqlite"

    def fold(x: str) -> str:  # SQLite's LIKE folds the ASCII letters only, ILIKE every letter
        return "".join(ch.lower() if ch.isascii() or not sqlite else ch for ch in x)

    for text in SEARCHES:
        expected = sorted(
            i
            for i, (caller, summary) in made.items()
            if fold(text) in fold(caller) or fold(text) in fold(summary)
        )
        assert sorted(ids(desk.calls.find(filter="all", search=text))) == expected, text
        assert desk.calls.count(filter="all", search=text) == len(expected), text


def test_the_search_index_follows_every_new_call(desk: Desk) -> None:
    """On SQLite the FTS5 index holds every call (its triggers fill it as calls come)."""
    from sqlalchemy import text

    from bpsm.store import search

    kim = new_call(desk, caller="Kim Jansen").id
    with desk.transaction() as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("PostgreSQL's trigram indexes are plain indexes on the columns")
        assert search.has_index(s.connection())
        found = s.execute(
            text(f"SELECT rowid FROM {search.TABLE} WHERE {search.TABLE} MATCH :q"),
            {"q": '"jansen"'},
        ).all()
    assert [r[0] for r in found] == [kim]


def test_a_bulk_load_leaves_the_search_index_whole(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path loads without the index's triggers and refills it once at the end: the
    index then finds what a scan finds, and follows the calls registered after it."""
    from bpsm.demo import bulk_seed
    from bpsm.processes.calls import queue
    from bpsm.store import search

    bulk_seed(desk, 60, chunk=25)
    kim = new_call(desk, caller="Kim Zzyzx").id
    with desk.transaction() as s:
        assert search.has_index(s.connection()) or s.get_bind().dialect.name != "sqlite"
    counts = []
    for few in (0, 10_000):
        monkeypatch.setattr(queue, "FEW", few)
        counts.append(desk.calls.count(filter="all", search="jansen"))
        assert ids(desk.calls.find(filter="all", search="zzyzx")) == [kim]
    assert counts[0] == counts[1] > 0


def test_sort_by_each_column_both_ways(desk: Desk) -> None:
    with freeze_time(T0) as frozen:
        c = new_call(desk, caller="Cleo", service="printing").id
        frozen.tick(60)
        a = new_call(desk, caller="Alex", service="wifi-access").id
        frozen.tick(60)
        b = new_call(desk, caller="Bea", service=None).id
    assert ids(desk.calls.find(sort="caller")) == [a, b, c]
    assert ids(desk.calls.find(sort="caller", descending=True)) == [c, b, a]
    assert ids(desk.calls.find(sort="age")) == [c, a, b]
    assert ids(desk.calls.find(sort="age", descending=True)) == [b, a, c]
    assert ids(desk.calls.find(sort="number", descending=True)) == [b, a, c]
    assert ids(desk.calls.find(sort="service")) == [b, c, a]  # no service first
    desk.calls.accept(a, by="anna")
    assert ids(desk.calls.find(sort="state")) == [a, c, b]  # in_progress < registered
    assert ids(desk.calls.find(sort="group")) == [c, a, b]  # one group: by number


def test_pages_by_key_forward_back_last_and_at_a_call(desk: Desk) -> None:
    with freeze_time(T0) as frozen:
        made = []
        for i in range(7):
            made.append(new_call(desk, caller=f"Caller {i}").id)
            frozen.tick(60)
    first = desk.calls.find(limit=3)
    assert ids(first) == made[:3] and first.previous is None and first.next is not None
    second = desk.calls.find(after=first.next, limit=3)
    third = desk.calls.find(after=second.next, limit=3)
    assert ids(second) == made[3:6] and ids(third) == made[6:] and third.next is None
    back = desk.calls.find(before=third.previous, limit=3)
    assert ids(back) == made[3:6] and back.next is not None and back.previous is not None
    assert ids(desk.calls.find(before=back.previous, limit=3)) == made[:3]
    last = desk.calls.find(last=True, limit=3)
    assert ids(last) == made[4:] and last.next is None and last.previous is not None
    at = desk.calls.find(at=made[2], limit=3)
    assert ids(at) == made[2:5] and at.previous is not None
    assert desk.calls.find(at=made[0], limit=3).previous is None
    assert desk.calls.count(before=Cursor("age", at.items[0].registered_at, made[2])) == 2


def test_bad_queue_arguments_are_refused_naming_the_field(desk: Desk) -> None:
    new_call(desk), new_call(desk)
    page = desk.calls.find(limit=1)
    cases = [
        ({"filter": "urgent"}, "filter"),
        ({"sort": "colour"}, "sort"),
        ({"search": "x" * 1000}, "search"),
        ({"after": page.next, "sort": "caller"}, "after"),
        ({"after": "C-000001"}, "after"),
        ({"filter": "mine"}, "by"),
        ({"last": True, "at": 1}, "after"),
        ({"limit": 0}, "limit"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            desk.calls.find(**kwargs)
        assert caught.value.problems[0].field == field, kwargs
    with pytest.raises(NotFound):
        desk.calls.find(at=999_999)


def test_the_old_offset_queue_still_pages(desk: Desk) -> None:
    made = [new_call(desk, caller=f"Caller {i}").id for i in range(4)]
    assert [c.id for c in desk.calls.queue(offset=2, limit=2).items] == made[2:]


@settings(
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    callers=st.lists(st.sampled_from(["Ada", "Bo", "Cy"]), min_size=0, max_size=9),
    sort=st.sampled_from(["number", "caller", "age", "state"]),
    descending=st.booleans(),
    limit=st.integers(1, 4),
)
def test_paging_forward_then_back_visits_every_row_once_in_sort_order(
    desk: Desk, callers: list[str], sort: str, descending: bool, limit: int
) -> None:
    existing = desk.calls.count(filter="all")
    with freeze_time(T0) as frozen:
        for i, caller in enumerate(callers):
            new_call(desk, caller=caller)
            if i % 2:
                frozen.tick(60)  # some calls share a registration time: ties break by number
    forward: list[int] = []
    page = desk.calls.find(filter="all", sort=sort, descending=descending, limit=limit)
    pages = [page]
    forward += ids(page)
    while page.next is not None:
        page = desk.calls.find(
            filter="all", sort=sort, descending=descending, after=page.next, limit=limit
        )
        pages.append(page)
        forward += ids(page)
    everything = desk.calls.find(filter="all", sort=sort, descending=descending, limit=500)
    assert forward == ids(everything) and len(forward) == existing + len(callers)
    assert len(set(forward)) == len(forward)
    backward = ids(page)
    while page.previous is not None:
        page = desk.calls.find(
            filter="all", sort=sort, descending=descending, before=page.previous, limit=limit
        )
        backward = ids(page) + backward
    assert backward == forward
    keys = [_key(c, sort) for c in everything.items]
    assert keys == sorted(keys, reverse=descending)


def _key(call, sort: str):
    value = {"number": call.id, "caller": call.caller, "age": call.registered_at}.get(sort)
    return call.state if value is None else value


def test_a_cursor_is_a_plain_value() -> None:
    assert Cursor("age", T0, 3) == Cursor("age", T0, 3)


@pytest.mark.parametrize("filter", ["all", "open"])
@pytest.mark.parametrize("descending", [False, True])
def test_a_search_no_index_serves_reads_a_bounded_number_of_calls_per_page(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, filter: str, descending: bool
) -> None:
    """A text shorter than the index's trigrams reads at most ``SCAN`` calls for a page: a
    page may hold fewer calls (or none) and says it was cut, its cursors go on from the last
    call read, and paging on and back visits every match once, in order, as an unbounded read
    would."""
    from bpsm.processes.calls import queue

    monkeypatch.setattr(queue, "SCAN", 4)
    with freeze_time(T0) as frozen:
        made = []
        for i in range(14):  # the matches bunched: pages over the calls between find nothing
            made.append(new_call(desk, caller="Xq Ada" if i in (0, 1, 9, 10, 11, 13) else "Bo").id)
            frozen.tick(60)
        desk.calls.accept(made[9], by="anna")  # two states among the open calls
        desk.calls.accept(made[2], by="anna")
    expected = sorted([made[i] for i in (0, 1, 9, 10, 11, 13)], reverse=descending)
    kw = {"filter": filter, "search": "xq", "sort": "number", "descending": descending}
    page = desk.calls.find(limit=2, **kw)
    pages, seen = [page], ids(page)
    while page.next is not None:
        page = desk.calls.find(limit=2, after=page.next, **kw)
        pages.append(page)
        seen += ids(page)
    assert seen == expected
    assert any(p.cut for p in pages) and any(p.cut and not p.items for p in pages)
    assert all(len(p.items) <= 2 for p in pages)
    back = ids(page)
    while page.previous is not None:
        page = desk.calls.find(limit=2, before=page.previous, **kw)
        back = ids(page) + back
    assert back == expected
    last = desk.calls.find(limit=2, last=True, **kw)
    assert ids(last) == expected[-2:] and last.previous is not None
    assert desk.calls.count(filter=filter, search="xq") == len(expected)
