"""PDF invoices per second: WeasyPrint rendering of invoice documents (default 200), no database.

Renders the fixture documents of tests/documents_fixtures.py (a Polish G11 household, its
correction and an English gas settlement) in turn, each with its own number, and prints PDFs per
second. ``--mode`` compares the ways of feeding WeasyPrint:

- ``prepared`` (what invoice_pdf_render does): the stylesheet parsed once per process, one shared
  FontConfiguration;
- ``inline``: the stylesheet inlined in each document's HTML, parsed again for every PDF;
- ``naive``: inline styles and a new FontConfiguration per PDF (plain ``HTML(...).write_pdf()``).

    .venv/bin/python benchmarks/invoice_pdf.py [--invoices N] [--mode prepared|inline|naive]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--mode", choices=["prepared", "inline", "naive"], default="prepared")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kilowatt.settings")
    import django

    django.setup()

    import weasyprint
    from tests.documents_fixtures import documents_all

    from kilowatt.documents import invoices
    from kilowatt.documents.pdf import LocalOnlyURLFetcher, html_to_pdf

    fixtures = list(documents_all().values())

    def render(document: dict) -> bytes:
        if args.mode == "prepared":
            return invoices.invoice_pdf_render(document=document)
        html = invoices.invoice_html_render(document=document)
        if args.mode == "inline":
            return html_to_pdf(html=html)
        return weasyprint.HTML(string=html, url_fetcher=LocalOnlyURLFetcher()).write_pdf()

    render(fixtures[0])  # warm up: fonts, templates, stylesheet
    sizes = []
    started = time.perf_counter()
    for index in range(args.invoices):
        document = {**fixtures[index % len(fixtures)], "number": f"FV/{index + 1:06d}/2026"}
        pdf = render(document)
        sizes.append(len(pdf))
    elapsed = time.perf_counter() - started
    rate = args.invoices / elapsed
    print(
        f"{args.invoices} invoices ({args.mode}) in {elapsed:.1f} s: {rate:.2f} PDFs/s, "
        f"{elapsed / args.invoices * 1000:.0f} ms each, {sum(sizes) / len(sizes) / 1024:.0f} KiB on average"
    )
    print(
        json.dumps(
            {
                "benchmark": "invoice_pdf",
                "metrics": {
                    "pdfs_per_second": round(rate, 2),
                    "ms_per_pdf": round(elapsed / args.invoices * 1000, 1),
                    "average_kib": round(sum(sizes) / len(sizes) / 1024, 1),
                },
                "params": {
                    "invoices": args.invoices,
                    "mode": args.mode,
                    "documents": "household G11 (pl), correction (pl), gas W-3.6 (en)",
                    "weasyprint": weasyprint.__version__,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
