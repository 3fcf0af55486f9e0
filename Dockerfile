# The nhigraph GraphQL API: `nhigraph serve` on port 8000, run as an unprivileged user.
#
#   docker build -t nhigraph .
#   docker run --rm -p 127.0.0.1:8000:8000 -e NHIGRAPH_STORE=neo4j -e NHIGRAPH_NEO4J_URI=... nhigraph
#
# The image holds the installed package only (a virtualenv in /opt/nhigraph), not the source tree.
# `nhigraph` is the entrypoint, so `docker run nhigraph stats` runs any other command.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/nhigraph \
 && /opt/nhigraph/bin/python -m pip install pip==25.3
WORKDIR /src
COPY pyproject.toml README.md ./
COPY nhigraph ./nhigraph
RUN /opt/nhigraph/bin/python -m pip install . \
 && /opt/nhigraph/bin/nhigraph --help >/dev/null

FROM python:3.11-slim
ENV PATH=/opt/nhigraph/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# /keys is where compose mounts the API-key volume; a new named volume takes this owner.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/nhigraph nhigraph \
 && install -d -o nhigraph -g nhigraph -m 0700 /keys
COPY --from=build /opt/nhigraph /opt/nhigraph
USER nhigraph
WORKDIR /home/nhigraph
EXPOSE 8000
# No curl in slim: Python asks /healthz, bypassing any HTTP(S)_PROXY set for the service.
# It probes port 8000, the port of the default CMD.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u; r = u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]
ENTRYPOINT ["nhigraph"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
