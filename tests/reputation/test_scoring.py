"""VADER's compound score on fixed sentences: the sign and the label each should get."""

import pytest

from reputation import scoring
from reputation.models import Sentiment

SENTENCES = [
    ("Acme is down again and support is useless. Terrible.", Sentiment.NEGATIVE),
    ("Checkout has been failing for an hour, I'm furious", Sentiment.NEGATIVE),
    ("Worst outage ever, we lost sales all morning :(", Sentiment.NEGATIVE),
    ("Not happy with the API today, very slow and broken", Sentiment.NEGATIVE),
    ("I love the new dashboard, great work!", Sentiment.POSITIVE),
    ("Support fixed it within minutes. Excellent service, thank you", Sentiment.POSITIVE),
    ("Acme is not bad at all, pretty reliable actually", Sentiment.POSITIVE),
    ("The status page says all systems operational.", Sentiment.NEUTRAL),
    ("What are the rate limits on the v2 endpoints?", Sentiment.NEUTRAL),
    ("Deploying version 4.2 to the eu-west region tonight", Sentiment.NEUTRAL),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES, ids=[text[:30] for text, _ in SENTENCES])
def test_each_sentence_gets_the_expected_sign_and_label(text, expected):
    compound = scoring.score(text)
    assert -1 <= compound <= 1
    assert scoring.label_for(compound) == expected
    if expected == Sentiment.NEGATIVE:
        assert compound <= -0.05
    elif expected == Sentiment.POSITIVE:
        assert compound >= 0.05
    else:
        assert -0.05 < compound < 0.05


def test_the_label_thresholds_are_vaders():
    assert scoring.label_for(-0.05) == Sentiment.NEGATIVE
    assert scoring.label_for(-0.0499) == Sentiment.NEUTRAL
    assert scoring.label_for(0.0499) == Sentiment.NEUTRAL
    assert scoring.label_for(0.05) == Sentiment.POSITIVE


def test_empty_text_is_neutral_and_a_long_text_is_judged_by_its_opening():
    assert scoring.score("   ") == 0.0
    long = "This outage is terrible and awful. " + "Lorem ipsum dolor sit amet. " * 500 + " I love it, wonderful!"
    assert scoring.score(long) < 0
