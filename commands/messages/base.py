"""What every command message is built on: the ``Command`` base, the ``@command``
registration decorator and the partition key of a licence lineage.

Every message module imports this one and nothing imports back;
:mod:`commands.messages.catalog` imports every message module, so it alone holds the
complete ``COMMAND_TYPES`` and decodes payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Command:
    type_name: ClassVar[str] = "Command"

    def partition_key(self, actor: str) -> str:
        """Kafka key: the aggregate this command targets (``actor`` is the signer)."""
        raise NotImplementedError


# Filled by @command as each message module is imported; read it through
# commands.messages.catalog, which imports them all.
REGISTERED: dict[str, type[Command]] = {}


def command(cls: type[Command]) -> type[Command]:
    cls.type_name = cls.__name__
    REGISTERED[cls.__name__] = cls
    return cls


def licence_key(identifier: str) -> str:
    """The partition key of a licence lineage: its type and serial, version ignored."""
    parts = identifier.split(".")
    if len(parts) == 10:
        return f"licence:{parts[5]}.{parts[6]}.{parts[7]}"
    return f"licence:{identifier}"
