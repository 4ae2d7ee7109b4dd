"""Text lengths and argument rules: the same refusal, in the same words, on SQLite and PostgreSQL.

Each scenario here was an untyped exception or a raw database error before (or an answer that
differed between the databases): a 201-character caller stored on SQLite and a ``DataError``
with SQL on PostgreSQL, a NUL byte, a lone surrogate, ``calls.get(2**63)``, ``calls.get(1.5)``, a
megabyte search, unknown states accepted silently. ``docs/limits.md`` is checked against the
columns so it cannot drift.
"""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa

from bpsm import DatabaseError, Desk, NotFound, PermissionDenied, ValidationError
from bpsm.limits import column_limits, limits_markdown
from bpsm.store.tables import Base, CallRow, StaffRow
from bpsm.store.uow import translate
from bpsm.validation import SEARCH_LIMIT, TEXT_LIMIT, limit_of
from tests.conftest import ROOT
from tests.helpers import OP, call_in, new_call
from tests.test_api_fuzz import snapshot
from tests.test_relation_transitions import case_in


def refused(desk: Desk, error: type[Exception], act, match: str | None = None) -> Exception:
    """``act`` raises ``error`` (matching ``match``) and the database is as it was."""
    before = snapshot(desk)
    with pytest.raises(error, match=match) as err:
        act()
    assert snapshot(desk) == before
    return err.value


# -- text lengths, from the columns ----------------------------------------------------------------


def test_a_caller_one_past_its_column_is_refused_naming_the_field_and_the_limit(desk: Desk) -> None:
    err = refused(desk, ValidationError, lambda: new_call(desk, caller="x" * 201))
    assert str(err) == "caller: at most 200 characters (got 201)"
    assert err.problems[0].field == "caller"  # type: ignore[attr-defined]
    assert new_call(desk, caller="x" * 200).caller == "x" * 200


def test_the_limit_is_the_columns_length_not_a_second_number() -> None:
    assert limit_of(CallRow.caller) == CallRow.__table__.c.caller.type.length == 200
    assert limit_of(CallRow.summary) == TEXT_LIMIT  # a Text column


def test_a_long_text_answer_of_a_step_is_refused_and_changes_nothing(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    err = refused(
        desk,
        ValidationError,
        lambda: desk.calls.resolve(call.id, solution="s" * (TEXT_LIMIT + 1), by=OP),
    )
    assert str(err) == f"solution: at most {TEXT_LIMIT:,} characters (got {TEXT_LIMIT + 1:,})"
    assert desk.calls.get(call.id).state == "in_progress"


def test_a_step_answer_bounded_by_its_column_is_refused_by_the_ask(desk: Desk) -> None:
    case = case_in(desk, "delivered")
    keep = desk.relations.keep_standard_delivery
    err = refused(
        desk, ValidationError, lambda: keep(case.id, steps=["order"], name="n" * 201, by="dave")
    )
    assert str(err) == "name: at most 200 characters (got 201)"
    assert keep(case.id, steps=["order"], name="n" * 200, by="dave").state == "standard_delivery"


def test_a_field_the_boundary_forgets_is_still_refused_alike_by_the_unit_of_work(
    desk: Desk,
) -> None:
    """SQLite would store 65 characters in a String(64) column; PostgreSQL would fail."""
    before = snapshot(desk)
    too_long = pytest.raises(ValidationError, match=r"^id: at most 64 characters \(got 65\)$")
    with too_long, desk.transaction() as s:
        s.add(StaffRow(id="x" * 65, name="X", roles=[], group="service-desk", active=True))
    nul = pytest.raises(ValidationError, match=r"^name: contains a NUL character")
    with nul, desk.transaction() as s:
        s.get_one(StaffRow, "anna").name = "An\x00na"
    assert snapshot(desk) == before


# -- characters no database should get -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "a\x00b", "summary: contains a NUL character (at position 1)"),
        ("caller", "\x00", "caller: contains a NUL character (at position 0)"),
        (
            "caller",
            "Kim \ud800",
            "caller: contains a character that is not valid Unicode text "
            "(a lone surrogate at position 4)",
        ),
        ("summary", 42, "summary: 42 is not text"),
        ("caller", "   ", "caller: must not be empty"),
    ],
)
def test_a_text_no_database_can_store_is_refused_in_one_line(
    desk: Desk, field: str, value: object, message: str
) -> None:
    args = {"caller": "Kim", "summary": "printer jams", field: value}
    err = refused(
        desk,
        ValidationError,
        lambda: desk.calls.register(channel="phone", service="laptop", by=OP, **args),
    )
    assert str(err) == message


