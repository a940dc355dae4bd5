"""The local cloud's web dashboard: devices, live messages, SMS, routes and a send form.

Served over HTTP next to the REST API (``hologram server --http PORT``). Pieces:
:mod:`.queries` (what the pages read from the database), :mod:`.stream` (the
live event stream), :mod:`.auth` (API-key login, session cookie), :mod:`.pages`
(HTML from templates in ``static/``), :mod:`.sending` (the send form),
:mod:`.app` (the handlers and their routing table) and :mod:`.server` (a small
``ThreadingHTTPServer`` to serve them). The page itself is plain HTML, CSS and
JavaScript shipped as package data: no build step, nothing fetched from the
internet, so it works offline.
"""
