"""Commands: messages, signed envelopes, authorisation, handlers, the bus, and the command line.

``bootstrap`` is the composition root (the one place that builds infrastructure) and
``settings`` the configuration it reads once. See docs/architecture.md.
"""
