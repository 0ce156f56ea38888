"""Load benchmark for Jointly: a big seeded database, gunicorn with 2 sync workers, wrk as the load.

Run from the repository root: `make bench`, or `.venv/bin/python -m bench [--quick]`.
It prints a table and rewrites docs/benchmarks.md; hand-written notes below the marker line
in that file are kept. Everything listens on 127.0.0.1, every load run is bounded in time,
and every server started here is stopped at the end, also on error.

    __main__.py   options and the order of the steps
    config.py     paths, fixed values, the app's settings, logging, commands
    seed.py       the data: migrations, then 10,000 approved and 100,000 pending endorsements
    runs.py       the server runs: a database, gunicorn (tests.servers.Gunicorn), their scenarios
    scenarios.py  what each scenario measures and its goal; signons.py the sign-ons and their check
    nginx.py      the page through nginx (deploy/nginx.conf) against nginx serving its bytes as a file
    wrk.py        one bounded wrk run; cpu.py who used the CPU meanwhile
    client.py     the HTTP client of the set-up steps (forms, cookies, the moderator's login)
    report.py     the terminal table and docs/benchmarks.md
    profile.py    single requests timed and profiled in-process (`python -m bench.profile`)
    *.lua         wrk's scripts
"""
