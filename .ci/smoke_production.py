"""Smoke test of a running production deployment: two gunicorn masters, Celery workers and beat.

Run by .ci/production after `collectstatic`, `migrate` and .ci/smoke_setup.py. Standard library
only (the production install has no test tools). Talks to gunicorn as the TLS-terminating proxy
would: Host is the public name and X-Forwarded-Proto says https. Checks the database through
`manage.py shell` (SMOKE_MANAGE) and email through the SMTP sink's directory (SMOKE_MAIL_DIR).
Exits non-zero with a list of what failed.
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASES = os.environ["SMOKE_BASES"].split(",")
HOST = os.environ.get("SMOKE_HOST", "learning.example.org")
ORIGIN = f"https://{HOST}"
PASSWORD = os.environ["SMOKE_PASSWORD"]
LEARNER = os.environ["SMOKE_LEARNER_EMAIL"]
ADMIN = os.environ["SMOKE_ADMIN_EMAIL"]
TOTP_SECRET = os.environ["SMOKE_TOTP_SECRET"]
INVITEE = os.environ["SMOKE_INVITEE_EMAIL"]
MAIL_DIR = Path(os.environ["SMOKE_MAIL_DIR"])
MANAGE = shlex.split(os.environ["SMOKE_MANAGE"])
CONCURRENT_COMPLETIONS = int(os.environ.get("SMOKE_CONCURRENT_COMPLETIONS", "50"))
FAR_FUTURE = 315360000  # WhiteNoise's max-age for hashed (immutable) files

failures: list[str] = []


def check(condition: bool, what: str) -> bool:
    """Record and print one check."""
    print(("ok   " if condition else "FAIL ") + what, flush=True)  # noqa: T201
    if not condition:
        failures.append(what)
    return condition


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path or ""


class Browser:
    """One visitor's cookies, sent to whichever gunicorn a request goes to."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def request(self, method: str, path: str, *, base: str = BASES[0], data: dict | None = None,
                headers: dict[str, str] | None = None, https: bool = True) -> Response:
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = {"Host": HOST, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        with self.lock:
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            sent |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN, "Referer": ORIGIN + path}
        connection.request(method, path, body=body, headers=sent)
        raw = connection.getresponse()
        response = Response(raw.status, raw.headers, raw.read())
        connection.close()
        with self.lock:
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **options) -> Response:
        return self.request("GET", path, **options)

    def post(self, path: str, data: dict, **options) -> Response:
        return self.request("POST", path, data=data, **options)

    def form(self, path: str) -> tuple[Response, dict[str, str]]:
        """GET a page and return it with the CSRF token of its form."""
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return page, {"csrfmiddlewaretoken": token.group(1) if token else ""}


