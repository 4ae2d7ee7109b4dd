"""A request we don't offer becomes a standard service: relation management, then the change gate.

The change writes the new service file into the catalogue folder, so this script works on a
temporary copy of the catalogue and a throwaway database. Run: python examples/catalogue_change.py
"""

import os
import shutil
import tempfile
from pathlib import Path

from bpsm import Desk, GuardFailed, Settings

folder = Path(tempfile.mkdtemp()) / "catalogue"
shutil.copytree(Settings().catalogue_path, folder)
# A throwaway database, never your real desk (BPSM_EXAMPLE_DATABASE_URL picks another one).
scratch = f"sqlite:///{tempfile.mkdtemp()}/desk.sqlite3"
desk = Desk.open(os.environ.get("BPSM_EXAMPLE_DATABASE_URL", scratch), catalogue=folder)

# An operator refers a request for something that is not in the catalogue.
call = desk.calls.register(
    caller="Field sales",
    channel="email",
    by="anna",
    summary="Rugged tablets for the field engineers",
)
call, case = desk.calls.refer(call.id, reason="no tablet service in the catalogue", by="anna")

# The account manager asks why, looks for an alternative, and assesses a bespoke solution.
desk.relations.clarify_need(
    case.id,
    need="engineers must fill in inspection forms on site, offline",
    asked_for="rugged tablets",
    by="dave",
)
case = desk.relations.propose_alternatives(case.id, by="dave")
print("alternatives:", ", ".join(f"{s.name} ({s.fit})" for s in case.suggestions[:3]))
desk.relations.decline_alternative(
    case.id, reason="a loan device is not rugged and only for weeks", by="dave"
)
for question in ("feasible", "want", "budget"):
    desk.relations.answer(
        case.id, question, yes=True, reason="checked with the supplier and finance", by="dave"
    )
desk.relations.agree(case.id, customer_agrees=True, by="dave")
desk.relations.deliver(case.id, notes="12 rugged tablets delivered with the forms app", by="dave")

# Standardize it: a change proposal pre-filled with a draft service, completed here.
draft = desk.relations.draft_service(case.id, by="dave")
draft.update(
    id="rugged-tablet",
    name="Rugged tablet for field work",
    department="IT",
    faq=[
        {"q": "Can I use it in the rain?", "a": "Yes, it is rated IP67."},
        {"q": "Does the forms app work offline?", "a": "Yes; it syncs when back on Wi-Fi."},
    ],
    quality_levels=[
        {
            "name": "standard",
            "description": "Swap within two working days",
            "response_time": "PT4H",
            "resolution_time": "P2D",
        }
    ],
    ordering="Team leads order with the 'Field equipment' form in the portal.",
    delivery={"lead_time": "P10D", "pickup": "IT service point, building A"},
    owner="Head of IT Operations",
)
case = desk.relations.standardize(case.id, definition=draft, impact="medium", by="dave")
change = desk.changes.submit(case.change_id, by="dave")
for item in [c.id for c in desk.config.checklist]:
    desk.changes.check_item(change.id, item, evidence="pilot with 4 engineers, week 14", by="ben")
try:
    desk.changes.approve(change.id, by="carla")  # the gatekeeper: no rollback plan yet
except GuardFailed as err:
    print("not approved:", err.reason)
desk.changes.amend(
    change.id, rollback_plan="retire the service again; tablets go back to loan stock", by="dave"
)
desk.changes.approve(change.id, by="carla")
change = desk.changes.implement(change.id, by="carla")
print(
    f"published {change.service_id} v{change.published_version};",
    "file written:",
    (folder / "services" / "rugged-tablet.yaml").is_file(),
)
