"""Every command type, registered: the one module that imports all message modules.

``COMMAND_TYPES`` maps the wire ``type`` to its class; :func:`decode_payload` decodes a
command's JSON ``payload`` strictly into that class (see :mod:`commands.messages.fields`).
Importing this module is what guarantees the map is complete.
"""

from __future__ import annotations

from typing import Any

from commands.messages import core, files, holder, quality, use
from commands.messages.base import REGISTERED, Command
from commands.messages.fields import decode_object

MODULES = (core, files, holder, quality, use)  # in registration order
COMMAND_TYPES: dict[str, type[Command]] = REGISTERED


def decode_payload(type_name: str, payload: Any) -> Command:
    cls = COMMAND_TYPES[type_name]
    return decode_object("payload", cls, payload)
