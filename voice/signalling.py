"""WebRTC signalling over the live socket: SDP offers/answers and ICE candidates, relayed
only between a live call's two participants. The server reads nothing of the media; the
audio itself flows peer to peer and is never recorded."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from gigcx.realtime import user_group
from voice.models import Call

KINDS = {"hello", "ready", "offer", "answer", "ice", "bye"}
MAX_SIGNAL_BYTES = 16_000


def peer_of(*, user_id: int, call_id: int) -> int | None:
    """The other participant's user id, when ``user_id`` takes part in the live call."""
    call = (
        Call.objects.select_related("expert")
        .filter(pk=call_id, status__in=Call.HOLDS_EXPERT)
        .first()
    )
    if call is None or call.expert is None:
        return None
    if user_id == call.customer_id:
        return int(call.expert.user_id)
    if user_id == call.expert.user_id:
        return int(call.customer_id)
    return None


def _refuse(call_id: Any, message: str) -> dict[str, Any]:
    return {"type": "call.error", "call_id": call_id, "message": message}


async def relay_signal(user: Any, content: dict[str, Any]) -> dict[str, Any] | None:
    """``{"type": "call.signal", "call_id": 7, "data": {"kind": "offer", ...}}`` from one
    participant reaches the other's sockets; anyone else (or a call that is not ringing or
    connected) is refused with ``call.error``."""
    call_id = content.get("call_id")
    data = content.get("data")
    if not isinstance(call_id, int) or not isinstance(data, dict):
        return _refuse(call_id, "A signal needs call_id (a number) and data (an object).")
    if data.get("kind") not in KINDS:
        return _refuse(call_id, f"Unknown signal kind; use one of {', '.join(sorted(KINDS))}.")
    if len(json.dumps(data)) > MAX_SIGNAL_BYTES:
        return _refuse(call_id, "This signal is too large.")
    if user is None or not user.is_authenticated:
        return _refuse(call_id, "Sign in to take part in a call.")
    peer = await database_sync_to_async(peer_of)(user_id=user.pk, call_id=call_id)
    if peer is None:
        return _refuse(call_id, "You are not taking part in this call, or it is over.")
    event = {"type": "call.signal", "call_id": call_id, "data": data}
    await get_channel_layer().group_send(user_group(peer), {"type": "live.event", "event": event})
    return None
