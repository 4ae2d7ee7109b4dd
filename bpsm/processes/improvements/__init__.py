"""Improvements (``desk.improvements``): identified, assessed, approved into a change, or dropped.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
