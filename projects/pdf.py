"""Printable documents as PDF (WeasyPrint): the receipt of a submission and the result letter.

One template renders a document; ``render_pdf`` turns it into PDF bytes. The pages use the KRDS
font (PretendardGOV, from node_modules/krds-uiux through the static files) by ``@font-face`` in
templates/pdf/base.html, so Korean renders on any server, whatever fonts it has installed.
Static URLs are read from the disk (the collected files, or the finders before collectstatic),
never over the network; any other URL is refused, so a document cannot make the server fetch.
"""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"
# The host relative URLs resolve against: a name no request can reach (.invalid).
DOCUMENT_HOST = "gongmo.invalid"


def static_file(url):
    """The file on disk behind a static URL (``/static/…`` or ``static/…``), or None."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = url if url.startswith("/") else "/" + url
    if not path.startswith(prefix):
        return None
    name = path[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
    if ".." in Path(name).parts:
        return None
    try:
        collected = Path(staticfiles_storage.path(name))
    except NotImplementedError:  # a remote storage: read the sources instead
        collected = None
    if collected is not None and collected.is_file():
        return collected
    found = finders.find(name)
    return Path(found) if found else None


def static_only_fetcher():
    """WeasyPrint's fetcher: static files from the disk, nothing else (no network, no file://)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            path = static_file(parts.path) if parts.netloc == DOCUMENT_HOST else None
            if path is None:
                raise ValueError(f"Not a static file: {url}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return StaticOnlyFetcher(fail_on_errors=True)


def render_pdf(template_name, context, request=None):
    """The PDF bytes of ``template_name`` rendered with ``context``."""
    from weasyprint import HTML  # imported here: it loads Pango, which only PDFs need

    html = render_to_string(template_name, context, request=request)
    return HTML(
        string=html, base_url=f"http://{DOCUMENT_HOST}/", url_fetcher=static_only_fetcher()
    ).write_pdf()


def pdf_response(template_name, context, request, filename):
    """An inline PDF download named ``filename``."""
    response = HttpResponse(render_pdf(template_name, context, request), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
