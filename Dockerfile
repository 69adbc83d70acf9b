# FieldReg HQ (or a station) in a container, installed from its wheel. docs/install.md says
# how to run it: the data lives in the /data volume, the passphrase comes from the environment.
ARG PYTHON_IMAGE=python:3.11-slim

# Stage 1: build the wheel and install it, with its pinned dependencies, into /opt/fieldreg.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/fieldreg
# The dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN /opt/fieldreg/bin/pip install -r requirements.txt
COPY pyproject.toml README.md ./
COPY fieldreg ./fieldreg
COPY sync ./sync
COPY static ./static
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/fieldreg/bin/pip install /wheels/fieldreg-*.whl

# Stage 2: only the installed program, run by a user without privileges.
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/fieldreg/bin:$PATH FIELDREG_DATA=/data
RUN useradd --system --uid 10001 --create-home --home-dir /home/fieldreg fieldreg \
    && mkdir /data && chown fieldreg:fieldreg /data && chmod 700 /data
COPY --from=build /opt/fieldreg /opt/fieldreg
USER fieldreg
WORKDIR /home/fieldreg
VOLUME ["/data"]
# 8000: the app (HTTP, or HTTPS with --https); 8001: with --https, the CA at /ca.crt.
EXPOSE 8000 8001
# /healthz answers on 8000 over HTTP, or on the CA port when 8000 speaks HTTPS.
HEALTHCHECK CMD python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/healthz', timeout=5)" \
    || python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:8001/healthz', timeout=5)"
ENTRYPOINT ["fieldreg"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
