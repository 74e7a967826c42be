"""Commands: everything that writes to the ledger, and the tools that send the commands.

The write path is ``messages``, ``signed`` (envelopes), ``authorisation``, ``handlers`` and
``bus``; the tools are ``cli`` (the command line), ``demo``, ``replay``, ``stock_import``
and ``maintenance`` (backup).

``bootstrap`` is the composition root (the one place that builds infrastructure) and
``settings`` the configuration it reads once. See docs/architecture.md.
"""
