"""Surveys (``desk.surveys``): one per surveyed call and one per customer department and period.

``steps`` is the step table and the decision at a call's close, ``run`` the scheduled run,
``facade`` the API on the desk and ``views`` what it hands back. See ``docs/surveys.md``.
"""
