"""The REST API under /api/v1 (django-ninja): token or session auth; errors as {code, message, field}."""

from ninja import NinjaAPI

from kilowatt.interfaces.api import billing, care, contracts, customers, finance, leads, network, signatures
from kilowatt.interfaces.api.auth import StaffSessionAuth, TokenAuth
from kilowatt.interfaces.api.errors import install_error_handlers

api = NinjaAPI(
    title="Kilowatt API",
    version="1",
    description="Customers, supply points, meters, contracts, the catalog, invoices and billing runs of an "
    "energy retailer.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[TokenAuth(), StaffSessionAuth()],
)
install_error_handlers(api)
api.add_router("", customers.router)
api.add_router("", network.router)
api.add_router("", contracts.router)
api.add_router("", billing.router)
api.add_router("", finance.router)
api.add_router("", leads.router)
api.add_router("", signatures.router)
api.add_router("", care.router)
