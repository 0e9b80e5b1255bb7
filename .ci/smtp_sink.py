"""A tiny SMTP server for CI: accepts every message and writes it to a directory, one .eml file each.

Usage: python .ci/smtp_sink.py PORT DIRECTORY. Production sends email over SMTP; in the production
stage the site and the workers are pointed here (no TLS, no login) so the smoke test can count
what the workers sent. Standard library only, since the production install has no test tools.
"""

from __future__ import annotations

import socketserver
import sys
import threading
import uuid
from pathlib import Path


class SMTPHandler(socketserver.StreamRequestHandler):
    """Speak just enough SMTP for Django's SMTP backend."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 ci-smtp-sink ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-ci-smtp-sink")
                self.reply("250 8BITMIME")
            elif verb in {"HELO", "NOOP", "RSET"}:
                recipients = [] if verb == "RSET" else recipients
                self.reply("250 OK")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                header = "".join(f"X-Envelope-To: {address}\r\n" for address in recipients).encode()
                name = f"{uuid.uuid4().hex}.eml"
                (self.server.directory / (name + ".part")).write_bytes(header + bytes(data))
                (self.server.directory / (name + ".part")).rename(self.server.directory / name)
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class SinkServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    directory: Path


def main() -> None:
    port, directory = int(sys.argv[1]), Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    with SinkServer(("127.0.0.1", port), SMTPHandler) as server:
        server.directory = directory
        print(f"SMTP sink on 127.0.0.1:{port}, writing to {directory}", flush=True)  # noqa: T201
        threading.Thread(target=server.serve_forever, daemon=True).start()
        threading.Event().wait()


if __name__ == "__main__":
    main()
