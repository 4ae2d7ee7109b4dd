"""Relation management told as the stories the method uses.

The stories: tablet, refusal, new service, iPad for the board.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bpsm import Desk, GuardFailed
from bpsm.catalogue import load_catalogue
from tests.conftest import CATALOGUE

CHECKLIST = ["tested", "rollback-plan", "desk-ready", "documentation", "parties-informed"]


def test_tablet_request_ends_with_the_loan_device_registered_for_the_customer(desk: Desk) -> None:
    call = desk.calls.register(
        caller="Kim Jansen", channel="email", summary="Can I have a tablet?", by="anna"
    )
    call, case = desk.calls.refer(call.id, reason="tablets are not a standard service", by="anna")
    case = desk.relations.clarify_need(
        case.id,
        need="read and annotate the board papers in meetings without printing them",
        asked_for="a tablet",
        by="anna",
    )
    assert (case.state, case.asked_for) == ("need_clarified", "a tablet")

    case = desk.relations.propose_alternatives(case.id, by="anna")
    best = case.suggestions[0]
    assert (best.kind, best.service_id, best.fit) == ("service", "loan-device", "partial")
    assert {"tablet", "meetings"} <= set(best.matched) and "annotate" in best.missing
    assert [s.score for s in case.suggestions] == sorted(
        (s.score for s in case.suggestions), reverse=True
    )

    case = desk.relations.accept_alternative(case.id, service="loan-device", by="anna")
    assert (case.state, case.alternative_service_id) == ("accepted", "loan-device")
    assert case.closed_at is not None
    loan = desk.calls.get(case.alternative_call_id)
    assert (loan.state, loan.service_id, loan.caller, loan.channel) == (
        "in_progress",
        "loan-device",
        "Kim Jansen",
        "email",
    )
    assert (
        loan.registered_by == "anna"
        and loan.group == "service-desk"
        and case.number in loan.summary
    )
    assert [e.trigger for e in desk.history(loan)] == ["register", "accept"]
    assert [e.trigger for e in desk.history(case)] == [
        "receive",
        "clarify_need",
        "propose_alternatives",
        "accept_alternative",
    ]
    assert desk.history(case)[-1].data == {"service_id": "loan-device"}
    assert desk.calls.get(call.id).state == "referred"


def test_account_manager_accepting_an_alternative_registers_the_call_for_the_services_group(
    desk: Desk,
) -> None:
    case = desk.relations.open(
        customer="Board secretariat", request="A phone that is always on", by="dave"
    )
    case = desk.relations.clarify_need(
        case.id, need="reachable on the move for urgent board decisions", by="dave"
    )
    case = desk.relations.propose_alternatives(case.id, by="dave")
    assert "smartphone" in [s.service_id for s in case.suggestions]
    case = desk.relations.accept_alternative(case.id, service="smartphone", by="dave")
    call = desk.calls.get(case.alternative_call_id)
    assert (call.registered_by, call.group, call.state) == ("dave", "second-line-it", "in_progress")
    assert call.channel == desk.config.channels[0]


def test_bespoke_request_refused_for_budget_with_the_explanation_recorded(desk: Desk) -> None:
    case = desk.relations.open(customer="R&D lab", request="A 3D printer for the lab", by="omar")
    case = desk.relations.clarify_need(
        case.id,
        need="print prototype parts for product tests within a day",
        asked_for="3D printer",
        by="omar",
    )
    case = desk.relations.propose_alternatives(case.id, by="omar")
    assert case.suggestions[0].service_id == "printing"
    case = desk.relations.decline_alternative(
        case.id, reason="the print service prints paper, not parts", by="omar"
    )
    assert (case.state, case.bespoke_reason) == (
        "bespoke_assessment",
        "the print service prints paper, not parts",
    )

    desk.relations.answer(
        case.id, "feasible", yes=True, reason="the supplier sells and services them", by="ben"
    )
    desk.relations.answer(
        case.id,
        "want",
        yes=True,
        reason="fits the innovation policy",
        by="dave",
        considerations={
            "policy_strategy": "innovation is a spearhead this year",
            "time": "ben can set it up in a week",
            "security_impact": "stand-alone, no network",
            "maintainability": "supplier maintenance contract",
        },
    )
    case = desk.relations.answer(
        case.id,
        "budget",
        yes=False,
        by="dave",
        reason="EUR 4,000 plus EUR 900 a year; the lab's budget is spent, "
        "and we cannot invoice it elsewhere",
    )
    assert case.answers["want"].considerations["security_impact"] == "stand-alone, no network"
    with pytest.raises(GuardFailed, match="budget"):
        desk.relations.agree(case.id, customer_agrees=True, by="dave")
    with pytest.raises(GuardFailed, match="explanation_to_customer"):
        desk.relations.refuse(
            case.id, explanation="", options=["use an external print shop"], by="dave"
        )

    explanation = (
        "A 3D printer does not fit the lab's budget this year, and we cannot invoice it elsewhere."
    )
    options = [
        "order parts from an external 3D print shop (2 days)",
        "ask again with next year's budget",
    ]
    case = desk.relations.refuse(case.id, explanation=explanation, options=options, by="dave")
    assert (case.state, case.explanation, case.options) == ("refused", explanation, options)
    last = desk.history(case)[-1]
    assert (last.trigger, last.reason, last.data) == (
        "refuse",
        explanation,
        {"no_to": ["budget"], "options": options},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, root)
    return root


def test_bespoke_delivery_standardized_into_the_catalogue_through_the_change_gate(
    db_url: str, folder: Path
) -> None:
    desk = Desk.open(db_url, catalogue=folder)
    case = desk.relations.open(
        customer="Sanne (finance)", request="Dictation software for RSI", by="anna"
    )
    case = desk.relations.clarify_need(case.id, need="keep working while typing hurts", by="anna")
    case = desk.relations.assess_bespoke(
        case.id, reason="nothing in the catalogue does speech recognition", by="dave"
    )
    for question in ("feasible", "want", "budget"):
        desk.relations.answer(
            case.id, question, yes=True, reason=f"{question}: agreed with IT and finance", by="dave"
        )
    desk.relations.agree(case.id, customer_agrees=True, by="dave")
    case = desk.relations.deliver(
        case.id,
        notes="installed and trained",
        by="ben",
        steps=["buy a licence", "install on the laptop", "one hour of training"],
    )

    draft = desk.relations.draft_service(case.id, by="dave")
    assert (draft["id"], draft["department"], draft["account_manager"]) == (
        "dictation-software-for-rsi",
        "IT",
        "dave",
    )
    assert draft["name"] == "Dictation software for RSI" and "typing hurts" in draft["description"]
    assert {"dictation", "software", "rsi"} <= set(draft["keywords"])
    draft.update(
        faq=[
            {"q": "Who can get it?", "a": "Anyone with a note from the company doctor."},
            {"q": "Which languages?", "a": "Dutch and English."},
        ],
        quality_levels=[
            {
                "name": "standard",
                "description": "Installed remotely.",
                "response_time": "PT4H",
                "resolution_time": "P2D",
            }
        ],
        ordering="Ask the desk; the company doctor's note is enough.",
        delivery={"lead_time": "P2D", "pickup": "Installed on your laptop remotely"},
        owner="IT Workplace Services team lead",
    )
    case = desk.relations.standardize(case.id, definition=draft, by="dave")
    assert case.state == "standardized" and case.change_id is not None

    change = desk.changes.get(case.change_id)
    assert (change.state, change.kind, change.origin_type, change.origin_id) == (
        "draft",
        "add",
        "relation",
        str(case.id),
    )
    desk.changes.submit(change.id, by="dave")
    for item in CHECKLIST:
        desk.changes.check_item(
            change.id, item, evidence=f"{item}: pilot with finance for a week", by="ben"
        )
    with pytest.raises(GuardFailed, match="rollback plan"):
        desk.changes.approve(change.id, by="carla")
    assert desk.changes.get(change.id).state == "submitted"
    desk.changes.amend(
        change.id, rollback_plan="uninstall the software and remove the service file", by="dave"
    )
    desk.changes.approve(change.id, by="carla")
    change = desk.changes.implement(change.id, by="carla")

    assert change.state == "implemented"
    service = desk.services.get("dictation-software-for-rsi")
    assert service.name == "Dictation software for RSI" and service.account_manager == "dave"
    written = folder / "services" / "dictation-software-for-rsi.yaml"
    assert yaml.safe_load(written.read_text())["id"] == "dictation-software-for-rsi"
    assert "dictation-software-for-rsi" in load_catalogue(folder).services
    desk.close()


def test_the_boards_ipad_kept_as_a_standard_delivery_is_offered_and_reused_next_time(
    desk: Desk,
) -> None:
    case = desk.relations.open(
        customer="Board secretariat", request="iPad for the board", by="anna"
    )
    case = desk.relations.clarify_need(
        case.id,
        need="board members read and sign meeting papers on the move",
        asked_for="iPads for the seven board members",
        by="anna",
    )
    case = desk.relations.propose_alternatives(case.id, by="anna")
    assert case.suggestions[0].service_id == "loan-device"
    case = desk.relations.decline_alternative(
        case.id, reason="the board needs its own, not a four-week loan", by="anna"
    )
    for question in ("feasible", "want", "budget"):
        desk.relations.answer(case.id, question, yes=True, reason="board decision", by="dave")
    desk.relations.agree(case.id, customer_agrees=True, by="dave")
    steps = [
        "order the iPad through the Apple business portal",
        "enrol it in device management",
        "install the board portal app",
        "hand it over with a ten-minute introduction",
    ]
    desk.relations.deliver(case.id, notes="seven iPads handed over", steps=steps, by="ben")
    case = desk.relations.keep_standard_delivery(case.id, steps=steps, by="dave")
    assert case.state == "standard_delivery" and case.closed_at is not None
    kept = desk.relations.standard_delivery(case.standard_delivery_id)
    assert (kept.steps, kept.name, kept.origin_case_id) == (steps, "iPad for the board", case.id)
    assert {"ipad", "board", "members"} <= set(kept.keywords)
    assert desk.relations.standard_deliveries() == [kept]

    nxt = desk.relations.open(
        customer="Board secretariat", request="iPad for the new board member", by="omar"
    )
    nxt = desk.relations.clarify_need(
        nxt.id, need="the new member reads the board papers like the others", by="omar"
    )
    offered = desk.relations.suggestions(nxt)
    assert (offered[0].kind, offered[0].standard_delivery_id, offered[0].name) == (
        "standard_delivery",
        kept.id,
        "iPad for the board",
    )
    nxt = desk.relations.propose_alternatives(nxt.id, by="omar")
    assert nxt.suggestions[0] == offered[0]
    nxt = desk.relations.accept_alternative(nxt.id, standard_delivery=kept.id, by="omar")
    assert (nxt.state, nxt.alternative_delivery_id, nxt.delivery_steps) == (
        "accepted",
        kept.id,
        steps,
    )
    assert nxt.alternative_call_id is None and nxt.closed_at is not None
    assert desk.history(nxt)[-1].data == {"standard_delivery_id": kept.id}
