"""Signalling over the live socket: relayed between the call's two participants only."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from gigcx.asgi import application
from tests.test_realtime import run, session_headers
from voice import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_sdp_offer_reaches_the_other_participant_and_a_stranger_is_refused(
    cast: Any, assigned: Any
) -> None:
    call = services.call_request(question_id=assigned.pk, user=cast.carol)
    services.call_accept(call_id=call.pk, user=cast.ada)
    headers = {who: session_headers(getattr(cast, who)) for who in ("ada", "carol", "grace")}

    async def scenario() -> dict[str, Any]:
        sockets = {
            who: WebsocketCommunicator(application, "/ws/live/", headers=h)
            for who, h in headers.items()
        }
        for socket in sockets.values():
            await socket.connect()
            await socket.receive_json_from()  # hello
        offer = {"kind": "offer", "sdp": {"type": "offer", "sdp": "v=0"}}
        await sockets["ada"].send_json_to(
            {"type": "call.signal", "call_id": call.pk, "data": offer}
        )
        got = await sockets["carol"].receive_json_from(timeout=5)
        await sockets["grace"].send_json_to(
            {"type": "call.signal", "call_id": call.pk, "data": offer}
        )
        refused = await sockets["grace"].receive_json_from(timeout=5)
        await sockets["carol"].send_json_to(
            {"type": "call.signal", "call_id": call.pk, "data": {"kind": "x"}}
        )
        bad = await sockets["carol"].receive_json_from(timeout=5)
        ada_heard_nothing = await sockets["ada"].receive_nothing(timeout=0.5)
        for socket in sockets.values():
            await socket.disconnect()
        return {"got": got, "refused": refused, "bad": bad, "quiet": ada_heard_nothing}

    result = run(scenario)
    assert result["got"] == {
        "type": "call.signal",
        "call_id": call.pk,
        "data": {"kind": "offer", "sdp": {"type": "offer", "sdp": "v=0"}},
    }
    assert result["refused"]["type"] == "call.error"
    assert "not taking part" in result["refused"]["message"]
    assert result["bad"]["type"] == "call.error"
    assert "Unknown signal kind" in result["bad"]["message"]
    assert result["quiet"] is True
