"""Sign in with Plex: who is signed in, the PIN flow, the role rule, installation and the server picker.

Modules (import them directly; this package re-exports nothing, so ``security`` can read the signed-in
user without loading the sign-in flow):

- ``users``: the plexbooks user of a browser, kept in plexbooks' own session key (never flask-login's);
- ``roles``: the role rule as pure functions (owner -> admin, shared -> user, first run);
- ``problems``: the refusals a sign-in can end with;
- ``signin``: the PIN flow (plex.tv calls, then the role rule, then the session);
- ``servers``: the servers of an admin's sign-in and the settings write when one is picked;
- ``install``: cookies, CSRF, rate limit and log redaction on the host app.
"""
