-- wrk script: adds a transmission to one person's record, the way the record
-- page's form does (POST /personnes/{id}/transmissions, answer 303).
-- run.sh sets, in the environment:
--   CARNET_COOKIE  "carnet_session=…" (a signed-in `ide` session)
--   CARNET_BODY    the url-encoded form: "_csrf=TOKEN&texte=…"
--   CARNET_REPORT  path of report.lua (its done() prints the figures)
-- The URL given to wrk is the form's action.

wrk.method = "POST"
wrk.body = assert(os.getenv("CARNET_BODY"), "CARNET_BODY is not set")
wrk.headers["Cookie"] = assert(os.getenv("CARNET_COOKIE"), "CARNET_COOKIE is not set")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
-- What a browser sends for a form of our own page; a cross-site one is refused.
wrk.headers["Sec-Fetch-Site"] = "same-origin"

dofile(assert(os.getenv("CARNET_REPORT"), "CARNET_REPORT is not set"))
