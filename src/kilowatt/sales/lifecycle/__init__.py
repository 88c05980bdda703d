"""A contract after signing: annexes, dated price terms, cessions, renewals and terminations.

- ``annexes``: a price or product change, a new supply point or new billing parameters from a day; a
  draft with its PDF until signed. A contract bills by dated price terms, so a price annex inside a
  billing period splits it by days.
- ``cessions``: the contract handed over to a new customer with the same terms.
- ``renewals``: fixed-term contracts nearing their end, and renewal offers compared with them.
- ``terminations``: notice, effective end, the early-termination penalty and the letter.
"""

from kilowatt.sales.lifecycle.annexes import (
    AnnexChanges,
    annex_cancel,
    annex_clean,
    annex_create,
    annex_document_data,
    annex_sign,
    billing_annexes_apply,
    price_terms_apply,
)
from kilowatt.sales.lifecycle.cessions import contract_cede
from kilowatt.sales.lifecycle.renewals import (
    RenewalBatch,
    contracts_ending,
    renewal_offer_prepare,
    renewal_offers_prepare,
)
from kilowatt.sales.lifecycle.terminations import (
    TerminationQuote,
    contract_terminate,
    months_started,
    termination_document_data,
    termination_quote,
)

__all__ = [
    "AnnexChanges",
    "RenewalBatch",
    "TerminationQuote",
    "annex_cancel",
    "annex_clean",
    "annex_create",
    "annex_document_data",
    "annex_sign",
    "contract_cede",
    "contract_terminate",
    "contracts_ending",
    "months_started",
    "billing_annexes_apply",
    "price_terms_apply",
    "renewal_offer_prepare",
    "renewal_offers_prepare",
    "termination_document_data",
    "termination_quote",
]
