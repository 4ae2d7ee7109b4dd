"""Preventative maintenance and account contacts (``desk.maintenance``): tasks that fall due.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
