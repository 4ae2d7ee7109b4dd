"""The effort log (``desk.effort``): minutes staff spend on any record, and the team's balance.

``records`` says which records effort can be logged on and the kind of work each counts as,
``facade`` is the API on the desk (logging, listing, the balance in SQL) and ``views`` what it
hands back.
"""
