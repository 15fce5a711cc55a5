import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims from claims.json, read at each token: email, email_verified, groups, preferred_username."""

    oidc_claim_scope = None  # every claim below, whatever the scopes (groups has no standard scope)

    def get_additional_claims(self, request):
        people = json.loads((settings.DIR / "claims.json").read_text())
        return people[request.user.username]
