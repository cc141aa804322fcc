"""The domain events a brand's webhooks hear (registered in IntegrationsConfig.ready()).

Each runs inside the outbox's delivery transaction, with its ``EventDelivery`` claim, so a
delivery row is written once per event and endpoint, and nothing is lost between the change
and the row: the event commits with the change, the row with the claim.
"""

from __future__ import annotations

from gigcx.events import subscribe
from gigcx.models import DomainEvent
from integrations.models import EVENT_NAMES


def fan_out(event: DomainEvent) -> None:
    from integrations.services import webhook_event_fanout

    webhook_event_fanout(event=event)


for _name in EVENT_NAMES:
    subscribe(_name, name="integrations.webhooks")(fan_out)
