"""The outbox in Django's admin: read-only rows an admin may delete, and nothing else happens to them."""

from comms.models import Notification, Subscriber


def test_an_admin_deletes_an_outbox_row_and_no_subscription_is_touched(web_clients, db):
    subscriber = Subscriber.objects.create(kind=Subscriber.Kind.EMAIL, address="ada@example.com")
    row = Notification.objects.create(medium="email", channel="sandbox", destination="ada@example.com", body="Hi")
    response = web_clients["admin"].post(f"/admin/comms/notification/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Notification.objects.filter(pk=row.pk).exists()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
