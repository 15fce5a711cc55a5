"""Sentiment from VADER's compound score, which runs from -1 (most negative) to 1.

VADER's lexicon ships with the package: nothing is downloaded. The analyzer is built once per
process (loading the lexicon is the costly part) and is read-only after, so threads share it.
"""

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .models import Sentiment

# VADER's authors' thresholds for the compound score.
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05
# A long article is judged by its opening: scoring costs time in proportion to length, and the
# tone of a post about an outage is set in its first lines.
MAX_SCORED_CHARS = 2000

_analyzer: SentimentIntensityAnalyzer | None = None


def analyzer() -> SentimentIntensityAnalyzer:
    global _analyzer
    if _analyzer is None:
        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def score(text: str) -> float:
    """VADER's compound score of TEXT, in [-1, 1]."""
    if not text.strip():
        return 0.0
    compound = analyzer().polarity_scores(text[:MAX_SCORED_CHARS])["compound"]
    return max(-1.0, min(1.0, float(compound)))


def label_for(compound: float) -> str:
    if compound <= NEGATIVE_AT:
        return Sentiment.NEGATIVE
    if compound >= POSITIVE_AT:
        return Sentiment.POSITIVE
    return Sentiment.NEUTRAL
