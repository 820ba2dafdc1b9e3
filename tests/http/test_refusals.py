"""One answer per kind of refusal, whichever capability raised it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tocsin.domain import refusals
from tocsin.http.errors import refused


def client_raising(error: refusals.Refusal) -> TestClient:
    app = FastAPI()
    app.add_exception_handler(refusals.Refusal, refused)

    @app.get("/")
    def fail() -> None:
        raise error

    return TestClient(app)


def test_each_refusal_has_its_status_and_one_shape() -> None:
    cases = [
        (refusals.NotFound("no incident 7"), 404),
        (refusals.Forbidden("only the commander may resolve"), 403),
        (refusals.Conflict("already resolved"), 409),
        (refusals.Throttled(30), 429),
        (refusals.Unavailable("database unavailable", retry_after=5), 503),
    ]
    for error, code in cases:
        answer = client_raising(error).get("/")
        assert answer.status_code == code
        assert answer.json() == {"detail": str(error)}


def test_an_invalid_field_is_named_like_a_validation_error() -> None:
    answer = client_raising(refusals.Invalid("window.end", "must be after start")).get("/")
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {"loc": ["body", "window", "end"], "msg": "must be after start", "type": "value_error"}
        ]
    }
    query = client_raising(refusals.Invalid("at", "out of range", where="query")).get("/")
    assert query.json()["detail"][0]["loc"] == ["query", "at"]


def test_retry_after_is_sent_when_known() -> None:
    assert client_raising(refusals.Throttled(30)).get("/").headers["Retry-After"] == "30"
    unknown = client_raising(refusals.Unavailable("database unavailable")).get("/")
    assert "Retry-After" not in unknown.headers
