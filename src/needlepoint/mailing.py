"""Email that goes out once: a fixed Message-ID per message, and an outbox that can say whether
a message with that Message-ID was handed over.

What "sent once" can mean for email, stated once here:

- The sender claims the message in the database (an attempt id, the time, the Message-ID) and
  commits before handing it to the mail backend, and records the outcome after. A process killed
  between the claim and the record leaves a claim behind; the sweep finds it
  (`needlepoint.bookings.tasks.sweep`) and asks the backend `was_delivered(message_id)`.
- The outbox backend (`OutboxBackend`, the demo's) writes each message to its own file, named
  by its Message-ID, atomically (a temporary file, fsync, rename, fsync of the folder): a file is
  there whole or not at all. So it answers exactly, and a kill at any point ends with one copy:
  no file, the message is sent again; a file, the send is recorded without sending again.
- SMTP cannot answer: once the server has accepted the message (its reply to DATA) and before
  the outcome is committed, nothing on this side knows whether it went. The gap is the time to
  read one reply and commit, but it exists. A claim interrupted there is never sent again
  (a second copy is worse than none for a "stop your retinoid" letter that the first one already
  said) and a flag asks staff to check with the patient: at most once, and never silently lost.
  The Message-ID stays the same on every attempt, so mail systems that drop duplicates by
  Message-ID would drop a second copy if one were ever made.
- The in-memory backend of the tests answers from `django.core.mail.outbox`."""

import hashlib
import os
import tempfile
from collections.abc import Sequence
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend

MAILER = "default"
"""The MAILERS alias reminders and staff alerts go out through."""


def message_id(kind: str, key: str) -> str:
    """Return the Message-ID of one message, the same on every attempt to send it. `key` must be
    unique for ever (e.g. include a UUID), not only within one database."""
    host = urlsplit(settings.NEEDLEPOINT_SITE_URL).hostname or "localhost"
    return f"<{kind}.{key}@{host}>"


def send_email(*, subject: str, body: str, to: list[str], message_id: str) -> None:
    """Hand one message to the mail backend; raises what the backend raises."""
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to, headers={"Message-ID": message_id}).send(
        using=MAILER
    )


def was_delivered(message_id: str) -> bool | None:
    """Return True if the backend holds the message with this Message-ID, False if it surely
    does not, None if it cannot tell (SMTP and other backends)."""
    backend = mail.mailers[MAILER]
    if isinstance(backend, OutboxBackend):
        return backend.holds(message_id)
    if isinstance(backend, MemoryBackend):
        return any(m.extra_headers.get("Message-ID") == message_id for m in getattr(mail, "outbox", []))
    return None


class OutboxBackend(BaseEmailBackend):
    """Writes each message to `<file_path>/<hash of its Message-ID>.eml`, atomically. Sending a
    message whose file is already there writes nothing: the outbox keeps one copy."""

    def __init__(self, *, file_path: str | Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.path = Path(file_path)
        self.path.mkdir(parents=True, exist_ok=True)

    def file_for(self, message_id: str) -> Path:
        return self.path / (hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml")

    def holds(self, message_id: str) -> bool:
        return self.file_for(message_id).exists()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            if not message.extra_headers.get("Message-ID"):
                message.extra_headers["Message-ID"] = make_msgid()
            target = self.file_for(message.extra_headers["Message-ID"])
            if not target.exists():
                self._write(target, message.message().as_bytes())
            count += 1
        return count

    def _write(self, target: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".sending-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        folder = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
