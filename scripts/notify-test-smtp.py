#!/usr/bin/python3
"""SMTP receivers for SiloNotify's tests (scripts/notify-test-servers.sh starts it).

Usage: notify-test-smtp.py DIR BASE_PORT

Listens on 127.0.0.1, one asyncio loop, aiosmtpd (Debian's python3-aiosmtpd):
  BASE+0  relay       plain, STARTTLS offered but optional, no AUTH
  BASE+1  submission  STARTTLS required, AUTH required (PLAIN, LOGIN)
  BASE+2  smtps       implicit TLS, AUTH required (PLAIN, LOGIN)
  BASE+3  login-only  STARTTLS required, AUTH required, LOGIN only (PLAIN not offered)
  BASE+4  no-tls      plain, no STARTTLS at all, no AUTH
The certificate is DIR/tls/server.pem (CA DIR/tls/ca.pem); the user is "silo" with the
password in DIR/smtp-password. Every accepted message becomes DIR/mail/<ns>-<port>.json:
port, name, mail_from, rcpt_tos, tls, auth_mechanism, auth_login and data_base64 (the raw
DATA, dot-stuffing undone). Written to a temporary name and renamed, so a reader never sees
half a file.
"""
import asyncio
import base64
import json
import logging
import os
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

directory, base = sys.argv[1], int(sys.argv[2])
mail_dir = os.path.join(directory, "mail")
os.makedirs(mail_dir, exist_ok=True)
with open(os.path.join(directory, "smtp-password")) as f:
    PASSWORD = f.read().strip()
USER = "silo"
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
# Implicit TLS needs auth_require_tls=False (aiosmtpd only counts STARTTLS as TLS), which it warns about.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)


def context():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(directory, "tls", "server.pem"), os.path.join(directory, "tls", "server.key"))
    return ctx


def authenticator(server, session, envelope, mechanism, auth_data):
    login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
    password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
    ok = login == USER and password == PASSWORD
    if ok:
        session.silo_mechanism = mechanism
        session.silo_login = login
    # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing).
    return AuthResult(success=ok, handled=False)


sequence = 0


class Recorder:
    def __init__(self, name, port, implicit_tls):
        self.name, self.port, self.implicit_tls = name, port, implicit_tls

    async def handle_DATA(self, server, session, envelope):
        global sequence
        sequence += 1
        record = {
            "port": self.port,
            "name": self.name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": self.implicit_tls or session.ssl is not None,
            "auth_mechanism": getattr(session, "silo_mechanism", None),
            "auth_login": getattr(session, "silo_login", None),
            "data_base64": base64.b64encode(envelope.original_content or envelope.content).decode(),
            "received": time.time(),
        }
        name = "%d-%d-%d.json" % (time.time_ns(), self.port, sequence)
        tmp = os.path.join(mail_dir, "." + name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(mail_dir, name))
        return "250 OK recorded"


# name, port offset, STARTTLS offered, STARTTLS required, implicit TLS, AUTH required, AUTH mechanisms excluded
PORTS = [
    ("relay", 0, True, False, False, False, []),
    ("submission", 1, True, True, False, True, []),
    ("smtps", 2, False, False, True, True, []),
    ("login-only", 3, True, True, False, True, ["PLAIN"]),
    ("no-tls", 4, False, False, False, False, []),
]


async def main():
    loop = asyncio.get_running_loop()
    servers = []
    for name, offset, offers, requires, implicit, auth, exclude in PORTS:
        port = base + offset
        handler = Recorder(name, port, implicit)

        def factory(handler=handler, offers=offers, requires=requires, implicit=implicit, auth=auth, exclude=exclude):
            return SMTP(handler, hostname="localhost", loop=loop,
                        tls_context=context() if offers else None, require_starttls=requires,
                        auth_required=auth, auth_require_tls=not implicit, auth_exclude_mechanism=exclude,
                        authenticator=authenticator)

        servers.append(await loop.create_server(factory, "127.0.0.1", port, ssl=context() if implicit else None,
                                                reuse_address=True))
    print("smtp receivers on 127.0.0.1:%d-%d" % (base, base + len(PORTS) - 1), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


asyncio.run(main())
