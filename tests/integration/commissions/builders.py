"""Sales that earn commission, built through the domain operations: a scheme with rates and stages, a
contract of an organisation with an opportunity's participants, signed, switched (or rejected) by the
real switching steps, invoices posted to the ledger and paid by a matched transfer. Events go through
``outbox_dispatch`` as in production."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from kilowatt.billing.models import Invoice
from kilowatt.catalog.models import PriceList
from kilowatt.commissions.models import (
    CommissionRate,
    CommissionScheme,
    CommissionStage,
    SchemeAssignment,
)
from kilowatt.core.operations import outbox_dispatch
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.finance.payments import Match, Payment, payments_post
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.models import Contract, Opportunity, OpportunityParticipant
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from kilowatt.switching.models import StepCode, SwitchCase
from kilowatt.switching.operations import (
    DsoAnswer,
    answer_apply,
    case_submitted,
    document_attach,
    step_complete,
)
from kilowatt.switching.setup import process_usual_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list

D = Decimal
SIGNED_ON = date(2026, 3, 10)
START = date(2026, 4, 1)
_numbers = itertools.count(1)

# 30 % on signature, 40 % on the start of supply, 30 % once 2 invoices are paid.
USUAL_STAGES = (("signed", "30", 0), ("supply_started", "40", 0), ("invoices_paid", "30", 2))


def prices(company):
    """The household price list "dom" (the same one when asked again)."""
    existing = PriceList.objects.filter(company=company, code="dom-202601").first()
    return existing or price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)


def scheme(
    company,
    *,
    code: str = "standard",
    basis: str = "mwh_contracted",
    business_share: str = "80",
    clawback_months: int = 12,
    stages=USUAL_STAGES,
    rates=(),
    valid_from: date = date(2026, 1, 1),
    valid_to: date | None = None,
) -> CommissionScheme:
    """A scheme; ``rates`` are dicts of CommissionRate fields (``rate`` required)."""
    made = CommissionScheme.objects.create(
        company=company,
        code=code,
        name=code.title(),
        basis=basis,
        business_share=D(business_share),
        clawback_months=clawback_months,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    for fields in rates:
        CommissionRate.objects.create(
            scheme=made, **{k: D(v) if k == "rate" else v for k, v in fields.items()}
        )
    for trigger, share, paid in stages:
        CommissionStage.objects.create(scheme=made, trigger=trigger, share=D(share), paid_invoices=paid)
    return made


def assign(scheme, *, organisation=None, channel=None, valid_from=date(2026, 1, 1), valid_to=None):
    return SchemeAssignment.objects.create(
        company=scheme.company,
        scheme=scheme,
        organisation=organisation,
        channel=channel,
        valid_from=valid_from,
        valid_to=valid_to,
    )


@dataclass
class Sale:
    contract: Contract
    points: list[SupplyPoint]


def sale(
    company, now, price_list, *, organisation, participants=(), agent=None, annuals=("2200", "3700")
) -> Sale:
    """A draft contract of a new customer for points of these yearly volumes, brought by ``organisation``
    through an opportunity shared by ``participants`` ((user, share) pairs), as an accepted offer makes it."""
    customer = factories.customer(company, now)
    points = [
        factories.supply_point(company, customer, now, annual_consumption_kwh=D(annual)) for annual in annuals
    ]
    process_usual_create(company=company, dso=points[0].dso, commodity="electricity")
    contract = contract_create(
        company=company,
        data=ContractData(customer_id=customer.pk, kind="comprehensive", product_id=price_list.product_id,
                          price_list_id=price_list.pk, start_date=START,
                          supply_point_ids=[p.pk for p in points]),
        actor=None, now=now,
    )  # fmt: skip
    owner = agent or (participants[0][0] if participants else None)
    opportunity = None
    if participants:
        opportunity = Opportunity.objects.create(
            company=company, customer=customer, name="Sale", owner=owner, organisation=organisation,
            commodity="electricity", created_at=now,
        )  # fmt: skip
        for user, share in participants:
            OpportunityParticipant.objects.create(opportunity=opportunity, user=user, share=D(share))
    contract.opportunity, contract.organisation, contract.agent = opportunity, organisation, owner
    contract.save(update_fields=["opportunity", "organisation", "agent"])
    return Sale(contract, points)


def sign(sale: Sale, now: datetime, on_date: date = SIGNED_ON) -> None:
    contract_change_status(contract=sale.contract, status="signed", on_date=on_date, actor=None, now=now)
    outbox_dispatch(now=now)  # switching opens the cases, commissions accrue the signature's stage
    sale.contract.refresh_from_db()


def _case(sale: Sale, point: SupplyPoint) -> SwitchCase:
    return SwitchCase.objects.get(contract=sale.contract, supply_point=point)


def _submitted(case: SwitchCase, now: datetime) -> SwitchCase:
    step_complete(case=case, code=StepCode.DOCUMENTS, actor=None, now=now)
    for code in ("termination_notice", "power_of_attorney"):
        document_attach(
            case=case,
            code=code,
            file_name=f"{code}.pdf",
            content=b"%PDF-1",
            content_type="",
            actor=None,
            now=now,
        )
    step_complete(case=case, code=StepCode.TERMINATION_NOTICE, actor=None, now=now)
    step_complete(case=case, code=StepCode.DISTRIBUTION_AGREEMENT, actor=None, now=now)
    return case_submitted(case=case, now=now)


def start_supply(sale: Sale, point: SupplyPoint, now: datetime, start: date = START) -> None:
    """The DSO accepts the switch and reports the start of supply with the start reading."""
    case = _submitted(_case(sale, point), now)
    case = answer_apply(
        case=case, answer=DsoAnswer(case.number, point.code, "accepted", start_date=start), now=now
    )
    started = DsoAnswer(case.number, point.code, "started", start_date=start, meter_serial=f"M{point.pk}",
                        readings={"all": D("1000")})  # fmt: skip
    answer_apply(case=case, answer=started, now=now)
    outbox_dispatch(now=now)
    sale.contract.refresh_from_db()


def reject_switch(sale: Sale, point: SupplyPoint, now: datetime) -> None:
    case = _submitted(_case(sale, point), now)
    answer = DsoAnswer(
        case.number, point.code, "rejected", rejection_code="E17", rejection_reason="No agreement"
    )
    answer_apply(case=case, answer=answer, now=now)
    outbox_dispatch(now=now)


def paid_invoice(
    sale: Sale,
    now: datetime,
    *,
    paid_on: date,
    net: str = "100.00",
    kwh: str = "300",
    point: SupplyPoint | None = None,
    period_start: date = START,
) -> Invoice:
    """An invoice of the contract, posted to the ledger and paid in full by a transfer naming it."""
    contract = sale.contract
    net_amount = D(net)
    vat = (net_amount * D("0.23")).quantize(D("0.01"))
    issue = period_start + timedelta(days=31)
    invoice = Invoice.objects.create(
        company=contract.company, number=f"FV/{next(_numbers):06d}/2026", kind="periodic",
        customer=contract.customer, contract=contract, supply_point=point, period_start=period_start,
        period_end=period_start + timedelta(days=30), issue_date=issue, due_date=issue + timedelta(days=14),
        net=net_amount, vat=vat, gross=net_amount + vat, amount_due=net_amount + vat, consumption_kwh=D(kwh),
        document={}, issued_at=now,
    )  # fmt: skip
    ledger_post_many(
        company=contract.company,
        postings=[Posting(contract.customer_id, "invoice", "invoice", invoice.pk, invoice.number,
                          invoice.amount_due, issue, invoice.due_date)],
        now=now,
    )  # fmt: skip
    payments_post(
        company=contract.company,
        payments=[Payment(10**6 + invoice.pk, f"T{invoice.pk}", paid_on, invoice.amount_due,
                          Match(contract.customer_id, "title", (invoice.number,)))],
        now=now,
    )  # fmt: skip
    outbox_dispatch(now=now)
    return invoice


@dataclass
class World:
    """Alpha (manager marta, agents anna and bartek) sold two points (anna 60 %, bartek 40 %): signed on
    10 March, supply of the first point started on 1 April. Beta (manager bogna, agent olaf) sold one
    point. March settled on 1 April: a statement for each."""

    alpha: object
    beta: object
    marta: object
    anna: object
    bartek: object
    bogna: object
    olaf: object
    sale: Sale
    beta_sale: Sale
    alpha_march: object
    beta_march: object


def world(company, now) -> World:
    from kilowatt.commissions.settlement import month_settle

    price_list = prices(company)
    alpha = factories.organisation(company, now, "alpha")
    beta = factories.organisation(company, now, "beta")
    marta = factories.agent(alpha, "marta", role="manager").user
    anna = factories.agent(alpha, "anna").user
    bartek = factories.agent(alpha, "bartek").user
    bogna = factories.agent(beta, "bogna", role="manager").user
    olaf = factories.agent(beta, "olaf").user
    assign(scheme(company, rates=[{"rate": "45.50"}]), channel=alpha.channel)
    sold = sale(company, now, price_list, organisation=alpha, participants=[(anna, "60"), (bartek, "40")])
    beta_sold = sale(
        company, now, price_list, organisation=beta, participants=[(olaf, "100")], annuals=["1000"]
    )
    sign(sold, now)
    sign(beta_sold, now)
    start_supply(sold, sold.points[0], now)
    alpha_march, beta_march = month_settle(company=company, month=date(2026, 3, 1), on_date=START, now=now)
    return World(alpha, beta, marta, anna, bartek, bogna, olaf, sold, beta_sold, alpha_march, beta_march)
