"""Recommendations (``desk.recommendations``): add-ons sold on the spot, leads handed to sales.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
