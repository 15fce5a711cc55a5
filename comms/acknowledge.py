"""Acknowledging a page by its signed token, for every door that carries one without a session: the
voice call's key 1, ntfy's Acknowledge button, a push notification's Acknowledge action. One rule for
all (incidents.paging): once, and only while the person paged may still acknowledge."""

from django.core import signing

from incidents import paging
from incidents.models import Page
from incidents.paging_actions import do_acknowledge_by_link
from incidents.services import ActionError


def acknowledge_by_token(token: str, via: str, ip: str | None = None, user_agent: str = "") -> tuple[int, str]:
    """(HTTP status, words) of acknowledging the page TOKEN names, by the link's rule (incidents.paging)."""
    try:
        page = paging.access_page_by_link(token)
    except signing.SignatureExpired:
        return 410, "This page has expired."
    except (signing.BadSignature, Page.DoesNotExist):
        return 404, "This page is no longer valid."
    try:
        incident = do_acknowledge_by_link(page, via, ip, user_agent)
    except paging.LinkRefused as exc:
        return (410 if paging.link_use(page) is not None else 403), str(exc)
    except ActionError as exc:
        return 409, str(exc)
    return 200, f"Acknowledged incident {incident.pk}. Paging has stopped."
