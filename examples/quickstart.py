import os
import tempfile

from bpsm import Desk, InvalidTransition

# A throwaway database, never your real desk (BPSM_EXAMPLE_DATABASE_URL picks another one).
scratch = f"sqlite:///{tempfile.mkdtemp()}/desk.sqlite3"
desk = Desk.open(os.environ.get("BPSM_EXAMPLE_DATABASE_URL", scratch))  # catalogue from ./catalogue
laptop = desk.services.search("laptop")[0]
call = desk.calls.register(
    caller="Kim Jansen",
    channel="phone",
    summary="Laptop will not boot",
    service=laptop.id,
    by="anna",
)
call = desk.calls.accept(call.id, by="anna")  # yes, part of our standard service
call = desk.calls.resolve(call.id, solution="Reseated the battery", by="anna")
call = desk.calls.close(call.id, effort=2, satisfaction=5, by="anna")  # the two survey answers
print(call.number, call.state, "first time right:", call.first_time_right)
try:
    desk.calls.reopen(call.id, reason="broken again", by="anna")
except InvalidTransition as err:  # a closed call stays closed; nothing changed
    print("refused:", err)
print("trail:", " → ".join(e.trigger for e in desk.history(call)))
print(f"first time right today: {desk.kpis.today().first_time_right_share:.0%}")
