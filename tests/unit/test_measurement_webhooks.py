"""Webhook signatures and retry timing."""

from datetime import UTC, datetime, timedelta

from measurement.domain.webhooks import next_attempt, payload, sign, verify


def test_a_signature_is_hmac_sha256_of_the_body_and_fails_for_any_change() -> None:
    body = payload("d-1", {"type": "AlertRaised", "data": {"ratio": "0.5000"}})

    signature = sign("whsec_test", body)

    assert signature.startswith("sha256=")
    assert len(signature) == 7 + 64
    assert verify("whsec_test", body, signature)
    assert not verify("whsec_other", body, signature)
    assert not verify("whsec_test", body.replace(b"0.5000", b"0.9000"), signature)


def test_retries_back_off_then_stop_after_the_last_attempt() -> None:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    backoff = (5.0, 30.0)

    assert next_attempt(now, 1, backoff, 4) == now + timedelta(seconds=5)
    assert next_attempt(now, 3, backoff, 4) == now + timedelta(seconds=30)
    assert next_attempt(now, 4, backoff, 4) is None
