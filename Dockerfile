# One image for every process kind; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
WORKDIR /app

# CPU-only torch first, so the project's own `torch>=2.2` is already satisfied.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch>=2.2"

COPY pyproject.toml README.md ./
COPY ugc ./ugc
COPY ingest ./ingest
COPY classify ./classify
COPY curation_api ./curation_api
COPY listening ./listening
COPY database ./database
COPY contract ./contract
COPY widget ./widget
RUN pip install .

RUN useradd --create-home ugc && mkdir -p /var/lib/ugc && chown ugc /var/lib/ugc
USER ugc
ENTRYPOINT ["ugc"]
CMD ["--help"]
