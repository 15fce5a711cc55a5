"""Two-factor sign-in: a TOTP authenticator app, with one-time backup codes (django-otp's devices).

Who must give a code at sign-in: everyone who enrolled a device, and every admin (a superuser,
staff, or the admin role) while VIGIL_REQUIRE_ADMIN_2FA is on; an admin without a device is sent
to enrol before anything else. API keys are not affected: they are a credential of their own.

The pieces:
- services: the rules and the do_* actions (enrol, new backup codes, turn off, an admin's reset),
  each audited;
- views: the login view (password, then the code), the verify, enrol and manage pages, and the
  admins' list of users with their reset button;
- middleware: a session that owes a code is anonymous to every view after it.
"""
