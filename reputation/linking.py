"""Which brand a mention is about, and which incident it belongs to.

Pure matching once loaded: a batch of mentions costs one read of the brands and one of the
incidents open during the batch's time span (with their components), then no query per mention.

- Brand: the source's brand if it has one; else a competitor whose keywords the text names (and
  ours it does not); else ours (None when no brand is marked as ours).
- Incident: only for mentions of us. The incident open when the mention was posted whose affected
  component the text names; failing that, if the text names the company's keywords (the setting
  VIGIL_REPUTATION_KEYWORDS plus our brand's keywords), the open incident that matters most:
  one not opened by a mention spike before one that was, then the most severe, then the oldest.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from incidents.models import Incident, IncidentComponent, Severity, Source

from .models import Brand, split_keywords

SEVERITY_ORDER = {value: n for n, value in enumerate(Severity.values)}


def company_keywords() -> list[str]:
    """The setting VIGIL_REPUTATION_KEYWORDS, comma-separated (e.g. "Acme, acme.io")."""
    return split_keywords(settings.VIGIL_REPUTATION_KEYWORDS)


def keyword_pattern(words: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive pattern matching any of WORDS as a whole word or phrase; None for none."""
    unique = sorted({word.lower() for word in words if word.strip()}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in unique) + r")(?!\w)", re.IGNORECASE)


class BrandMatcher:
    def __init__(self, brands: Iterable[Brand]):
        brands = list(brands)
        self.by_id = {brand.pk: brand for brand in brands}
        self.ours = next((brand for brand in brands if brand.ours), None)
        self.our_pattern = keyword_pattern(company_keywords() + (self.ours.keyword_list() if self.ours else []))
        self.competitors = [
            (brand, pattern)
            for brand in brands
            if not brand.ours and (pattern := keyword_pattern(brand.keyword_list()))
        ]

    @classmethod
    def load(cls) -> "BrandMatcher":
        return cls(Brand.objects.all())

    def names_us(self, text: str) -> bool:
        return bool(self.our_pattern and self.our_pattern.search(text))

    def brand_for(self, text: str, source_brand: Brand | None = None) -> Brand | None:
        if source_brand is not None:
            return source_brand
        if self.competitors and not self.names_us(text):
            for brand, pattern in self.competitors:
                if pattern.search(text):
                    return brand
        return self.ours


def is_ours(brand: Brand | None) -> bool:
    return brand is None or brand.ours


@dataclass(frozen=True)
class OpenIncident:
    id: int
    started_at: datetime
    resolved_at: datetime | None
    severity: str
    source: str
    components: re.Pattern | None

    def open_at(self, at: datetime) -> bool:
        return self.started_at <= at and (self.resolved_at is None or at <= self.resolved_at)

    @property
    def priority(self) -> tuple:
        return (self.source == Source.REPUTATION, SEVERITY_ORDER.get(self.severity, 99), self.started_at, self.id)


class IncidentLinker:
    def __init__(self, incidents: Iterable[OpenIncident]):
        self.incidents = sorted(incidents, key=lambda incident: incident.priority)

    @classmethod
    def for_span(cls, start: datetime, end: datetime) -> "IncidentLinker":
        """The incidents open at some time between START and END (merged duplicates left out)."""
        rows = list(
            Incident.objects.filter(started_at__lte=end, merged_into__isnull=True)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
            .values_list("id", "started_at", "resolved_at", "severity", "source")
        )
        names = defaultdict(list)
        for incident_id, name in IncidentComponent.objects.filter(incident_id__in=[row[0] for row in rows]).values_list(
            "incident_id", "component__name"
        ):
            names[incident_id].append(name)
        return cls(OpenIncident(*row, components=keyword_pattern(names[row[0]])) for row in rows)

    def incident_for(self, text: str, at: datetime, names_us: bool) -> int | None:
        """The id of the incident a mention of us posted AT belongs to, or None."""
        candidates = [incident for incident in self.incidents if incident.open_at(at)]
        for incident in candidates:
            if incident.components is not None and incident.components.search(text):
                return incident.id
        if names_us and candidates:
            return candidates[0].id
        return None
