# syntax=docker/dockerfile:1
# nodekafka broker image. Build: docker build -t nodekafka .
# Run:   docker run -p 9092:9092 -v nodekafka-data:/var/lib/nodekafka nodekafka
# More --override key=value entries (Kafka's key names) go after `start`, e.g.
#        docker run ... nodekafka start --override log.dirs=/var/lib/nodekafka --override listeners=PLAINTEXT://:9092 \
#          --override advertised.listeners=PLAINTEXT://broker.example:9092 --override metrics.port=9404

# ---- build: compile TypeScript, then drop dev dependencies ---------------------------------------------------------
FROM node:20-bookworm-slim AS build
# zstd-napi compiles libzstd from its npm package when no prebuilt binary fits; that needs a C toolchain, here only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# npm install rather than npm ci: the lock file lists the native packages of the platform it was written on only
# (@swc/core, lz4-napi, ... pick theirs by os/cpu), which npm ci refuses; install keeps the locked versions.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# Only the broker's sources: scripts/ (benchmarks, generators) are not part of the image.
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the compiled broker and its production dependencies, as a non-root user ------------------------------
# Same Debian release as the build stage, so the native addons built or fetched there (glibc) load here.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/nodekafka
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
# The data directory belongs to the unprivileged `node` user of the base image (uid 1000). It is created and owned
# before VOLUME, so a new named volume starts with that ownership.
RUN mkdir -p /var/lib/nodekafka && chown node:node /var/lib/nodekafka
USER node
VOLUME /var/lib/nodekafka
EXPOSE 9092
# Healthy once the broker answers an ApiVersions request on its client listener.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js", "127.0.0.1:9092", "4000"]
# node runs as PID 1: the broker installs its own SIGTERM/SIGINT handlers (docker stop → clean shutdown, exit 0) and
# starts no child processes, so no init process is needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
# The data directory is formatted on first start. Clients outside the container reach it through -p 9092:9092 as
# localhost:9092; set advertised.listeners to the address clients use when that is different.
CMD ["start", \
     "--override", "log.dirs=/var/lib/nodekafka", \
     "--override", "listeners=PLAINTEXT://:9092", \
     "--override", "advertised.listeners=PLAINTEXT://localhost:9092"]
