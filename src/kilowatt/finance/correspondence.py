"""The parts every letter to a customer about money shares: who writes, to whom, where to pay."""

from __future__ import annotations

from kilowatt.core.models import Company
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.parties.models import Customer


def letter_parties(*, company: Company, customer: Customer) -> dict:
    """Place, sender (with the customer's own account to pay to), recipient (the correspondence address
    when there is one), customer number and language of a letter document (kilowatt.letter/1).

    A company without an address gives empty sender lines: the letter is then refused by the letter check,
    naming the field, rather than printed without a sender.
    """
    address = customer.correspondence_address or customer.address
    return {
        "place": company.city or company.name,
        "language": customer.language if customer.language in ("pl", "en") else "pl",
        "sender": {
            "name": company.name,
            "address_lines": [
                line for line in (company.street, f"{company.postal_code} {company.city}".strip()) if line
            ],
            "nip": company.nip,
            "bank_account": virtual_account_for(company=company, customer_id=customer.pk),
        },
        "recipient": {
            "name": customer.display_name,
            "address_lines": [str(address).split(",")[0]],
            "postal_code": address.postal_code,
            "city": address.city,
        },
        "customer_number": customer.number,
    }
