"""What each staff role may do, per company. Permissions are strings ``<area>.<verb>``."""

from __future__ import annotations

from kilowatt.core.models import Role

VIEW_MASTER_DATA = "master_data.view"
CHANGE_MASTER_DATA = "master_data.change"
EXPORT_DATA = "data.export"
IMPORT_DATA = "data.import"
MANAGE_DICTIONARIES = "dictionaries.manage"
MANAGE_CATALOG = "catalog.manage"
MANAGE_CONTRACTS = "contracts.manage"
MANAGE_API_TOKENS = "api_tokens.manage"
VIEW_BILLING = "billing.view"
RUN_BILLING = "billing.run"
ENTER_READS = "metering.reads.enter"
RECORD_PAYMENTS = "payments.record"
APPROVE_PAYMENTS = "payments.approve"  # refunds and write-offs: approved by someone other than who asked
MANAGE_LEADS = "leads.manage"
VERIFY_CONTRACTS = "contracts.verify"  # back office: checks contract requests and sends DSO files
VIEW_COLLECTIONS = "collections.view"
WORK_COLLECTIONS = "collections.work"
WORK_SWITCHING = "switching.work"  # supplier-switch cases: documents, steps, DSO files
MANAGE_CHANNELS = "channels.manage"  # channel managers: targets, gift stock, threads with partners
MANAGE_COMMISSIONS = "commissions.manage"  # settle months, statements, payout export
WORK_TICKETS = "care.work"  # register and work tickets, complaints, correspondence
DISPATCH_OUTAGES = "care.outages"  # open outages, keep them current, inform callers, close them
VIEW_CARE_REPORTS = "care.reports"  # care reports and the live monitor
LOOKUP_CALLERS = "care.callers"  # the phone system's caller look-up

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            VIEW_MASTER_DATA,
            CHANGE_MASTER_DATA,
            EXPORT_DATA,
            IMPORT_DATA,
            MANAGE_DICTIONARIES,
            MANAGE_CATALOG,
            MANAGE_CONTRACTS,
            MANAGE_API_TOKENS,
            VIEW_BILLING,
            RUN_BILLING,
            ENTER_READS,
            RECORD_PAYMENTS,
            APPROVE_PAYMENTS,
            VIEW_COLLECTIONS,
            WORK_COLLECTIONS,
            MANAGE_LEADS,
            VERIFY_CONTRACTS,
            WORK_SWITCHING,
            MANAGE_CHANNELS,
            MANAGE_COMMISSIONS,
            WORK_TICKETS,
            DISPATCH_OUTAGES,
            VIEW_CARE_REPORTS,
            LOOKUP_CALLERS,
        }
    ),
    Role.BACK_OFFICE: frozenset(
        {
            MANAGE_LEADS,
            VIEW_MASTER_DATA,
            CHANGE_MASTER_DATA,
            EXPORT_DATA,
            IMPORT_DATA,
            MANAGE_CONTRACTS,
            VERIFY_CONTRACTS,
            VIEW_BILLING,
            ENTER_READS,
            VIEW_COLLECTIONS,
            WORK_SWITCHING,
            WORK_TICKETS,
            DISPATCH_OUTAGES,
            LOOKUP_CALLERS,
        }
    ),
    Role.SALES_MANAGER: frozenset(
        {
            VIEW_MASTER_DATA,
            CHANGE_MASTER_DATA,
            EXPORT_DATA,
            MANAGE_CONTRACTS,
            MANAGE_LEADS,
            MANAGE_CHANNELS,
            MANAGE_COMMISSIONS,
            VIEW_CARE_REPORTS,
        }
    ),
    Role.BILLING: frozenset(
        {
            VIEW_MASTER_DATA,
            EXPORT_DATA,
            IMPORT_DATA,
            MANAGE_CATALOG,
            VIEW_BILLING,
            RUN_BILLING,
            ENTER_READS,
            WORK_TICKETS,
        }
    ),
    Role.FINANCE: frozenset(
        {
            VIEW_MASTER_DATA,
            EXPORT_DATA,
            VIEW_BILLING,
            RECORD_PAYMENTS,
            APPROVE_PAYMENTS,
            VIEW_COLLECTIONS,
            MANAGE_COMMISSIONS,
            WORK_TICKETS,
        }
    ),
    Role.COLLECTIONS: frozenset(
        {
            VIEW_MASTER_DATA,
            EXPORT_DATA,
            VIEW_BILLING,
            RECORD_PAYMENTS,
            VIEW_COLLECTIONS,
            WORK_COLLECTIONS,
            WORK_TICKETS,
        }
    ),
    Role.CALL_CENTRE: frozenset(
        {
            VIEW_MASTER_DATA,
            CHANGE_MASTER_DATA,
            VIEW_BILLING,
            ENTER_READS,
            VIEW_COLLECTIONS,
            WORK_TICKETS,
            DISPATCH_OUTAGES,
            VIEW_CARE_REPORTS,
            LOOKUP_CALLERS,
        }
    ),
}

# Scopes an API token may carry; each maps to the permissions it grants.
TOKEN_SCOPES: dict[str, frozenset[str]] = {
    "read": frozenset({VIEW_MASTER_DATA}),
    "write": frozenset({VIEW_MASTER_DATA, CHANGE_MASTER_DATA, MANAGE_CONTRACTS}),
    "billing": frozenset({VIEW_BILLING}),
    "billing-run": frozenset({VIEW_BILLING, RUN_BILLING}),
    "collections": frozenset({VIEW_BILLING, VIEW_COLLECTIONS}),
    "payments": frozenset({VIEW_BILLING, RECORD_PAYMENTS}),
    "leads": frozenset({MANAGE_LEADS}),
    "callers": frozenset({LOOKUP_CALLERS}),  # a PBX (e.g. Asterisk) asking who is calling
}


def permissions_for_roles(roles: set[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def permissions_for_scopes(scopes: list[str]) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes:
        granted |= TOKEN_SCOPES.get(scope, frozenset())
    return frozenset(granted)