def totp_now(secret: str) -> str:
    """Return the current 6-digit code of an authenticator app (RFC 6238, as allauth computes it)."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def django_shell(code: str) -> str:
    """Run Python in the deployment's `manage.py shell` and return what it printed."""
    result = subprocess.run([*MANAGE, "shell", "--no-imports", "-c", code],  # noqa: S603 (our own manage.py)
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


def emails() -> list[tuple[str, str]]:
    """Return (recipient, subject) of every message the SMTP sink received."""
    found = []
    for path in sorted(MAIL_DIR.glob("*.eml")):
        message = message_from_bytes(path.read_bytes())
        found.append((message["X-Envelope-To"], str(make_header(decode_header(message["Subject"] or "")))))
    return found


def wait_for(predicate, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return predicate()


def check_headers_and_static() -> None:
    visitor = Browser()
    plain = visitor.get("/", https=False)
    check(plain.status == 301 and plain.headers.get("Location", "").startswith(f"https://{HOST}/"),
          f"plain HTTP is redirected to HTTPS (got {plain.status} {plain.headers.get('Location')})")
    for base in BASES:
        home = visitor.get("/", base=base)
        check(home.status == 200 and "Practice asthma learning" in home.text, f"home page 200 on {base} (got {home.status})")
    headers = home.headers
    check("max-age=" in headers.get("Strict-Transport-Security", ""), "HSTS header")
    check(headers.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")
    check(headers.get("X-Frame-Options") == "DENY", "X-Frame-Options: DENY")
    check(bool(headers.get("Referrer-Policy")), f"Referrer-Policy ({headers.get('Referrer-Policy')})")
    policy = headers.get("Content-Security-Policy", "")
    check("script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy,
          f"strict Content-Security-Policy ({policy})")
    check(not re.search(r"""(?:src|href)="https?://""", home.text), "home page loads nothing from other hosts")
    stylesheets = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)"', home.text)
    scripts = re.findall(r'<script[^>]+src="(/static/[^"]+)"', home.text)
    check(len(stylesheets) >= 2 and len(scripts) >= 2, f"static files linked from the home page ({stylesheets + scripts})")
    for url in stylesheets + scripts:
        check(re.search(r"\.[0-9a-f]{12}\.(css|js)$", url) is not None, f"{url} has a hashed name")
        for encoding in ("br", "gzip"):
            served = visitor.get(url, headers={"Accept-Encoding": encoding})
            got = f"{served.status} {served.headers.get('Content-Encoding')}"
            check(served.status == 200 and served.headers.get("Content-Encoding") == encoding,
                  f"{url} served with Content-Encoding {encoding} (got {got})")
            cache = served.headers.get("Cache-Control", "")
            check(f"max-age={FAR_FUTURE}" in cache and "immutable" in cache, f"{url} cached for good ({cache})")


def sign_in(browser: Browser, email: str) -> Response:
    _, data = browser.form("/accounts/login/")
    return browser.post("/accounts/login/", data | {"login": email, "password": PASSWORD})


def check_learner() -> tuple[Browser, dict]:
    learner = Browser()
    page, _ = learner.form("/accounts/login/")
    check(page.status == 200 and 'name="login"' in page.text, f"sign-in page 200 (got {page.status})")
    signed_in = sign_in(learner, LEARNER)
    check(signed_in.status == 302 and not signed_in.location.startswith("/accounts/"),
          f"learner signs in (got {signed_in.status} to {signed_in.location})")
    modules = learner.get("/modules/", base=BASES[1])
    check(modules.status == 200 and "Smoke module" in modules.text,
          f"My modules 200 on the second gunicorn (got {modules.status})")
    section = learner.get("/modules/smoke-module/why/")
    check(section.status == 200 and "Why self-management" in section.text, f"module section 200 (got {section.status})")
    section_policy = section.headers.get("Content-Security-Policy", "")
    check("script-src 'self'" in section_policy and "unsafe-inline" not in section_policy,
          "section page sends the strict policy")
    found = django_shell(
        "from learning.models import LearningEvent;"
        f"print(LearningEvent.objects.filter(user__email={LEARNER!r}, section__slug='why').count())"
    )
    check(found == "1", f"the section view was recorded once (found {found})")

    # The lead invites a colleague; the worker sends the email.
    invite, data = learner.form("/practice/invite/")
    check(invite.status == 200, f"invite page 200 (got {invite.status})")
    colleague = {"email": INVITEE, "first_name": "Ivy", "last_name": "Invitee", "role": "practice_nurse"}
    sent = learner.post("/practice/invite/", data | colleague)
    check(sent.status == 302, f"invitation accepted (got {sent.status}: {sent.text[:300] if sent.status != 302 else ''})")
    check(wait_for(lambda: any(to == INVITEE for to, _ in emails())), "the worker sent the invitation email (SMTP sink)")
    return learner, data


def check_concurrent_completion(learner: Browser) -> None:
    section = learner.get("/modules/race-module/why/")
    action = re.search(r'<form method="post" action="([^"]+)"', section.text)
    answer = re.search(r'name="answer" type="radio" value="([^"]+)"', section.text)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section.text)
    if not check(section.status == 200 and bool(action and answer and token), "race module's knowledge check is shown"):
        return
    data = {"csrfmiddlewaretoken": token.group(1), "answer": answer.group(1)}
    barrier = threading.Barrier(CONCURRENT_COMPLETIONS)

    def answer_once(number: int) -> int:
        barrier.wait()
        return learner.post(action.group(1), data, base=BASES[number % len(BASES)]).status

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT_COMPLETIONS) as pool:
        statuses = list(pool.map(answer_once, range(CONCURRENT_COMPLETIONS)))
    check(statuses == [302] * CONCURRENT_COMPLETIONS,
          f"{CONCURRENT_COMPLETIONS} concurrent answers over {len(BASES)} gunicorns all accepted ({sorted(set(statuses))})")
    counts = json.loads(django_shell(
        "import json;"
        "from learning.models import KnowledgeCheckAttempt, ModuleCompletion;"
        "from certificates.models import Certificate;"
        f"mine = dict(user__email={LEARNER!r}, module__slug='race-module');"
        "print(json.dumps({'attempts': KnowledgeCheckAttempt.objects.filter(**mine).count(),"
        " 'completions': ModuleCompletion.objects.filter(**mine).count(),"
        f" 'certificates': Certificate.objects.filter(user__email={LEARNER!r}, module_title='Race module').count()}}))"
    ))
    check(counts["attempts"] == CONCURRENT_COMPLETIONS, f"every answer recorded ({counts['attempts']} attempts)")
    check(counts["completions"] == 1, f"one completion ({counts['completions']})")
    check(counts["certificates"] == 1, f"one certificate ({counts['certificates']})")
    subject = "Your certificate is ready: Race module"
    check(wait_for(lambda: any(s == subject for _, s in emails())), "the worker rendered the certificate and sent its email")
    time.sleep(5)  # a duplicate would come from a second worker within seconds
    ready = [s for to, s in emails() if to == LEARNER and s == subject]
    check(len(ready) == 1, f"one certificate email ({len(ready)})")
    stored = django_shell(
        "from certificates.models import Certificate;"
        f"c = Certificate.objects.get(user__email={LEARNER!r}, module_title='Race module');"
        "print(bool(c.pdf) and c.pdf.storage.exists(c.pdf.name), c.display_code)"
    ).split()
    check(stored[0] == "True", "the worker stored the certificate PDF")
    verify = Browser().get(f"/certificates/verify/{stored[1]}/", base=BASES[1])
    check(verify.status == 200 and "Valid" in verify.text,
          f"verify page shows the certificate as valid (got {verify.status})")
    check(Browser().get("/certificates/verify/").status == 200, "verify form 200")


