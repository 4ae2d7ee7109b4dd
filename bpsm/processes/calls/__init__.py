"""Reactive management (``desk.calls``): every call about a standard service, one process.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
