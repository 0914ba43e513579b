"""The local web page of `symgrad serve`: a JSON API over diff, verify, steps and plots, and one
static page that uses it.

- `fields`: reads and bounds a request's JSON fields (sizes, order, names); no parsing yet.
- `work`: the answers, computed from the fields with the same parser and functions as Python.
- `plotting`: sampled points of f, its derivative and the claimed answer; an SVG by matplotlib.
- `workers`: worker processes that run the work under a time limit (killed when past it).
- `app`: the Starlette application (routes, body-size limit, errors as JSON, security headers).
- `server`: `serve()`, which binds to 127.0.0.1 unless told otherwise and runs uvicorn.

Starlette and uvicorn (the `web` extra) are imported by `app` and `server` only.
"""
