"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

import asyncio
import email
import socket
import threading
import time
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: stores each message; refuses recipients listed in `refuse`."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        self._hold_at: int | None = None
        self._released = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=default))
            number = len(self.messages)
        if number == self._hold_at:
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        return "250 Message accepted"

    def hold_answer_to(self, number: int) -> threading.Event:
        """Keep message `number` but hold the answer to it until the returned event is set: the
        window in which the server has the mail and the sender does not know it yet."""
        self._hold_at, self._released = number, threading.Event()
        return self._released

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
