# The platform's image: the same `vdispatch` command runs the gateway, every worker and the
# topic tool; docker-compose.yml picks the part by its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY dispatcher ./dispatcher
COPY consumers ./consumers
COPY gateway ./gateway
COPY runtime ./runtime
RUN pip install . && useradd --system --uid 10001 vdispatch
USER vdispatch
EXPOSE 8080
ENTRYPOINT ["vdispatch"]
CMD ["gateway"]