def test_a_nul_byte_in_a_step_answer_is_refused_and_changes_nothing(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    err = refused(
        desk, ValidationError, lambda: desk.calls.resolve(call.id, solution="\x00", by=OP)
    )
    assert str(err) == "solution: contains a NUL character (at position 0)"
    err = refused(
        desk,
        ValidationError,
        lambda: desk.calls.escalate(call.id, to_group="it\ud800", reason="r", by=OP),
    )
    assert err.problems[0].field == "to_group"  # type: ignore[attr-defined]


# -- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ident", [2**63, 2**31, 0, -1, -(2**63) - 1, 10**30])
def test_an_id_no_record_can_have_is_not_found_on_every_database(desk: Desk, ident: int) -> None:
    new_call(desk)
    err = refused(desk, NotFound, lambda: desk.calls.get(ident))
    assert str(err) == f"no call {ident!r}"
    refused(desk, NotFound, lambda: desk.calls.accept(ident, by=OP))


@pytest.mark.parametrize("ident", [1.5, 1.0, True, "1", None, [1]])
def test_an_id_that_is_not_a_whole_number_is_refused_even_when_a_record_would_match(
    desk: Desk, ident: object
) -> None:
    assert new_call(desk).id == 1  # PostgreSQL used to cast 1.5 and find call 1; SQLite did not
    err = refused(desk, ValidationError, lambda: desk.calls.get(ident))  # type: ignore[arg-type]
    assert str(err) == f"id: {ident!r} is not a call id (a whole number)"


def test_ids_of_the_other_processes_follow_the_same_rule(desk: Desk) -> None:
    refused(desk, ValidationError, lambda: desk.relations.get(1.5))  # type: ignore[arg-type]
    refused(desk, NotFound, lambda: desk.improvements.get(2**63))
    refused(desk, NotFound, lambda: desk.maintenance.get(2**63))
    refused(desk, NotFound, lambda: desk.relations.standard_delivery(2**63))
    refused(desk, ValidationError, lambda: desk.services.get("laptop", version=1.5))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="call_id: there is no call"):
        desk.recommendations.register(
            customer="Kim", description="d", value=5, call_id=2**63, by=OP
        )


# -- search, paging, names ------------------------------------------------------------------------


