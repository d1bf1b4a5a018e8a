# The platform's image: the same `vdispatch` command runs the gateway, every worker and the
# topic tool; docker-compose.yml picks the part by its command.
FROM python:3.11-slim

# the CJK font certificates embed (DESIGN §10)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY dispatcher ./dispatcher
COPY accounts ./accounts
COPY audit ./audit
COPY residents ./residents
COPY activities ./activities
COPY wishes ./wishes
COPY cases ./cases
COPY care ./care
COPY households ./households
COPY flags ./flags
COPY certificates ./certificates
COPY reports ./reports
COPY consumers ./consumers
COPY gateway ./gateway
COPY runtime ./runtime
RUN pip install . && useradd --system --uid 10001 vdispatch
USER vdispatch
EXPOSE 8080
ENTRYPOINT ["vdispatch"]
CMD ["gateway"]
