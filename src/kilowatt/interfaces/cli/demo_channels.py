"""Demo sales channels: a partner network with an organisation, its branch and agents, a rival partner
(to show that neither sees the other), a hotline and a customer office; the commission scheme with staged
payouts, this quarter's targets, promotional gifts in stock and a thread with the back office. Some of the
demo's billed contracts are the partner's own sales, so the tour shows every commission stage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Sum

from kilowatt.billing.models import Invoice
from kilowatt.catalog.models import Product
from kilowatt.channels.models import (
    AgentRole,
    ChannelKind,
    Organisation,
    SalesChannel,
    SalesTarget,
    TargetMetric,
)
from kilowatt.channels.operations import agent_add, organisation_create
from kilowatt.commissions.models import (
    CommissionBasis,
    CommissionRate,
    CommissionScheme,
    CommissionStage,
    SchemeAssignment,
    StageTrigger,
)
from kilowatt.commissions.operations import (
    BILLS,
    commission_on_invoice_paid,
    commission_on_signature,
    commission_on_supply_start,
)
from kilowatt.commissions.settlement import month_settle
from kilowatt.core.models import Company
from kilowatt.core.periods import month_start
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.interfaces.cli.demo_data import DEMO_PASSWORD
from kilowatt.sales.gifts import gift_hand_over, gift_issue
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import Contract, ContractStatus, Gift
from kilowatt.sales.threads import thread_start

# (username, organisation code, role, first name, last name)
DEMO_AGENTS = [
    ("partner", "energo-partner", AgentRole.MANAGER, "Paweł", "Partnerski"),
    ("agent", "energo-partner", AgentRole.AGENT, "Agata", "Agentowa"),
    ("agent-krakow", "energo-partner-krakow", AgentRole.AGENT, "Kamil", "Krakowski"),
    ("rival-agent", "handel-pol", AgentRole.AGENT, "Roman", "Rywalski"),
]
PARTNER_LEAD = LeadData(
    kind="person",
    first_name="Ewa",
    last_name="Nowakowska",
    email="ewa.nowakowska@example.pl",
    phone="602 345 678",
    city="Warszawa",
    commodity="electricity",
    annual_consumption_kwh="2600",
    source="partner",
    notes="Met at the Warsaw energy fair; wants a fixed price for two years.",
)


def _user(username: str, first_name: str, last_name: str):
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@partner.example"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _quarter(today: date) -> tuple[date, date]:
    first_month = (today.month - 1) // 3 * 3 + 1
    start = date(today.year, first_month, 1)
    end = date(today.year + (first_month + 3 > 12), (first_month + 3 - 1) % 12 + 1, 1)
    return start, end


def demo_channels_setup(*, company: Company, today: date, now: datetime) -> int:
    """Create the channels once; returns the number of agents created (0 when they exist)."""
    if SalesChannel.objects.filter(company=company).exists():
        return 0
    partners = SalesChannel.objects.create(
        company=company, code="partners", name="Sieć partnerska", kind=ChannelKind.PARTNER_NETWORK
    )
    SalesChannel.objects.create(company=company, code="hotline", name="Infolinia", kind=ChannelKind.HOTLINE)
    SalesChannel.objects.create(
        company=company, code="office", name="Biuro Obsługi Klienta", kind=ChannelKind.CUSTOMER_OFFICE
    )
    energo = organisation_create(
        company=company, channel=partners, code="energo-partner", name="Energo-Partner Sp. z o.o.",
        nip="5213000005", email="biuro@energo-partner.example", bank_account="PL61109010140000071219812874",
        product_kinds=["energy"], now=now,
    )  # fmt: skip
    organisation_create(
        company=company, channel=partners, code="energo-partner-krakow",
        name="Energo-Partner — oddział Kraków", parent=energo, email="krakow@energo-partner.example", now=now,
    )  # fmt: skip
    rival = organisation_create(
        company=company, channel=partners, code="handel-pol", name="Handel-Pol S.C.", nip="7792000008",
        email="biuro@handel-pol.example", bank_account="PL27114020040000300201355387", now=now,
    )  # fmt: skip
    rival.products.set(Product.objects.filter(company=company, code="prad-stala-cena"))
    organisations = {o.code: o for o in Organisation.objects.filter(company=company)}
    agents = {}
    for username, code, role, first_name, last_name in DEMO_AGENTS:
        user = _user(username, first_name, last_name)
        agents[username] = agent_add(
            organisation=organisations[code], user=user, code=username.upper(), role=role, phone="600100200"
        )
    _scheme(company, partners, today)
    start, end = _quarter(today)
    SalesTarget.objects.bulk_create(
        [
            SalesTarget(company=company, channel=partners, period_start=start, period_end=end,
                        metric=TargetMetric.SUPPLY_POINTS, goal=Decimal("40")),
            SalesTarget(company=company, organisation=energo, period_start=start, period_end=end,
                        metric=TargetMetric.SUPPLY_POINTS, goal=Decimal("20")),
            SalesTarget(company=company, organisation=energo, period_start=start, period_end=end,
                        metric=TargetMetric.VOLUME_MWH, commodity="electricity", goal=Decimal("60")),
            SalesTarget(company=company, agent=agents["agent"], period_start=start, period_end=end,
                        metric=TargetMetric.SUPPLY_POINTS, goal=Decimal("8")),
        ]
    )  # fmt: skip
    lead_create(company=company, data=PARTNER_LEAD, now=now, agent=agents["agent"])
    _partner_history(company, agents, today, now)
    _gifts_and_a_thread(company, organisations, agents, today, now)
    return len(agents)


def _gifts_and_a_thread(
    company: Company, organisations: dict, agents: dict, today: date, now: datetime
) -> None:
    """Gifts issued from headquarters to the partners, one handed over with a contract, and the back office
    asking the partner about a contract (unread in the partner's menu)."""
    manager = get_user_model().objects.get(username="sales")
    mug = Gift.objects.create(
        company=company, code="kubek", name="Kubek termiczny Kilowatt", unit_value=Decimal("25.00")
    )
    powerbank = Gift.objects.create(
        company=company, code="powerbank", name="Powerbank 10 000 mAh", unit_value=Decimal("60.00")
    )
    issued_on = month_start(today)
    for code, mugs, powerbanks in (
        ("energo-partner", 40, 10),
        ("energo-partner-krakow", 15, 5),
        ("handel-pol", 20, 0),
    ):
        gift_issue(
            gift=mug,
            organisation=organisations[code],
            quantity=mugs,
            on_date=issued_on,
            actor=manager,
            now=now,
        )
        if powerbanks:
            gift_issue(
                gift=powerbank, organisation=organisations[code], quantity=powerbanks, on_date=issued_on,
                actor=manager, now=now,
            )  # fmt: skip
    sold = Contract.objects.filter(agent=agents["agent"].user).order_by("pk").first()
    if sold is None:
        return
    gift_hand_over(
        gift=mug, organisation=organisations["energo-partner"], contract=sold, on_date=today,
        actor=agents["agent"].user, now=now,
    )  # fmt: skip
    thread_start(
        company=company, author=get_user_model().objects.get(username="backoffice"), contract=sold,
        subject=f"Umowa {sold.number}: brak zgody na e-fakturę",
        body="Dzień dobry, prosimy potwierdzić u klienta zgodę na e-fakturę przed najbliższym rozliczeniem.",
        now=now,
    )  # fmt: skip


# How many of the demo's billed contracts each agent sold.
HISTORY = [("agent", 5), ("agent-krakow", 2), ("rival-agent", 2)]


def _paid_invoices(contract: Contract) -> list[tuple[int, date]]:
    """The contract's bills paid off, each with the day of the payment that finished it, oldest first."""
    bills = Invoice.objects.filter(contract=contract, kind__in=BILLS).values("pk")
    entries = (
        LedgerEntry.objects.filter(
            kind=LedgerEntryKind.INVOICE, document_type="invoice", document_id__in=bills, amount__gt=0
        )
        .annotate(
            settled=Sum("allocations_received__amount"),
            paid_on=Max("allocations_received__credit__posted_on"),
        )
        .filter(settled__gte=F("amount"))
        .order_by("paid_on", "pk")
    )
    return [(entry.document_id, entry.paid_on) for entry in entries]


def _partner_history(company: Company, agents: dict, today: date, now: datetime) -> None:
    """Some billed contracts of private customers become the partners' sales: their commission accrues as
    it would have from the events (signature, start of supply, paid bills), and last month is settled, so
    the partner's manager finds a statement to accept."""
    candidates = (
        Contract.objects.filter(
            company=company, status=ContractStatus.ACTIVE, customer__kind="person", organisation__isnull=True
        )
        .annotate(bills=Count("invoices"))
        .filter(bills__gte=2)
        .order_by("pk")
    )
    chosen = iter(list(candidates[: sum(count for _, count in HISTORY)]))
    for username, count in HISTORY:
        agent = agents[username]
        for contract in [c for c in (next(chosen, None) for _ in range(count)) if c is not None]:
            Contract.objects.filter(pk=contract.pk).update(organisation=agent.organisation, agent=agent.user)
            commission_on_signature(
                contract_id=contract.pk, on_date=contract.signed_on or contract.start_date, now=now
            )
            for point_id in contract.supply_point_links.values_list("supply_point_id", flat=True):
                commission_on_supply_start(
                    contract_id=contract.pk, supply_point_id=point_id, start_date=contract.start_date, now=now
                )
            for invoice_id, paid_on in _paid_invoices(contract):
                commission_on_invoice_paid(invoice_id=invoice_id, paid_on=paid_on, now=now)
    month_settle(company=company, month=month_start(today, offset=-1), on_date=today, now=now)


def _scheme(company: Company, channel: SalesChannel, today: date) -> CommissionScheme:
    """200 PLN per household point, 450 PLN per business point; 30 % on signature, 40 % when supply
    starts, 30 % after two paid invoices; agents get 70 %, the organisation keeps 30 %."""
    scheme = CommissionScheme.objects.create(
        company=company, code="standard-2026", name="Prowizja standardowa 2026",
        basis=CommissionBasis.PER_POINT, business_share=Decimal("70"), clawback_months=12,
        valid_from=date(today.year - 1, 1, 1),
    )  # fmt: skip
    CommissionRate.objects.create(scheme=scheme, customer_kind="person", rate=Decimal("200"))
    CommissionRate.objects.create(scheme=scheme, customer_kind="business", rate=Decimal("450"))
    CommissionStage.objects.create(scheme=scheme, trigger=StageTrigger.SIGNED, share=Decimal("30"))
    CommissionStage.objects.create(scheme=scheme, trigger=StageTrigger.SUPPLY_STARTED, share=Decimal("40"))
    CommissionStage.objects.create(
        scheme=scheme, trigger=StageTrigger.INVOICES_PAID, paid_invoices=2, share=Decimal("30")
    )
    SchemeAssignment.objects.create(
        company=company, scheme=scheme, channel=channel, valid_from=scheme.valid_from
    )
    return scheme
