"""The SMTP server of Warden's email tests: aiosmtpd with this handler (run by
server/tests/common/smtp.rs as `python -m aiosmtpd -n -l 127.0.0.1:PORT -c
smtp_recorder.Recorder FOLDER`).

It takes every message and writes it to FOLDER as JSON, decoded by Python's own email
parser (headers, the plain-text and HTML parts, the raw message), so the tests read what a
mail client would show. Recipients whose address starts with "reject" are refused with 550
(a permanent failure) and those starting with "later" with 451 (a transient one).
"""
import email
import email.policy
import itertools
import json
import os
import time


class Recorder:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Recorder takes one argument: the folder to write messages to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "subject": str(message["Subject"] or ""),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "raw": raw.decode("utf-8", "replace"),
        }
        name = f"{time.time_ns()}-{next(self.counter)}"
        partial = os.path.join(self.folder, name + ".partial")
        with open(partial, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(partial, os.path.join(self.folder, name + ".json"))
        return "250 Message accepted for delivery"
