"""Post-mortems and runbooks show no remote images: opening one must not tell another server who read it."""

import re

from dr_plans import services as dr_services
from incidents.services import do_declare
from postmortems import services as pm_services
from vigil.audit import Actor
from vigil.markdown import render_markdown

TRACKER = "https://tracker.example/pixel.gif?reader=1"
TEXT = f"The graph: ![error rate]({TRACKER}) and ours: ![chart](/static/chart.png)"


def images(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', html)


def test_a_postmortem_page_links_to_a_remote_image_instead_of_loading_it(web_clients, admin_user):
    actor = Actor(user=admin_user, via="web")
    incident, _ = do_declare(actor, title="Checkout is down", severity="sev1")
    postmortem = pm_services.do_draft_postmortem(actor, incident)
    pm_services.do_update_postmortem(actor, postmortem, root_cause=TEXT)
    page = web_clients["viewer"].get(postmortem.get_absolute_url()).content.decode()
    assert "tracker.example/pixel.gif?reader=1" in page  # still there, as a link to follow on purpose
    assert not [src for src in images(page) if "tracker.example" in src]
    assert "/static/chart.png" in images(page)


def test_a_runbook_step_links_to_a_remote_image_instead_of_loading_it(web_clients, admin_user):
    actor = Actor(user=admin_user, via="web")
    plan = dr_services.do_create_plan(actor, name="Region lost", rto_minutes=30, rpo_minutes=5)
    dr_services.do_save_step(actor, plan, section="Assess", title="Look at the graph", instructions=TEXT)
    page = web_clients["viewer"].get(plan.get_absolute_url()).content.decode()
    assert "Look at the graph" in page
    assert not [src for src in images(page) if "tracker.example" in src]
    assert "/static/chart.png" in images(page)


def test_only_images_from_vigil_itself_keep_their_source(settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    html = render_markdown(
        "![a](https://vigil.example.com/static/a.png) ![b](//elsewhere.example/b.png) "
        "![c](https://vigil.example.com.evil.example/c.png) ![d](http://vigil.example.com/d.png) ![e](e.png)"
    )
    assert images(html) == ["https://vigil.example.com/static/a.png", "e.png"]
    assert 'href="//elsewhere.example/b.png"' in html and ">b</a>" in html
