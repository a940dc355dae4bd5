"""The local cloud's web dashboard: devices, live messages, SMS, routes and a send form.

Served over HTTP next to the REST API (``hologram server --http PORT``). Pieces:
:mod:`.queries` (what the pages read from the database), :mod:`.stream` (the
live event stream), :mod:`.auth` (API-key login, session cookie), :mod:`.pages`
(HTML from templates in ``static/``), :mod:`.sending` (the send form),
:mod:`.app` (the handlers and their routes) and :mod:`.gateway` (mounting them
beside a gateway's REST API). Both ways of serving it, alone
(:func:`.app.web_server`) or on a gateway, use the local cloud's one HTTP server
(:mod:`hologram_sdk.emulator.cloud.web`). The page itself is plain HTML, CSS and
JavaScript shipped as package data: no build step, nothing fetched from the
internet, so it works offline.
"""
