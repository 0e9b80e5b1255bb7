"""Dependencies between the apps run one way: accounts, then practices and modules, learning, certificates, research.

Every Python file of every app (its migrations included) and every template is read, not run:
imports are parsed with `ast`, templates for `{% load %}`, `{% extends %}`, `{% include %}` and
`{% url %}`, and Python for the URL names it reverses. Each reference is mapped to the app it
points at, and the test fails listing every reference that runs against the order.

Migrations: their imports are checked like any code (a migration that imported a higher app's
code would tie a lower app's schema history to it, and fail where that app is not installed), and
their foreign keys only ever point down anyway. Their `dependencies` are not: a dependency says
which rows must exist before a migration runs (the groups get every model's permissions, the
sign-off workflow attaches to the home page), an order of history Django resolves as one graph,
not code that calls upward. Tests and benchmarks are not read: they drive the whole site on purpose.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The order, lowest first. An app may use apps on lower floors; apps on one floor never use each other.
FLOORS: dict[str, int] = {
    "accounts": 1,
    "practices": 2,
    "modules": 2,
    "learning": 3,
    "certificates": 4,
    "research": 5,
    # The site shell (home and standard pages, the header's navigation) points at every part of the
    # site, so it sits above them all and nothing below it refers to it.
    "content": 6,
}
# Infrastructure every app may use, which uses no app in FLOORS: helpers, the outbox, and the
# project's page skeleton ("shell": base.html and includes/ in the project's templates/ folder).
INFRASTRUCTURE = {"core", "outbox", "shell"}
# Wiring and tools above everything, which no app may use: the settings and URL map, and the demo
# data (installed in dev and test only).
WIRING = {"config", "demo"}
APPS = [*FLOORS, *INFRASTRUCTURE, "config", "demo"]

# allauth's pages and our overrides of them are the accounts app's pages.
PROJECT_TEMPLATE_OWNERS = {"account": "accounts", "mfa": "accounts", "allauth": "accounts"}

# URL namespaces of our apps. Names without a namespace are allauth's (account_login, account_signup,
# account_profile ...) and Wagtail's: a library's names, open to every app.
URL_NAMESPACES = {app: app for app in FLOORS}

LOAD = re.compile(r"\{%-?\s*load\s+(.+?)\s*-?%\}")
TEMPLATE_REF = re.compile(r"\{%-?\s*(?:extends|include)\s+[\"']([^\"']+)[\"']")
URL_TAG = re.compile(r"\{%-?\s*url\s+[\"']([^\"']+)[\"']")
REVERSING_CALLS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
# A lazy model reference such as "content.HomePage" (parent_page_types, a ForeignKey's "app.Model").
MODEL_LABEL = re.compile(r"^([a-z_]+)\.[A-Z]\w*$")


@dataclass(frozen=True)
class Reference:
    """One place where a file refers to an app."""

    source: str
    line: int
    target_app: str
    what: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.what}"


def _app_of_module(name: str) -> str | None:
    top = name.split(".", 1)[0]
    return top if top in APPS else None


def _app_of_url_name(name: str) -> str | None:
    return URL_NAMESPACES.get(name.split(":", 1)[0]) if ":" in name else None


def _template_index() -> dict[str, str]:
    """Map each template name to the app whose folder holds it ('shell' for the project's own)."""
    index: dict[str, str] = {}
    for app in APPS:
        folder = ROOT / app / "templates"
        for path in folder.rglob("*.html") if folder.is_dir() else ():
            index.setdefault(path.relative_to(folder).as_posix(), app)
    for path in (ROOT / "templates").rglob("*.html"):
        name = path.relative_to(ROOT / "templates").as_posix()
        index.setdefault(name, PROJECT_TEMPLATE_OWNERS.get(name.split("/", 1)[0], "shell"))
    return index


def _template_library_index() -> dict[str, str]:
    """Map each template tag library name to the app that provides it."""
    index: dict[str, str] = {}
    for app in APPS:
        for path in (ROOT / app / "templatetags").glob("*.py"):
            if path.stem != "__init__":
                index[path.stem] = app
    return index


def python_references(path: Path, source: str) -> Iterator[Reference]:
    """Yield the apps a Python file imports, names models of ("app.Model") or reverses URL names of."""
    tree = ast.parse(path.read_text(), filename=source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if app := _app_of_module(alias.name):
                    yield Reference(source, node.lineno, app, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if app := _app_of_module(node.module):
                yield Reference(source, node.lineno, app, f"from {node.module} import ...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (label := MODEL_LABEL.match(node.value)):
            if app := _app_of_module(label.group(1)):
                yield Reference(source, node.lineno, app, f"model label {node.value!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args and isinstance(node.args[0], ast.Constant) else None
            if called == "import_module" and first is not None and (app := _app_of_module(str(first.value))):
                yield Reference(source, node.lineno, app, f"import_module({first.value!r})")
            name = first.value if first is not None and isinstance(first.value, str) else ""
            if called in REVERSING_CALLS and (app := _app_of_url_name(name)):
                yield Reference(source, node.lineno, app, f"{called}({first.value!r})")


def template_references(path: Path, source: str, templates: dict[str, str], libraries: dict[str, str]) -> Iterator[Reference]:
    """Yield the apps a template loads tags from, extends or includes templates of, or reverses URLs of."""
    text = path.read_text()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in LOAD.finditer(line):
            words = match.group(1).split()
            # {% load a b from library %} loads from the last word only.
            names = [words[-1]] if "from" in words else words
            for name in names:
                if app := libraries.get(name):
                    yield Reference(source, number, app, f"{{% load {name} %}}")
        for match in TEMPLATE_REF.finditer(line):
            if app := templates.get(match.group(1)):
                yield Reference(source, number, app, f"extends or includes {match.group(1)!r}")
        for match in URL_TAG.finditer(line):
            if app := _app_of_url_name(match.group(1)):
                yield Reference(source, number, app, f"{{% url {match.group(1)!r} %}}")


def all_references() -> Iterator[tuple[str, Reference]]:
    """Yield (app of the file, reference) for every Python file and template of every app and the shell."""
    templates = _template_index()
    libraries = _template_library_index()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "__pycache__" not in path.parts:
                for reference in python_references(path, path.relative_to(ROOT).as_posix()):
                    yield app, reference
        folder = ROOT / app / "templates"
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else ():
            for reference in template_references(path, path.relative_to(ROOT).as_posix(), templates, libraries):
                yield app, reference
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        for reference in template_references(path, f"templates/{name}", templates, libraries):
            yield templates[name], reference


def runs_against_the_order(app: str, target: str) -> bool:
    """Return True if a file of `app` may not refer to `target`."""
    if app == target or app in WIRING:
        return False
    if target in WIRING:
        return True
    if app in INFRASTRUCTURE:
        return target in FLOORS
    if target in INFRASTRUCTURE:
        return False
    return FLOORS[target] >= FLOORS[app]


def test_dependencies_run_one_way() -> None:
    """No app refers to an app on its own floor or above, and infrastructure refers to none."""
    wrong = sorted(
        {f"{app} -> {reference.target_app}: {reference}" for app, reference in all_references()
         if runs_against_the_order(app, reference.target_app)}
    )
    assert not wrong, "Dependencies against the order:\n" + "\n".join(wrong)


def test_the_reader_sees_every_kind_of_reference(tmp_path: Path) -> None:
    """Each kind of reference the order test relies on is found (so an empty list means something)."""
    module = tmp_path / "probe.py"
    module.write_text(
        "from learning import services\nimport certificates.models\n"
        "from django.urls import reverse\nURL = reverse('learning:record')\nPARENTS = ['content.HomePage']\n"
    )
    found = {(r.target_app, r.what) for r in python_references(module, "modules/probe.py")}
    assert found == {
        ("learning", "from learning import ..."),
        ("certificates", "import certificates.models"),
        ("learning", "reverse('learning:record')"),
        ("content", "model label 'content.HomePage'"),
    }
    template = tmp_path / "probe.html"
    template.write_text(
        '{% extends "base.html" %}{% load static learning_tags %}\n'
        '{% include "learning/includes/progress.html" %} <a href="{% url \'certificates:mine\' %}">\n'
    )
    found = {
        (r.target_app, r.line)
        for r in template_references(template, "probe.html", _template_index(), _template_library_index())
    }
    assert found == {("shell", 1), ("learning", 1), ("learning", 2), ("certificates", 2)}


HARD_CODED_LINK = re.compile(r"""(?:href|action|src)=["'](/[^"']*)["']""")
REDIRECTING_CALLS = {"redirect", "HttpResponseRedirect", "redirect_to_login"}


def hard_coded_links() -> Iterator[str]:
    """Yield each internal address written out in a template or handed to a redirect in Python."""
    folders = [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]
    for folder in folders:
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else ():
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for match in HARD_CODED_LINK.finditer(line):
                    if match.group(1) != "/":  # the site's root is the one fixed address
                        yield f"{path.relative_to(ROOT)}:{number}: {match.group(1)}"
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    value = node.args[0].value
                    if called in REDIRECTING_CALLS and isinstance(value, str) and value.startswith("/") and value != "/":
                        yield f"{path.relative_to(ROOT)}:{node.lineno}: {called}({value!r})"


def test_internal_links_are_reversed_not_written_out() -> None:
    """Every internal link goes through {% url %}, reverse() or a page's own URL, so moving a route moves its links."""
    found = list(hard_coded_links())
    assert not found, "Internal addresses written out:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("app", "target", "against"),
    [
        ("learning", "modules", False),
        ("modules", "learning", True),
        ("practices", "modules", True),
        ("accounts", "practices", True),
        ("certificates", "learning", False),
        ("outbox", "accounts", True),
        ("accounts", "outbox", False),
        ("content", "learning", False),
        ("research", "content", True),
        ("shell", "accounts", True),
        ("accounts", "shell", False),
        ("learning", "demo", True),
        ("demo", "content", False),
    ],
)
def test_the_order(app: str, target: str, against: bool) -> None:
    """The rule itself: lower floors, infrastructure, and nothing up to the wiring."""
    assert runs_against_the_order(app, target) is against
