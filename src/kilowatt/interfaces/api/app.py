"""The REST API under /api/v1 (django-ninja); routers per domain are added here."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Kilowatt API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
