"""Read PDFs back in tests: text with poppler's pdftotext, and the printed QR symbol module by module."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
PDFTOPPM = shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not (PDFTOTEXT and PDFINFO and PDFTOPPM), reason="needs poppler-utils (pdftotext, pdfinfo, pdftoppm)"
)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """Return the PDF's text with runs of whitespace collapsed to single spaces."""
    path = tmp_path / "text.pdf"
    path.write_bytes(content)
    # Fixed program and arguments on a file the test wrote.
    raw = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-raw", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(raw.split())


def pdf_info(content: bytes, tmp_path: Path) -> dict[str, str]:
    """Return pdfinfo's fields for the PDF."""
    path = tmp_path / "info.pdf"
    path.write_bytes(content)
    out = subprocess.run([PDFINFO, str(path)], capture_output=True, check=True, text=True).stdout  # noqa: S603
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


def printed_qr_modules(content: bytes, tmp_path: Path, size: int) -> list[list[bool]]:
    """Render the certificate at 300 dpi and read its QR symbol (size x size modules) from the image."""
    from PIL import Image

    (tmp_path / "qr.pdf").write_bytes(content)
    subprocess.run(  # noqa: S603
        [PDFTOPPM, "-png", "-r", "300", "-singlefile", str(tmp_path / "qr.pdf"), str(tmp_path / "qr")], check=True
    )
    image = Image.open(tmp_path / "qr.png").convert("L")
    width, height = image.size
    region = image.crop((int(width * 0.6), int(height * 0.4), width, height))
    pixels = region.load()
    # Only near-black counts: the QR is #000; the blue frame and grey caption are lighter.
    dark = [[pixels[x, y] < 30 for x in range(region.width)] for y in range(region.height)]
    y0 = next(y for y, row in enumerate(dark) if any(row))
    # The two upper finder patterns start on the symbol's first row, at its left and right edges.
    xs = [x for x, is_dark in enumerate(dark[y0]) if is_dark]
    x0, x1 = xs[0], xs[-1]
    module = (x1 - x0 + 1) / size
    return [
        [dark[int(y0 + (row + 0.5) * module)][int(x0 + (col + 0.5) * module)] for col in range(size)]
        for row in range(size)
    ]


def qr_matrix(qr) -> list[list[bool]]:
    """Return a segno QR code's symbol (no quiet zone) as rows of booleans."""
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=0)]
