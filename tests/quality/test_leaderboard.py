"""The opt-in leaderboard: off by default, the expert opts in from her standing page, the
board lists only experts who opted in, and only her brand's pool and staff see it."""

from __future__ import annotations

from typing import Any

import pytest

from gigcx.models import AuditEvent
from marketplace import services as marketplace
from quality.models import LeaderboardOptIn

pytestmark = pytest.mark.django_db

BOARD = "/expert/leaderboard/acme/"
OPT = "/expert/standing/acme/leaderboard/"


def listed(client: Any) -> str:
    response = client.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="leaderboard"') :]


def test_nobody_is_listed_until_they_opt_in(cast: Any, client: Any) -> None:
    client.force_login(cast.ada)
    board = listed(client)
    assert "Ada Lovelace" not in board
    assert "Grace Hopper" not in board
    assert "Nobody has joined the leaderboard yet." in board
    assert "Join the leaderboard" in client.get("/expert/standing/").content.decode()


def test_she_opts_in_and_out_from_her_standing_page_and_others_stay_off(
    cast: Any, client: Any, resolved: Any, rate: Any
) -> None:
    # given: ada resolved two questions this month and has a score
    rate(resolved(cast.ada), 5)
    resolved(cast.ada)
    client.force_login(cast.ada)

    # when
    response = client.post(OPT, {"leaderboard": "on"})

    # then: on the board with tier, score and resolutions this month; grace never opted in
    assert response.status_code == 302
    assert LeaderboardOptIn.objects.filter(expert=cast.ada_expert).exists()
    client.force_login(cast.grace)
    board = listed(client)
    assert "Ada Lovelace" in board
    assert "Grace Hopper" not in board
    row = board[board.index("Ada Lovelace") :]
    assert "Bronze" in row
    assert '<td data-label="Resolved this month">2</td>' in row
    cast.ada_expert.refresh_from_db()
    assert f"{cast.ada_expert.quality_score:.2f}" in row
    assert AuditEvent.objects.filter(action="quality.leaderboard_opt_in").count() == 1

    # and out again: she is gone
    client.force_login(cast.ada)
    client.post(OPT, {"leaderboard": "off"})
    assert not LeaderboardOptIn.objects.exists()
    assert "Ada Lovelace" not in listed(client)
    assert AuditEvent.objects.filter(action="quality.leaderboard_opt_out").count() == 1


def test_an_opted_out_expert_never_appears_whatever_her_score(
    cast: Any, client: Any, resolved: Any, rate: Any, grace_knows_the_shoe: Any
) -> None:
    # given: grace is rated higher than ada but never opts in; ada opts in
    rate(resolved(cast.grace), 5)
    rate(resolved(cast.ada), 3)
    client.force_login(cast.ada)
    client.post(OPT, {"leaderboard": "on"})
    # when / then: whoever looks, grace is not there
    for viewer in (cast.ada, cast.grace, cast.sam):
        client.force_login(viewer)
        board = listed(client)
        assert "Ada Lovelace" in board
        assert "Grace Hopper" not in board


def test_other_brands_customers_and_strangers_get_404(cast: Any, client: Any, api_as: Any) -> None:
    # a Northwind expert who opted in on Northwind's board is not on Acme's
    northwind_expert = marketplace.expert_enrol(
        brand=cast.northwind, user=cast.carol, status="approved", actor=cast.nora
    )
    client.force_login(cast.carol)
    assert (
        client.post("/expert/standing/northwind/leaderboard/", {"leaderboard": "on"}).status_code
        == 302
    )
    assert LeaderboardOptIn.objects.filter(expert=northwind_expert).exists()
    # carol is no expert of Acme: no board, and she cannot opt in there
    assert client.get(BOARD).status_code == 404
    assert client.post(OPT, {"leaderboard": "on"}).status_code == 404
    # Northwind's owner is not Acme's staff
    client.force_login(cast.nora)
    assert client.get(BOARD).status_code == 404
    assert "Carol" in client.get("/expert/leaderboard/northwind/").content.decode()
    # ada sees Acme's board but not Northwind's; nobody sees a board that does not exist
    client.force_login(cast.ada)
    assert client.get("/expert/leaderboard/northwind/").status_code == 404
    assert client.get("/expert/leaderboard/no-such-brand/").status_code == 404
    assert "Carol" not in listed(client)
    # signed out: to the login page
    client.logout()
    assert client.get(BOARD).status_code == 302
    # opting in takes a POST
    client.force_login(cast.ada)
    assert client.get(OPT).status_code == 405
    assert not LeaderboardOptIn.objects.filter(expert=cast.ada_expert).exists()
