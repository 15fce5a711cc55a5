"""Message templates have bounded output: nested {% with %} + add cannot blow a short template up to megabytes."""

import time
import tracemalloc

import pytest

from comms import messages, templating
from comms.models import Event, MessageTemplate, Part
from incidents.models import PublicStatus
from incidents.services import do_post_update

EDIT = "/comms/templates/update/"


def doubling(levels: int, start: str = "title") -> str:
    """A template that doubles START once per nested {% with %}: 2**LEVELS times its length."""
    names = [start] + [f"v{i}" for i in range(1, levels + 1)]
    opens = "".join(f"{{% with {names[i + 1]}={names[i]}|add:{names[i]} %}}" for i in range(levels))
    return opens + f"{{{{ {names[-1]} }}}}" + "{% endwith %}" * levels


def form_data(**parts) -> dict:
    data = {part: templating.DEFAULTS[(Event.UPDATE, part)] for part in templating.EVENT_PARTS[Event.UPDATE]}
    return {**data, **parts, "save": "1"}


def test_deeply_nested_blocks_are_refused_when_saved_with_a_clear_message(web_clients):
    bomb = doubling(16)  # 2**16 times the title: megabytes from a few hundred characters
    assert len(bomb) < templating.MAX_TEMPLATE_LENGTH
    response = web_clients["admin"].post(EDIT, form_data(email=bomb))
    assert response.status_code == 400
    assert "Blocks nest 16 deep; keep it to 8" in response.context["form"].errors["email"][0]
    assert not MessageTemplate.objects.exists()


def test_a_template_fine_on_the_sample_but_too_big_on_long_values_is_refused(web_clients):
    grows = doubling(6, start="message")  # 64 times the message: a few KB on the sample, 640 KB on 10,000 characters
    assert templating.render(grows, messages.sample_context(Event.UPDATE)), "it renders on the sample"
    response = web_clients["admin"].post(EDIT, form_data(email=grows))
    assert response.status_code == 400
    error = response.context["form"].errors["email"][0]
    assert "On long values" in error and "message of 10,000 characters" in error
    assert "longer than 65,536 characters" in error
    assert not MessageTemplate.objects.exists()


def test_a_stored_template_past_the_bounds_falls_back_to_the_default_at_send_time_without_exploding(actor, incident):
    # Stored around the form (as one saved before the bounds were): a fan-out must still go out, small.
    MessageTemplate.objects.create(event=Event.OPENED, part=Part.EMAIL, body=doubling(18))
    MessageTemplate.objects.create(event=Event.OPENED, part=Part.SMS, body="{{ title|add:message }}" * 40)
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "x" * 10_000)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        texts = messages.update_texts(update)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 20 * 1024 * 1024, peak
    assert texts.bodies["email"].startswith("API errors\n\nStatus: Investigating\n\n"), "the default was used"
    assert texts.bodies["sms"].startswith("API errors - Investigating: xxx"), "the default was used"


@pytest.mark.parametrize(
    "source",
    [
        "{{ message }}" * 7,  # 70,000 characters of output
        "{{ message|add:message|add:message|add:message|add:message|add:message|add:message }}",
        "{% filter upper %}" + "{{ message }}" * 7 + "{% endfilter %}",
    ],
)
def test_rendering_stops_at_the_size_bound(db, source):
    with pytest.raises(templating.TemplateLimitError, match="longer than 65,536 characters"):
        templating.render(source, {"message": "m" * 10_000})