def check_admin() -> None:
    staff = Browser()
    signed_in = sign_in(staff, ADMIN)
    check(signed_in.status == 302 and signed_in.location == "/accounts/2fa/authenticate/",
          f"staff password leads to the authenticator step (got {signed_in.status} to {signed_in.location})")
    blocked = staff.get("/admin/")
    check(blocked.status != 200, f"no admin before the second factor (got {blocked.status})")
    _, data = staff.form("/accounts/2fa/authenticate/")
    done = staff.post("/accounts/2fa/authenticate/", data | {"code": totp_now(TOTP_SECRET)})
    check(done.status == 302, f"authenticator code accepted (got {done.status})")
    admin = staff.get("/admin/", base=BASES[1])
    check(admin.status == 200 and "wagtail" in admin.text.lower(),
          f"admin 200 after TOTP, on the second gunicorn (got {admin.status})")
    policy = admin.headers.get("Content-Security-Policy", "")
    check("frame-ancestors 'self'" in policy and "gravatar" not in admin.text, f"admin policy, no Gravatar ({policy})")


def main() -> int:
    started = time.monotonic()
    check_headers_and_static()
    learner, _ = check_learner()
    check_concurrent_completion(learner)
    check_admin()
    print(f"smoke: {len(failures)} failed in {time.monotonic() - started:.0f} s", flush=True)  # noqa: T201
    for failure in failures:
        print(f"  FAILED: {failure}", file=sys.stderr)  # noqa: T201
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
