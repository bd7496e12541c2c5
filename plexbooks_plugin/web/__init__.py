"""The web layer: one module-level blueprint (``web.routes.bp``), one module per area.

- ``blueprint``: the blueprint itself; ``routes``: imports every area, so ``bp`` carries all its views;
- ``hardening``: body limit and security headers;
- ``errors``: the one JSON error builder and the error handlers; ``forms``: body and argument validation;
- ``context``: who is asking (for pages) and the template helpers; ``shapes``: the public JSON shapes;
- ``auth_views``, ``pages``, ``settings``, ``api``, ``covers``, ``openapi``: the routes of each area.

The guards (roles, API key, CSRF, rate limit) are in ``plexbooks_plugin.security``.
"""
