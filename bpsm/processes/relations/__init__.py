"""Relation management (``desk.relations``): requests for services we do not (yet) offer.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
