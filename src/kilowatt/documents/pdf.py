"""HTML to PDF with WeasyPrint, offline: local files and data: URLs only, system fonts.

Documents are rendered on servers that may have no internet access (intranet deployments) and
must never reach out while printing an invoice, so every http(s)/ftp fetch is refused and stops
the rendering with an error naming the URL. Fonts come from fontconfig (DejaVu Sans covers every
Polish, Czech and Slovak glyph); one FontConfiguration and the parsed stylesheets are kept per
process, because building them again for each document costs more than laying out a page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

# WeasyPrint logs seven INFO lines per document (and some while importing) on this logger; keep them
# out of the logs unless the deployment configured the logger itself. Set before weasyprint is imported.
for _noisy in ("weasyprint.progress", "fontTools"):  # fontTools reports each font it subsets at INFO
    if logging.getLogger(_noisy).level == logging.NOTSET:
        logging.getLogger(_noisy).setLevel(logging.WARNING)

import weasyprint  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher  # noqa: E402

LOCAL_PROTOCOLS = frozenset({"file", "data"})


class RemoteResourceRefused(RuntimeError):
    """A document asked for a resource outside this machine (or a local file that is missing)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"{detail}. Documents are printed offline: reference stylesheets, fonts and images "
            "as local files (pass base_url) or embed them as data: URLs."
        )


class LocalOnlyURLFetcher(URLFetcher):
    """Fetches file: and data: URLs; anything else (http, https, ftp…) is refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=LOCAL_PROTOCOLS, allow_redirects=False, fail_on_errors=True)


class ConfinedURLFetcher(LocalOnlyURLFetcher):
    """Like LocalOnlyURLFetcher, but file: URLs only inside ``roots`` (none: data: URLs only). For HTML
    that others may write (a company's contract wording): it must not pull a server file into a PDF."""

    def __init__(self, roots: Sequence[Path] = ()) -> None:
        super().__init__()
        self.roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url, headers=None):
        if url.lower().startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise FatalURLFetchingError(f"{url} is not one of the document's own files")
        return super().fetch(url, headers)


_local = threading.local()


def _font_config() -> FontConfiguration:
    # FontConfiguration wraps a fontconfig/Pango font map, which is not thread-safe: one per thread.
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


@lru_cache(maxsize=32)
def _stylesheet(path: str, font_config_id: int) -> weasyprint.CSS:
    return weasyprint.CSS(filename=path, url_fetcher=LocalOnlyURLFetcher(), font_config=_font_config())


def stylesheet_prepare(path: str | Path) -> weasyprint.CSS:
    """A local stylesheet parsed once per process (and thread) and reused for every document."""
    return _stylesheet(str(Path(path).resolve()), id(_font_config()))


def html_layout(
    *,
    html: str,
    base_url: str | None = None,
    stylesheets: Sequence[str | Path] = (),
    file_roots: Sequence[Path] | None = None,
) -> weasyprint.Document:
    """Lay the HTML out in pages (for page counts and tests); ``html_to_pdf`` writes it out.

    ``stylesheets`` are local CSS files applied after the document's own styles, parsed once;
    ``file_roots``, when given, are the only directories the HTML may read files from.
    Raises RemoteResourceRefused.
    """
    fetcher = LocalOnlyURLFetcher() if file_roots is None else ConfinedURLFetcher(file_roots)
    try:
        return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=_font_config(),
            stylesheets=[stylesheet_prepare(path) for path in stylesheets],
        )
    except FatalURLFetchingError as error:
        raise RemoteResourceRefused(str(error)) from error.__cause__


def html_to_pdf(
    *,
    html: str,
    base_url: str | None = None,
    stylesheets: Sequence[str | Path] = (),
    pdf_variant: str | None = None,
    file_roots: Sequence[Path] | None = None,
) -> bytes:
    """The PDF of an HTML document, rendered offline with system fonts.

    ``base_url`` resolves relative links (a local directory or file: URL); ``pdf_variant`` asks
    WeasyPrint for an archival profile such as ``"pdf/a-3b"``. Raises RemoteResourceRefused.
    """
    document = html_layout(html=html, base_url=base_url, stylesheets=stylesheets, file_roots=file_roots)
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    try:
        return document.write_pdf(**options)
    except FatalURLFetchingError as error:
        raise RemoteResourceRefused(str(error)) from error.__cause__