def test_a_megabyte_search_is_refused_and_wildcards_match_only_themselves(desk: Desk) -> None:
    err = refused(desk, ValidationError, lambda: desk.services.search("x" * 1_000_000))
    assert str(err) == f"text: at most {SEARCH_LIMIT} characters (got 1,000,000)"
    assert desk.services.search("laptop " * (SEARCH_LIMIT // 7))  # long, but within the limit
    literal = desk.services.search("%")  # only a text with a per cent sign in it
    assert literal and all("%" in hit.matched for hit in literal)
    assert len(literal) < len(desk.services.search(""))
    refused(desk, ValidationError, lambda: desk.services.search(None))  # type: ignore[arg-type]


def test_unknown_states_in_a_queue_are_refused_naming_them(desk: Desk) -> None:
    err = refused(
        desk, ValidationError, lambda: desk.calls.queue(states=("registered", "bogus", "open"))
    )
    assert str(err).startswith("states: ['bogus', 'open']: not states of the call process (")
    assert desk.calls.queue(states="registered").total == 0  # one name is a list of one
    assert desk.calls.queue(states=None).total == 0  # every state


def test_an_unknown_channel_or_group_is_refused_naming_the_allowed_ones(desk: Desk) -> None:
    err = refused(
        desk,
        ValidationError,
        lambda: desk.calls.register(caller="Kim", channel="fax", summary="s", by=OP),
    )
    assert str(err).startswith("channel: 'fax' is not one of the desk's channels phone")
    err = refused(desk, ValidationError, lambda: desk.calls.queue(group="nobody"))
    assert str(err).startswith("group: 'nobody' is not one of the desk's groups service-desk")


@pytest.mark.parametrize(
    ("offset", "limit", "field"),
    [
        (0, 2**63, "limit"),
        (0, 0, "limit"),
        (1.5, 10, "offset"),
        (-1, 10, "offset"),
        (0, None, "limit"),
    ],
)
def test_paging_out_of_range_is_refused_naming_offset_or_limit(
    desk: Desk, offset: object, limit: object, field: str
) -> None:
    err = refused(desk, ValidationError, lambda: desk.calls.queue(offset=offset, limit=limit))  # type: ignore[arg-type]
    assert err.problems[0].field == field  # type: ignore[attr-defined]
    assert "paging" in str(err)


def test_someone_who_is_not_a_person_is_refused_as_a_person(desk: Desk) -> None:
    call = new_call(desk)
    for who in (["anna"], {"anna": 1}, None, 7):
        refused(desk, PermissionDenied, lambda who=who: desk.calls.accept(call.id, by=who))


def test_a_need_of_thousands_of_words_still_finds_alternatives(desk: Desk) -> None:
    """SQLite refuses an expression more than 1,000 deep: one LIKE per word used to hit it."""
    case = desk.relations.open(customer="Kim", request="a laptop", by=OP)
    need = " ".join(f"l{i}" for i in range(2_000))
    case = desk.relations.clarify_need(case.id, need=need, by=OP)
    proposed = desk.relations.propose_alternatives(case.id, by=OP)
    assert proposed.state == "alternative_proposed"


# -- the safety net: database errors -----------------------------------------------------------


def test_a_database_data_error_becomes_a_validation_error_without_sql() -> None:
    raw = sa.DataError(
        "INSERT INTO calls (caller) VALUES (%(caller)s)",
        {"caller": "x" * 201},
        Exception("value too long for type character varying(200)\n"),
    )
    typed = translate(raw)
    assert isinstance(typed, ValidationError)
    assert "INSERT" not in str(typed) and "xxx" not in str(typed)
    assert "value too long for type character varying(200)" in str(typed)


def test_other_database_refusals_become_typed_errors_without_sql() -> None:
    sql = "SELECT * FROM calls WHERE id = ?"
    bug = translate(sa.ProgrammingError(sql, (1,), Exception("syntax error near FROM")))
    assert isinstance(bug, DatabaseError) and "SELECT" not in str(bug)
    check = translate(sa.IntegrityError(sql, (1,), Exception("CHECK constraint failed: ck_x")))
    assert isinstance(check, ValidationError) and "ck_x" in str(check)
    big = translate(sa.OperationalError(sql, (1,), Exception("LIKE or GLOB pattern too complex")))
    assert isinstance(big, ValidationError) and "SELECT" not in str(big)
    surrogate = translate(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))
    assert isinstance(surrogate, ValidationError)


# -- the documented table ----------------------------------------------------------------------


def test_the_limits_page_matches_the_columns() -> None:
    committed = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    assert committed == limits_markdown(), (
        "docs/limits.md is stale: run python -m bpsm.limits --write"
    )


def test_the_limits_page_lists_every_text_column_of_the_schema() -> None:
    listed = {(t, c) for t, c, _ in column_limits()}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if getattr(column.type, "length", None):
                assert (table.name, column.name) in listed
    assert ("calls", "caller", 200) in column_limits()
