"""`flask outbox worker`: the long-running sender of production (OUTBOX_DELIVERY=worker); it
also decides the sign-ons the web processes took (`domain.intake`).

It looks for due mail every OUTBOX_POLL_SECONDS with one indexed query, so a mail goes out
within about a second of the commit that queued it, and a restarted worker sends what
waits (retries included) at once, with nothing new to wake it. SIGTERM or SIGINT stops it
after the mail in hand; the rows it had claimed go back to the queue.
"""

import logging
import signal
import threading

from flask import Flask

from domain.outbox import Sender, decide_and_deliver

log = logging.getLogger("jointly.outbox")


def stop_on_signals(stopping: threading.Event) -> None:
    """SIGTERM (systemd, a deploy) and SIGINT (Ctrl-C) end the loop instead of the process."""

    def stop(signum, _frame):
        log.info("outbox worker: %s received, stopping after the mail in hand", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run_worker(app: Flask, sender: Sender | None = None) -> Sender:
    """Deliver due mail until `sender.stopping` is set; returns the sender (tests read its state)."""
    sender = sender or Sender()
    poll = app.config["OUTBOX_POLL_SECONDS"]
    log.info("outbox worker %s started: looking for mail every %s s", sender.name, poll)
    # A (re)start also sends what waits for a retry: whoever restarts the worker after a mail
    # server outage wants the mail out now, not after the backoff.
    retry_now = True
    while not sender.stopping.is_set():
        with app.app_context():
            try:
                decide_and_deliver(sender, retry_now=retry_now)
            except Exception:  # the worker must outlive any one bad run
                log.exception("outbox worker: delivery failed")
        retry_now = retry_now and not sender.database_ok
        sender.stopping.wait(poll)
    with app.app_context():
        sender.deliver([])  # writes down what a database error held back, releases any claim
    log.info("outbox worker %s stopped", sender.name)
    return sender
