"""A contract after signing: price annexes billed by dated terms, new supply points, billing parameters,
cession, renewal against the current contract, termination penalties, and what each refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import import_module
from io import BytesIO

import pytest
from django.apps import apps
from pypdf import PdfReader

from kilowatt.billing.models import Invoice, ItemStatus
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry, OutboxEvent, Role
from kilowatt.network.models import Dso, TariffGroup
from kilowatt.sales.lifecycle import (
    AnnexChanges,
    annex_create,
    annex_sign,
    billing_annexes_apply,
    contract_cede,
    contract_terminate,
    contracts_ending,
    months_started,
    price_terms_apply,
    renewal_offer_prepare,
    termination_quote,
)
from kilowatt.sales.models import (
    AnnexStatus,
    Contract,
    ContractDocumentKind,
    ContractPriceTerm,
    ContractStatus,
    OfferTemplate,
)
from kilowatt.sales.offers import offer_accept
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create, contract_update
from tests import factories
from tests.billing_scenarios import GAS, HOUSEHOLD, billable_contract, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 10)
CHEAPER = [("energy", "all", "G11", "kWh", "0.4500"), ("handling_fee", "", None, "month", "9.99")]
DEARER = [("energy", "all", "G11", "kWh", "0.5500"), ("handling_fee", "", None, "month", "12.00")]


def _data(customer, point, prices, **overrides) -> ContractData:
    values = {
        "customer_id": customer.pk,
        "kind": "comprehensive",
        "product_id": prices.product_id,
        "price_list_id": prices.pk,
        "start_date": date(2026, 1, 1),
        "supply_point_ids": [point.pk],
    }
    values.update(overrides)
    return ContractData(**values)


def _contract(
    company, now, prices, *, customer=None, point=None, status="active", per_month="0", **overrides
) -> Contract:
    customer = customer or factories.customer(company, now)
    point = point or factories.supply_point(company, customer, now)
    contract = contract_create(
        company=company, data=_data(customer, point, prices, **overrides), actor=None, now=now
    )
    Contract.objects.filter(pk=contract.pk).update(early_termination_fee_per_month=D(per_month))
    for step in ("signed", "active")[: ("draft", "signed", "active").index(status)]:
        contract_change_status(contract=contract, status=step, on_date=date(2026, 1, 1), actor=None, now=now)
    contract.refresh_from_db()
    return contract


def _pdf_text(document) -> str:
    return "".join(p.extract_text() for p in PdfReader(BytesIO(bytes(document.content))).pages)


def _terms(contract) -> list[tuple]:
    return list(
        contract.price_terms.order_by("valid_from").values_list("price_list__code", "valid_from", "valid_to")
    )


def test_the_first_price_term_follows_the_draft_and_the_data_migration_adds_missing_ones(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    other = price_list(
        company, code="dom", commodity="electricity", components=CHEAPER, valid_from=date(2026, 2, 1)
    )
    contract = _contract(company, now, prices, status="draft")
    assert _terms(contract) == [("dom-202601", date(2026, 1, 1), None)]
    point = contract.supply_point_links.get().supply_point
    data = _data(contract.customer, point, other, start_date=date(2026, 2, 1), end_date=date(2027, 2, 1))
    contract_update(contract=contract, data=data, actor=None, now=now)
    assert _terms(contract) == [("dom-202602", date(2026, 2, 1), date(2027, 2, 1))]
    ContractPriceTerm.objects.all().delete()
    import_module("kilowatt.sales.migrations.0008_contract_price_terms").first_terms(apps, None)
    import_module("kilowatt.sales.migrations.0008_contract_price_terms").first_terms(
        apps, None
    )  # twice: same
    assert _terms(contract) == [("dom-202602", date(2026, 2, 1), date(2027, 2, 1))]


def test_a_price_annex_in_the_middle_of_a_bill_splits_it_by_days(company, now):
    old = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    new = price_list(
        company, code="dom", commodity="electricity", components=DEARER, valid_from=date(2026, 2, 1)
    )
    scenario = billable_contract(
        company, now, prices=old, reads={"all": [(date(2026, 1, 1), "10000"), (date(2026, 3, 1), "10590")]}
    )
    contract = scenario.contract
    annex = annex_create(
        contract=contract, kind="price", effective_from=date(2026, 2, 15),
        changes=AnnexChanges(price_list_id=new.pk), actor=None, now=now,
    )  # fmt: skip
    assert annex.number == f"{contract.number}/A1" and annex.status == AnnexStatus.DRAFT
    assert _terms(contract) == [("dom-202601", date(2026, 1, 1), None)]  # nothing changes before signing
    text = _pdf_text(contract.documents.get(kind=ContractDocumentKind.ANNEX, annex=annex))
    assert annex.number in text and "0.550000" in text.replace(",", ".")
    annex_sign(annex=annex, on_date=date(2026, 2, 10), actor=None, now=now)
    contract.refresh_from_db()
    assert _terms(contract) == [
        ("dom-202601", date(2026, 1, 1), date(2026, 2, 15)),
        ("dom-202602", date(2026, 2, 15), None),
    ]
    assert contract.price_list == old  # signed before it takes effect: the terms rule billing
    assert price_terms_apply(company=company, on_date=TODAY, now=now) == 1
    contract.refresh_from_db()
    assert contract.price_list == new
    assert OutboxEvent.objects.filter(
        name="sales.contract.annex-signed-v1", payload__annex_id=annex.pk
    ).exists()
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)
    assert run.items.get().status == ItemStatus.ISSUED, run.items.get().findings
    invoice = Invoice.objects.get(contract=contract)
    lines = {
        (ln.component, ln.unit_price): (ln.quantity, ln.net) for ln in invoice.lines.filter(group="sales")
    }
    # 590 kWh over 59 days = 10 kWh a day. Old prices 2026-01-01 – 02-14 (45 days): 450 kWh × 0.4950 =
    # 222.75; handling 1 month (January) + 14/28 of February = 1.5 × 9.99 = 14.985 → 14.99. New prices
    # 02-15 – 02-28 (14 days): 140 kWh × 0.5500 = 77.00; handling 0.5 × 12.00 = 6.00.
    assert lines[("energy", D("0.495000"))] == (D("450.000"), D("222.75"))
    assert lines[("energy", D("0.550000"))] == (D("140.000"), D("77.00"))
    assert lines[("handling_fee", D("9.990000"))] == (D("1.5000"), D("14.99"))
    assert lines[("handling_fee", D("12.000000"))] == (D("0.5000"), D("6.00"))
    # Distribution as in the worked G11 bill for 590 kWh: fixed 11.00; variable 590 × 0.3469 = 204.671 →
    # 204.67; quality 19.529 → 19.53; OZE 4.307 → 4.31; cogeneration 1.77; capacity 34.36; subscription
    # 4.50 = 280.14. Net 320.74 + 280.14 = 600.88; VAT 23 % 138.2024 → 138.20; gross 739.08.
    assert (invoice.net, invoice.vat, invoice.gross) == (D("600.88"), D("138.20"), D("739.08"))


def test_a_price_annex_refuses_what_does_not_fit(company, now, other_company):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    later = price_list(
        company, code="dom", commodity="electricity", components=CHEAPER, valid_from=date(2026, 6, 1)
    )
    foreign = price_list(other_company, code="dom", commodity="electricity", components=CHEAPER)
    contract = _contract(company, now, prices, end_date=date(2027, 1, 1))

    def refused(kind="price", day=date(2026, 4, 1), **changes) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as caught:
            annex_create(contract=contract, kind=kind, effective_from=day, changes=AnnexChanges(**changes),
                         actor=None, now=now)  # fmt: skip
        return caught.value

    assert refused(price_list_id=foreign.pk).field == "price_list_id"
    assert refused(price_list_id=prices.pk).code == "no_change"
    assert "not valid on 2026-04-01" in refused(price_list_id=later.pk).message
    assert refused(day=date(2025, 12, 1), price_list_id=later.pk).field == "effective_from"
    assert refused(day=date(2027, 1, 1), price_list_id=later.pk).field == "effective_from"
    earlier = price_list(
        company, code="dom", commodity="electricity", components=CHEAPER, valid_from=date(2025, 12, 1)
    )
    assert (
        refused(day=date(2026, 1, 1), price_list_id=earlier.pk).field == "effective_from"
    )  # first term's day
    assert refused(kind="tariff").field == "kind"
    draft = _contract(company, now, prices, status="draft")
    with pytest.raises(ValidationFailed) as caught:
        annex_create(contract=draft, kind="price", effective_from=date(2026, 6, 1),
                     changes=AnnexChanges(price_list_id=later.pk), actor=None, now=now)  # fmt: skip
    assert caught.value.field == "status"
    annex = annex_create(contract=contract, kind="price", effective_from=date(2026, 6, 1),
                         changes=AnnexChanges(price_list_id=later.pk), actor=None, now=now)  # fmt: skip
    annex_sign(annex=annex, on_date=TODAY, actor=None, now=now)
    with pytest.raises(ValidationFailed) as caught:
        annex_sign(annex=annex, on_date=TODAY, actor=None, now=now)
    assert caught.value.field == "status" and caught.value.code == "not_draft"
    assert _terms(contract)[-1] == ("dom-202606", date(2026, 6, 1), date(2027, 1, 1))


def test_a_supply_point_annex_adds_a_point_of_the_customer_from_its_day(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    contract = _contract(company, now, prices, end_date=date(2027, 1, 1))
    second = factories.supply_point(company, contract.customer, now)
    stranger = factories.supply_point(company, factories.customer(company, now, first_name="Ewa"), now)
    gas = factories.supply_point(
        company, contract.customer, now, code=factories.ppg_code(), commodity="gas", phases=None,
        dso_id=Dso.objects.get(code="psg").pk,
        tariff_group_id=TariffGroup.objects.get(code="W-2.1", commodity="gas").pk,
    )  # fmt: skip
    taken = factories.supply_point(company, contract.customer, now)
    _contract(company, now, prices, customer=contract.customer, point=taken, start_date=date(2026, 5, 1))
    for point, message in [
        (stranger, "belongs to another customer"),
        (gas, "another commodity"),
        (contract.supply_point_links.get().supply_point, "already on this contract"),
        (taken, "already covered by contract"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            annex_create(contract=contract, kind="supply_point", effective_from=date(2026, 6, 1),
                         changes=AnnexChanges(supply_point_ids=[point.pk]), actor=None, now=now)  # fmt: skip
        assert caught.value.field == "supply_point_ids" and message in caught.value.message, point.code
    annex = annex_create(contract=contract, kind="supply_point", effective_from=date(2026, 4, 1),
                         changes=AnnexChanges(supply_point_ids=[second.pk]), actor=None, now=now)  # fmt: skip
    assert second.code in _pdf_text(annex.documents.get())
    annex_sign(annex=annex, on_date=TODAY, actor=None, now=now)
    link = contract.supply_point_links.get(supply_point=second)
    assert (link.valid_from, link.valid_to) == (date(2026, 4, 1), date(2027, 1, 1))


def test_a_billing_annex_changes_the_cycle_and_the_payment_term(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    contract = _contract(company, now, prices, customer=factories.customer(company, now, language="en"))

    def refused(**changes) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as caught:
            annex_create(contract=contract, kind="billing", effective_from=date(2026, 5, 1),
                         changes=AnnexChanges(**changes), actor=None, now=now)  # fmt: skip
        return caught.value

    assert refused(billing_cycle_months=2).code == "no_change"
    assert refused(billing_cycle_months=3).field == "billing_cycle_months"
    assert refused(payment_term_days=0).field == "payment_term_days"
    assert refused(billing_cycle_months=1, forecast_billing=True).field == "forecast_billing"
    changes = AnnexChanges(billing_cycle_months=6, payment_term_days=21, forecast_billing=True)
    annex = annex_create(
        contract=contract,
        kind="billing",
        effective_from=date(2026, 5, 1),
        changes=changes,
        actor=None,
        now=now,
    )
    assert annex.changes["before"] == {
        "billing_cycle_months": 2,
        "payment_term_days": 14,
        "forecast_billing": False,
    }
    text = _pdf_text(annex.documents.get())  # printed in the customer's language
    assert f"Annex no. {annex.number}" in text and "every 6 month" not in text and "6 month(s)" in text
    annex_sign(annex=annex, on_date=TODAY, actor=None, now=now)
    contract.refresh_from_db()
    terms = ("billing_cycle_months", "payment_term_days", "forecast_billing")
    # Signed in March for May: the bills until then keep the old terms.
    assert tuple(getattr(contract, name) for name in terms) == (2, 14, False)
    assert billing_annexes_apply(company=company, on_date=date(2026, 4, 30), now=now) == 0
    assert billing_annexes_apply(company=company, on_date=date(2026, 5, 1), now=now) == 1
    contract.refresh_from_db()
    assert tuple(getattr(contract, name) for name in terms) == (6, 21, True)
    assert billing_annexes_apply(company=company, on_date=date(2026, 5, 2), now=now) == 0  # applied once
    assert AuditEntry.objects.filter(
        entity="sales.contract", entity_id=contract.pk, action="updated"
    ).exists()


def test_a_cession_hands_the_contract_and_its_points_to_the_new_customer(company, other_company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    later = price_list(
        company, code="dom", commodity="electricity", components=CHEAPER, valid_from=date(2026, 6, 1)
    )
    contract = _contract(
        company, now, prices, end_date=date(2027, 1, 1), early_termination_fee=D("100"), per_month="10"
    )
    annex = annex_create(contract=contract, kind="price", effective_from=date(2026, 6, 1),
                         changes=AnnexChanges(price_list_id=later.pk), actor=None, now=now)  # fmt: skip
    annex_sign(annex=annex, on_date=TODAY, actor=None, now=now)
    heir = factories.customer(company, now, first_name="Anna", last_name="Nowak")
    foreigner = factories.customer(other_company, now)
    for customer, day, field in [
        (heir, date(2025, 12, 1), "effective_from"),
        (heir, date(2026, 1, 1), "effective_from"),
        (heir, date(2027, 2, 1), "effective_from"),
        (foreigner, date(2026, 4, 1), "new_customer"),
        (contract.customer, date(2026, 4, 1), "new_customer"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            contract_cede(contract=contract, new_customer=customer, effective_from=day, actor=None, now=now)
        assert caught.value.field == field, (customer, day)
    point = contract.supply_point_links.get().supply_point
    cession = contract_cede(
        contract=contract, new_customer=heir, effective_from=date(2026, 4, 1), actor=None, now=now
    )
    contract.refresh_from_db()
    new = cession.new_contract
    assert contract.end_date == date(2026, 4, 1) and contract.status == ContractStatus.ACTIVE
    assert list(contract.supply_point_links.values_list("valid_to", flat=True)) == [date(2026, 4, 1)]
    assert _terms(contract) == [("dom-202601", date(2026, 1, 1), date(2026, 4, 1))]
    assert (new.customer, new.start_date, new.end_date, new.status) == (
        heir,
        date(2026, 4, 1),
        date(2027, 1, 1),
        "active",
    )
    assert new.number != contract.number and new.early_termination_fee_per_month == D("10.00")
    assert _terms(new) == [
        ("dom-202601", date(2026, 4, 1), date(2026, 6, 1)),
        ("dom-202606", date(2026, 6, 1), date(2027, 1, 1)),
    ]
    assert [link.supply_point for link in new.supply_point_links.all()] == [point]
    point.refresh_from_db()
    assert point.customer == heir
    assert AuditEntry.objects.filter(entity="network.supplypoint", entity_id=point.pk).exists()
    assert [s.name for s in new.signers.all()] == ["Anna Nowak"]
    assert new.documents.filter(kind=ContractDocumentKind.CONTRACT).exists()
    assert OutboxEvent.objects.get(name="sales.contract.ceded-v1").payload["new_contract_id"] == new.pk
    with pytest.raises(ValidationFailed) as caught:
        contract_cede(
            contract=contract, new_customer=heir, effective_from=date(2026, 3, 1), actor=None, now=now
        )
    assert caught.value.field == "contract" and caught.value.code == "ceded"


def test_contracts_ending_and_a_renewal_offer_compared_with_the_current_contract(company, other_company, now):
    owner = make_staff("seller", company, Role.SALES_MANAGER)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    offer_prices = price_list(company, code="dom", commodity="electricity", components=CHEAPER,
                              valid_from=date(2026, 3, 1))  # fmt: skip
    template = OfferTemplate.objects.create(
        company=company, code="dom-12", name="Dom 12", product=prices.product, term_months=12
    )
    soon = _contract(company, now, prices, start_date=date(2025, 4, 1), end_date=date(2026, 4, 1))
    _contract(company, now, prices, end_date=date(2026, 6, 1))  # ends later
    _contract(company, now, prices)  # indefinite
    _contract(company, now, prices, end_date=date(2026, 3, 20), status="draft")
    assert list(contracts_ending(company=company, within_days=30, on_date=TODAY)) == [soon]
    gas = price_list(company, code="gaz", commodity="gas", components=GAS)
    gas_template = OfferTemplate.objects.create(company=company, code="gaz", name="Gaz", product=gas.product)
    stranger = make_staff("stranger", other_company, Role.SALES_MANAGER)
    for kwargs, field in [
        ({"template": gas_template, "price_list": gas, "owner": owner}, "template_id"),
        ({"template": template, "price_list": offer_prices, "owner": stranger}, "owner"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            renewal_offer_prepare(contract=soon, on_date=TODAY, actor=owner, now=now, **kwargs)
        assert caught.value.field == field
    offer = renewal_offer_prepare(contract=soon, template=template, price_list=offer_prices, owner=owner,
                                  on_date=TODAY, actor=owner, now=now)  # fmt: skip
    version = offer.versions.get()
    opportunity = offer.opportunity
    assert opportunity.renewal_of == soon and opportunity.customer == soon.customer
    assert list(opportunity.supply_points.all()) == [soon.supply_point_links.get().supply_point]
    assert version.current_contract == soon and version.start_date == date(2026, 4, 1)
    # 2,200 kWh a year: now 2,200 × 0.4950 + 12 × 9.99 = 1,208.88 net → 1,486.92 gross; offered
    # 2,200 × 0.4500 + 119.88 = 1,109.88 → 1,365.15; saving 121.77.
    assert version.comparison["current"]["name"] == prices.name and version.current_gross == D("1486.92")
    assert version.saving == D("121.77")
    assert not contracts_ending(company=company, within_days=30, on_date=TODAY).exists()
    with pytest.raises(ValidationFailed) as caught:
        renewal_offer_prepare(contract=soon, template=template, price_list=offer_prices, owner=owner,
                              on_date=TODAY, actor=owner, now=now)  # fmt: skip
    assert caught.value.field == "contract" and caught.value.code == "duplicate"
    renewed = offer_accept(offer=offer, on_date=TODAY, actor=owner, now=now)
    assert renewed.renewal_of == soon and renewed.start_date == date(2026, 4, 1)
    assert renewed.end_date == date(2027, 4, 1)


def test_months_started_count_every_started_month():
    assert months_started(date(2026, 5, 1), date(2028, 1, 1)) == 20
    assert months_started(date(2026, 5, 2), date(2028, 1, 1)) == 20
    assert months_started(date(2026, 4, 30), date(2028, 1, 1)) == 21
    assert months_started(date(2026, 1, 31), date(2026, 2, 28)) == 1
    assert months_started(date(2026, 1, 31), date(2026, 3, 1)) == 2
    assert months_started(date(2026, 3, 1), date(2026, 3, 1)) == 0


def test_termination_penalties_by_hand(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    contract = _contract(
        company, now, prices, end_date=date(2028, 1, 1), early_termination_fee=D("99.99"), per_month="10.50"
    )

    def quote(received, by="customer", requested=None):
        got = termination_quote(
            contract=contract, initiated_by=by, received_on=received, requested_end=requested
        )
        return got.effective_on, got.months_left, got.penalty

    # Notice 30 days. Received 2026-04-01 → ends 2026-05-01: 20 months to 2028-01-01 → 99.99 + 20 × 10.50.
    assert quote(date(2026, 4, 1)) == (date(2026, 5, 1), 20, D("309.99"))
    # A day later: 19 months and 30 days, the started month counts → still 20.
    assert quote(date(2026, 4, 2)) == (date(2026, 5, 2), 20, D("309.99"))
    # A day earlier: 20 months and 2 days → 21 → 99.99 + 220.50.
    assert quote(date(2026, 3, 31)) == (date(2026, 4, 30), 21, D("320.49"))
    # The end asked for is later than the notice: 2027-12-15 → 17 days left → 1 month.
    assert quote(date(2026, 4, 1), requested=date(2027, 12, 15)) == (date(2027, 12, 15), 1, D("110.49"))
    # Never after the contract's own end; ending on it is no early termination.
    assert quote(date(2026, 4, 1), requested=date(2028, 3, 1)) == (date(2028, 1, 1), 0, D("0.00"))
    assert quote(date(2026, 4, 1), by="company") == (date(2026, 5, 1), 20, D("0.00"))
    assert quote(date(2026, 4, 1), by="agreement", requested=date(2026, 4, 10)) == (
        date(2026, 4, 10),
        21,
        D("0"),
    )
    indefinite = _contract(company, now, prices, early_termination_fee=D("99.99"), per_month="10.50")
    got = termination_quote(contract=indefinite, initiated_by="customer", received_on=date(2026, 4, 1))
    assert (got.effective_on, got.months_left, got.penalty) == (date(2026, 5, 1), 0, D("0.00"))


def test_a_termination_ends_the_contract_and_prints_the_letter(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    contract = _contract(
        company, now, prices, end_date=date(2028, 1, 1), early_termination_fee=D("99.99"), per_month="10.50"
    )
    for kwargs, field in [
        ({"initiated_by": "nobody", "received_on": TODAY}, "initiated_by"),
        ({"initiated_by": "customer", "received_on": None}, "received_on"),
        ({"initiated_by": "customer", "received_on": TODAY, "requested_end": TODAY}, "requested_end"),
        ({"initiated_by": "company", "received_on": TODAY}, "reason"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            contract_terminate(contract=contract, reason="", actor=None, now=now, **kwargs)
        assert caught.value.field == field
    termination = contract_terminate(contract=contract, initiated_by="customer", received_on=date(2026, 4, 1),
                                     reason="Moving abroad", actor=None, now=now)  # fmt: skip
    contract.refresh_from_db()
    assert (termination.effective_on, termination.months_left, termination.penalty) == (
        date(2026, 5, 1), 20, D("309.99"),
    )  # fmt: skip
    assert contract.status == ContractStatus.TERMINATED and contract.end_date == date(2026, 5, 1)
    assert list(contract.supply_point_links.values_list("valid_to", flat=True)) == [date(2026, 5, 1)]
    assert _terms(contract) == [("dom-202601", date(2026, 1, 1), date(2026, 5, 1))]
    event = OutboxEvent.objects.get(name="sales.contract.terminated-v1")
    assert event.payload["penalty"] == "309.99" and event.payload["effective_on"] == "2026-05-01"
    # Billing charges the penalty with an accounting note, once however often the event comes.
    from kilowatt.billing.models import Invoice
    from kilowatt.billing.subscribers import termination_penalty_charge
    from kilowatt.core.operations import outbox_dispatch
    from kilowatt.finance.models import LedgerEntry

    outbox_dispatch(now=now)
    termination_penalty_charge(event)
    note = Invoice.objects.get(contract=contract, kind="note")
    assert note.gross == D("309.99") and contract.number in note.lines.get().description
    assert LedgerEntry.objects.get(document_id=note.pk, kind="note").amount == D("309.99")
    text = _pdf_text(contract.documents.get(kind=ContractDocumentKind.TERMINATION)).replace(",", ".")
    assert contract.number in text and "309.99" in text and "2028" in text
    with pytest.raises(ValidationFailed) as caught:
        contract_terminate(contract=contract, initiated_by="customer", received_on=TODAY, reason="",
                           actor=None, now=now)  # fmt: skip
    assert caught.value.field == "status"
    company_side = _contract(
        company, now, prices, end_date=date(2028, 1, 1), early_termination_fee=D("99.99"), per_month="10.50"
    )
    ended = contract_terminate(contract=company_side, initiated_by="company", received_on=date(2026, 4, 1),
                               reason="Unpaid invoices", actor=None, now=now)  # fmt: skip
    assert ended.penalty == D("0.00") and ended.months_left == 20
    not_started = _contract(company, now, prices, start_date=date(2026, 6, 1), status="signed")
    with pytest.raises(ValidationFailed) as caught:
        contract_terminate(contract=not_started, initiated_by="customer", received_on=TODAY, reason="",
                           actor=None, now=now)  # fmt: skip
    assert caught.value.field == "requested_end" and caught.value.code == "before_start"
