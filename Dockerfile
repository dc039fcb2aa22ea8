# psconfig in a container, for Kubernetes CronJobs and Jobs (README: Install).
#
#   docker build -t psconfig:0.1.0 .
#   docker run --rm -v "$PWD/specs:/specs:ro" -e PS_ADMIN_USER -e PS_ADMIN_PASSWORD \
#     psconfig:0.1.0 drift /specs
#
# The same install as the GitHub Action and `make install` (action/install.sh):
# a virtual environment of its own, every dependency pinned by hash in
# requirements.lock, psconfig built from this checkout with no package index.
# The base image is pinned by digest (Dependabot's docker ecosystem bumps it);
# both stages use the same one, so the copied environment finds its Python.
FROM python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254 AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY action/install.sh action/install.sh
COPY psconfig psconfig
RUN PSCONFIG_SOURCE=/src PSCONFIG_VENV=/opt/psconfig PSCONFIG_PYTHON=python3 \
    bash action/install.sh

FROM python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254
# No root at run time: a fixed, unprivileged user (runAsNonRoot can check it).
RUN groupadd --system --gid 10001 psconfig \
 && useradd --system --uid 10001 --gid psconfig --home-dir /work --create-home psconfig
COPY --from=build /opt/psconfig /opt/psconfig
ENV PATH=/opt/psconfig/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
# psconfig keeps its lock and audit files in .psconfig/ of the working directory;
# mount a volume here to keep the audit log.
WORKDIR /work
ENTRYPOINT ["psconfig"]
CMD ["--help"]
