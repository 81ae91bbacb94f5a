"""The web toolkit every feature's pages plug into, below the features (as ``bot.engine.commands``
is for their commands): templates and the signed-in person (``deps``), request guards
(``guards``), signed links and the urgent hand-over after a request (``links``), sign-in
sessions (``auth``), and the Teams bot's wire format
and single sign-on (``bot_framework``, ``teams_sso``). The app (``bot.web.app``) assembles the
features' routers into the site.
"""
