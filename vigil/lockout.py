"""Failed-login lockouts per username and address, and per account from any address (django-axes).

django-axes compares one failure count (the largest over AXES_LOCKOUT_PARAMETERS) with one limit.
Vigil wants two limits: AXES_FAILURE_LIMIT for one username from one address, and the higher
VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT for one username from anywhere (a password-spraying botnet
trying one account from many addresses). This handler reports a count that reaches
AXES_FAILURE_LIMIT when either limit is reached, so axes' own lockout (429, the template, the
signal, the reset on success) does the rest.

The trade-off of the account limit: anyone may lock a user out by failing that many times. With
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off, tries made while locked out are not counted, so
one address adds at most AXES_FAILURE_LIMIT failures a cool-off period: it takes
ACCOUNT_LIMIT / AXES_FAILURE_LIMIT addresses (4 by default) to lock an account, and the lockout
ends after AXES_COOLOFF_MINUTES. An admin can lift one in Django's admin (Axes: access attempts).
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


def _sum(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PairAndAccountHandler(AxesDatabaseHandler):
    """Needs AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"] (the pair, then the account)."""

    def get_failures(self, request, credentials=None) -> int:
        pair, account = (_sum(attempts) for attempts in self.get_user_attempts(request, credentials))
        if account >= settings.VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair
