"""Failed logins lock out one account from any address too, at a higher limit than one address (vigil.lockout).

Client addresses are documentation addresses (198.51.100.0/24): the test client sends nothing anywhere.
"""

from tests.conftest import PASSWORD


def fail(client, user, address: str, times: int = 1) -> None:
    for _ in range(times):
        client.post("/login/", {"username": user.username, "password": "wrong"}, REMOTE_ADDR=address)


def log_in(client, user, address: str):
    return client.post("/login/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address)


def test_failures_for_one_account_from_many_addresses_lock_it_out(client, responder, settings):
    per_address = settings.AXES_FAILURE_LIMIT - 1  # each address stays under its own limit
    addresses = -(-settings.VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT // per_address)
    for n in range(addresses):
        fail(client, responder, f"198.51.100.{n + 1}", per_address)
    locked = log_in(client, responder, "198.51.100.200")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert client.get("/").status_code == 302


def test_one_address_alone_cannot_lock_an_account_out(client, responder, settings):
    fail(client, responder, "198.51.100.1", settings.VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT * 2)
    assert log_in(client, responder, "198.51.100.1").status_code == 429  # that address is locked out
    assert log_in(client, responder, "198.51.100.2").status_code == 302  # the user, elsewhere, is not


def test_the_account_limit_is_the_higher_one(client, responder, viewer, settings):
    settings.VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    fail(client, responder, "198.51.100.1", 4)
    fail(client, responder, "198.51.100.2", 1)
    assert log_in(client, responder, "198.51.100.3").status_code == 302  # 5 failures: under 6
    client.post("/logout/")
    fail(client, viewer, "198.51.100.1", 3)
    fail(client, viewer, "198.51.100.2", 3)
    assert log_in(client, viewer, "198.51.100.3").status_code == 429  # 6: the account is locked


def test_signing_in_clears_the_accounts_count(client, responder, settings):
    fail(client, responder, "198.51.100.1", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, responder, "198.51.100.1").status_code == 302
    client.post("/logout/")
    fail(client, responder, "198.51.100.2", settings.AXES_FAILURE_LIMIT - 1)
    fail(client, responder, "198.51.100.3", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, responder, "198.51.100.4").status_code == 302
