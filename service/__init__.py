"""The HTTP classification service (`fanzha serve`).

Layout, transport to compute:
    cli.py, server.py   flags/env -> settings; uvicorn with one or several worker processes
    settings.py         the one settings object (FANZHA_* variables), validated at start-up
    app.py              create_app(settings): routes, middleware, error handlers, lifespan
    routes/             one module per resource: classify, model, admin, health (+ metrics),
                        feedback, rules, console
    schemas.py          request/response models; limits come from the settings
    errors.py           every error -> HTTP status and one JSON shape, never echoing input
    middleware.py       request id, timing headers, metrics, access log; body size/UTF-8 guard
    auth.py             optional API keys (Bearer or X-API-Key), constant-time comparison
    state.py            the parts of one process and their life cycle (start, reload, drain)
    scoring.py          one request through the shared pipeline: encode, batch, verdicts
    batching.py         the dynamic batching engine (its contract is in its docstring)
    models.py           the model holder: checked loading and hot swap of model directories
    metrics.py, logs.py Prometheus metrics; JSON logs with keyed hashes instead of text
    feedback/           the analysts' database (SQLite/PostgreSQL): corrections, rules kept
                        there, live rules (fanzha.rules) with reload, the id -> text map
    feedback_cli.py     `fanzha feedback export`: corrections as training data
    console/            the web console at / (static HTML/JS/CSS, no external assets)

The service never imports torch or transformers; it needs only `fanzha[serve]`.
"""
