"""The change process (``desk.changes``): catalogue changes through the change manager's gate.

``steps`` is the step table with its guards and effects, ``facade`` the API on the desk and
``views`` what it hands back.
"""
