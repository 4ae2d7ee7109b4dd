"""A call that is not about a standard service: make an exception, or refer to relation management.

Run: python examples/not_standard.py   (on a throwaway database)
"""

import os
import tempfile

from bpsm import Desk, GuardFailed

# A throwaway database, never your real desk (BPSM_EXAMPLE_DATABASE_URL picks another one).
scratch = f"sqlite:///{tempfile.mkdtemp()}/desk.sqlite3"
desk = Desk.open(os.environ.get("BPSM_EXAMPLE_DATABASE_URL", scratch))

# "Is this part of our standard service?" No service fits, so the call is registered without one.
ipad = desk.calls.register(
    caller="Board secretary",
    channel="email",
    by="anna",
    summary="An iPad for each board member before Thursday",
)
try:
    desk.calls.accept(ipad.id, by="anna")
except GuardFailed as err:  # standard handling needs a catalogue service
    print("not standard:", err.reason)

# "Do we want to make an exception?" No: relation management finds out what they really need.
ipad, case = desk.calls.refer(ipad.id, reason="tablets are not in the catalogue", by="anna")
print(f"{ipad.number} {ipad.state}; relation case {case.id} is {case.state}")

# Another one we do make an exception for, recorded as such.
beamer = desk.calls.register(
    caller="Events team",
    channel="walk-in",
    by="omar",
    summary="Borrow the projector for the anniversary party on Saturday",
)
beamer = desk.calls.make_exception(
    beamer.id, reason="one-off for the anniversary, approved by the team lead", by="omar"
)
print(f"{beamer.number} {beamer.state} exception={beamer.is_exception}: {beamer.exception_reason}")
