"""An in-memory transport for tests, like Django's locmem mail backend."""

from typing import ClassVar

from .base import Message, Transport


class LocmemTransport(Transport):
    """Keeps every message in `LocmemTransport.outbox`, one list shared by all instances (tests
    empty it by assigning a new list)."""

    outbox: ClassVar[list[Message]] = []

    def send(self, message: Message) -> None:
        type(self).outbox.append(message)
