"""Written sections are Markdown shown safely; the post-mortem downloads as Markdown and prints cleanly."""

import pytest

from incidents.services import do_declare, do_resolve
from postmortems import services
from vigil.audit import Actor

EVIL = '<script>alert("x")</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)> **bold**'


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def postmortem(actor):
    incident, _ = do_declare(actor, title="Checkout is down", severity="sev1")
    do_resolve(actor, incident, "Rolled back")
    return services.do_draft_postmortem(actor, incident)


@pytest.mark.parametrize("page", ["", "print/"])
def test_a_script_in_a_section_never_reaches_the_page(web_clients, actor, postmortem, page):
    services.do_update_postmortem(actor, postmortem, root_cause=EVIL, summary=EVIL)
    content = web_clients["viewer"].get(f"{postmortem.get_absolute_url()}{page}").content.decode()
    assert "<script>alert" not in content
    # What is left of the link and the image is text, not markup.
    assert 'href="javascript:' not in content and "<img" not in content
    assert "<strong>bold</strong>" in content


def test_the_markdown_download(web_clients, actor, postmortem):
    services.do_update_postmortem(
        actor, postmortem, root_cause="A missing index.", five_whys=[{"why": "Why slow?", "because": "No index."}]
    )
    response = web_clients["viewer"].get(f"{postmortem.get_absolute_url()}export.md")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    assert response["Content-Disposition"].endswith(
        f'postmortem-{postmortem.incident_id}-post-mortem-checkout-is-down.md"'
    )
    text = response.content.decode()
    assert text.startswith("# Post-mortem: Checkout is down\n")
    assert "## Root cause\n\nA missing index.\n" in text
    assert "| Duration |" in text and "## Timeline" in text and "_(internal)_" in text
    assert "## Five whys\n\n1. **Why slow?** No index.\n" in text


def test_the_printable_page_has_a_print_stylesheet(web_clients, postmortem):
    response = web_clients["viewer"].get(f"{postmortem.get_absolute_url()}print/")
    assert response.status_code == 200
    assert b"postmortems/postmortem" in response.content and b'data-testid="pm-print"' in response.content
    assert b"<form" not in response.content.split(b'data-testid="pm-print"')[1]
