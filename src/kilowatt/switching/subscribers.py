"""Switching listens to sales: a signed contract opens a switch case per supply point."""

from __future__ import annotations


def subscribe() -> None:
    from kilowatt.core.operations import event_subscribe
    from kilowatt.switching.operations import cases_open_for_signed_contract

    event_subscribe("sales.contract.signed-v1", cases_open_for_signed_contract)
