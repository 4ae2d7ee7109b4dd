"""Proactive work: maintenance falling due, a recurring disruption, and an add-on sold on the spot.

Run: python examples/proactive.py   (on a throwaway database)
"""

import os
import tempfile
from datetime import timedelta

from bpsm import Desk

# A throwaway database, never your real desk (BPSM_EXAMPLE_DATABASE_URL picks another one).
scratch = f"sqlite:///{tempfile.mkdtemp()}/desk.sqlite3"
desk = Desk.open(os.environ.get("BPSM_EXAMPLE_DATABASE_URL", scratch))

# Preventative maintenance and account contacts: plans from the catalogue, tasks from their rules.
report = desk.maintenance.generate(horizon=timedelta(days=45), by="ben")
print(f"scheduled {report.total} tasks from {len(desk.maintenance.plans())} plans")
upcoming = desk.maintenance.due(assignee="second-line-it", include_upcoming_days=45)
for task in upcoming[:3]:
    print(f"  {task.due_at:%Y-%m-%d}  {task.status:8}  {task.activity}")

# Five printer calls in a week: the detector proposes one improvement, never twice for that burst.
for n in range(5):
    desk.calls.register(
        caller=f"Floor 2, desk {n}",
        channel="phone",
        summary="Printer jams again",
        service="printing",
        by="anna",
    )
found = desk.improvements.detect_recurring_disruptions(by="eve")
print("improvements proposed:", [i.title for i in found])
print("and again:", desk.improvements.detect_recurring_disruptions(by="eve"))

# While resolving a call the operator offers an add-on from the price list: settled on the spot.
call = desk.calls.register(
    caller="Kim Jansen",
    channel="walk-in",
    summary="Neck pain from laptop screen",
    service="peripherals",
    accept=True,
    solution="Raised the laptop stand",
    by="anna",
)
item = desk.config.recommendations.price_list[0]
offer = desk.recommendations.register(
    customer=call.caller,
    description=f"{item.name} for the home office",
    item=item.id,
    call_id=call.id,
    by="anna",
)
offer = desk.recommendations.accept(offer.id, by="anna")
print(f"{offer.kind} {offer.state}: {offer.booked_value:.2f} {offer.currency}")
