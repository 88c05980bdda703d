"""Virtual bank accounts: each customer gets an NRB/IBAN of its own, so transfers match themselves."""

from __future__ import annotations

from schwifty import IBAN

from kilowatt.core.models import Company

BANK_CODE_DIGITS = 8
ACCOUNT_DIGITS = 16


def virtual_account_for(*, company: Company, customer_id: int) -> str:
    """The customer's IBAN: the company's bank code and fixed digits, then the customer's id.

    Empty when the company has not configured its bank prefix. Check digits come from schwifty.
    """
    prefix = company.bank_account_prefix
    if len(prefix) < BANK_CODE_DIGITS or not prefix.isdigit():
        return ""
    fixed = prefix[BANK_CODE_DIGITS:]
    width = ACCOUNT_DIGITS - len(fixed)
    number = str(customer_id)
    if len(number) > width:
        raise ValueError(f"customer id {customer_id} does not fit the {width} digits of the virtual account")
    account = fixed + number.zfill(width)
    return str(
        IBAN.generate(company.country or "PL", bank_code=prefix[:BANK_CODE_DIGITS], account_code=account)
    )
