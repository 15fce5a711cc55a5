"""Offline copies: Markdown download and `manage.py export_dr_plans DIR`; runbook Markdown rendered safely."""

from django.core.management import call_command

from comms.models import Stakeholder
from dr_plans import services
from dr_plans.models import CallTreeLevel, Vendor
from dr_plans.rendering import render_markdown

from .conftest import make_plan


def test_the_export_command_writes_every_approved_plan(admin_actor, plan, tmp_path):
    make_plan(admin_actor, name="Never approved", approve=False)
    retired = make_plan(admin_actor, name="Old region")
    services.do_retire(admin_actor, retired)
    dba = Stakeholder.objects.create(name="Dana DBA", phone="+14155550100", email="dana@example.com")
    CallTreeLevel.objects.create(plan=plan, escalate_after_minutes=10).people.add(dba)
    vendor_contact = Stakeholder.objects.create(name="Support", organisation="CloudCo", phone="+14155550199")
    plan.vendors.add(Vendor.objects.create(stakeholder=vendor_contact, account_number="AC-42", sla="1 h"))

    call_command("export_dr_plans", str(tmp_path / "out"))

    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["primary-database-lost.md"]
    text = (tmp_path / "out" / "primary-database-lost.md").read_text()
    assert "# Primary database lost" in text
    assert "### 2. Promote the replica" in text
    assert "Dana DBA +14155550100 dana@example.com — next level after 10 min" in text
    assert "**CloudCo**" in text and "Account: AC-42" in text


def test_the_markdown_download_is_the_approved_version(admin_actor, plan, web_clients):
    services.do_save_step(admin_actor, plan, plan.steps.first(), title="Unapproved edit")
    response = web_clients["viewer"].get(f"/dr-plans/{plan.pk}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    body = response.content.decode()
    assert "Confirm the primary is gone" in body and "Unapproved edit" not in body


def test_markdown_is_rendered_and_sanitized():
    html = render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)")
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "<img" not in render_markdown('<img src=x onerror="alert(1)">')


def test_step_instructions_show_as_html_on_the_plan_page(admin_actor, plan, web_clients):
    services.do_save_step(admin_actor, plan, plan.steps.first(), instructions="Run `pg_isready` <b onclick=x>now</b>")
    body = web_clients["viewer"].get(f"/dr-plans/{plan.pk}/").content.decode()
    assert "<code>pg_isready</code>" in body
    assert "<b onclick" not in body and "&lt;b onclick=x&gt;" in body
