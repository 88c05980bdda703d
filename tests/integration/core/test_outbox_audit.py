import pytest
from django.db import transaction

from kilowatt.core.models import AuditEntry, OutboxEvent
from kilowatt.core.operations import event_record, event_subscribe, outbox_dispatch
from kilowatt.core.queries import audit_history
from tests import factories


@pytest.mark.django_db
def test_events_are_dispatched_once_to_subscribers(company, now):
    seen = []
    event_subscribe("test.thing.happened-v1", lambda event: seen.append(event.payload["n"]))
    with transaction.atomic():
        event_record(company=company, name="test.thing.happened-v1", payload={"n": 1}, occurred_at=now)
        event_record(company=company, name="test.thing.happened-v1", payload={"n": 2}, occurred_at=now)
    assert outbox_dispatch(now=now) == 2
    assert outbox_dispatch(now=now) == 0
    assert seen == [1, 2]


@pytest.mark.django_db
def test_a_failing_subscriber_keeps_the_event_for_a_retry(company, now):
    calls = []

    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise ValueError("downstream unavailable")

    event_subscribe("test.flaky.happened-v1", flaky)
    event = event_record(company=company, name="test.flaky.happened-v1", payload={}, occurred_at=now)
    assert outbox_dispatch(now=now) == 0
    event.refresh_from_db()
    assert event.dispatched_at is None and "downstream unavailable" in event.last_error
    assert outbox_dispatch(now=now) == 1
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at == now


@pytest.mark.django_db
def test_customer_change_is_in_its_history_with_before_and_after(company, now, back_office_user):
    from kilowatt.parties.operations import customer_update

    customer = factories.customer(company, now)
    customer_update(
        customer=customer, data=factories.person_data(last_name="Nowak"), actor=back_office_user, now=now
    )
    history = list(audit_history(company=company, entity="parties.customer", entity_id=customer.pk))
    assert [entry.action for entry in history] == [AuditEntry.Action.UPDATED, AuditEntry.Action.CREATED]
    assert history[0].changes["last_name"] == ["Kowalski", "Nowak"]
    assert history[0].actor == back_office_user
    assert "search_text" not in history[0].changes
