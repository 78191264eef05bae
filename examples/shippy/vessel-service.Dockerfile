# syntax=docker/dockerfile:1
# shippy's vessel-service: the fleet; answers FindAvailable.
# Built from the repository root (docker-compose.yml does this):
#   docker build -f examples/shippy/vessel-service.Dockerfile -t shippy-vessel-service .

# Build: keel and the example compiled with the repository's lockfile and build script.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src src/
COPY wrappers wrappers/
COPY examples examples/
RUN node scripts/build.mjs

# Production dependencies: keel's own, plus the optional peers shippy uses — proto-loader (its .proto
# files), consul (MICRO_REGISTRY=consul), the OpenTelemetry SDK and OTLP exporter — at the versions of
# package-lock.json (the tests check that these pins match it).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm pkg delete devDependencies \
 && npm pkg set dependencies.@grpc/proto-loader=0.8.1 dependencies.consul=2.0.1 \
      dependencies.@opentelemetry/sdk-trace=2.12.1 dependencies.@opentelemetry/core=2.12.1 \
      dependencies.@opentelemetry/resources=2.12.1 dependencies.@opentelemetry/context-async-hooks=2.12.0 \
      dependencies.@opentelemetry/exporter-trace-otlp-proto=0.223.1 \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# Runtime: node slim, the compiled code and production dependencies only, run as the image's unprivileged
# node user (by uid, so that a runtime enforcing non-root can check it).
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules/
COPY --from=build /src/dist/src dist/src/
COPY --from=build /src/dist/wrappers dist/wrappers/
COPY --from=build /src/dist/examples dist/examples/
# Binds every interface; registers the container's address (MICRO_SERVER_ADDRESS can override the port).
ENV MICRO_SERVER_ADDRESS=0.0.0.0:9090
EXPOSE 9090
USER 1000:1000
CMD ["node", "dist/examples/shippy/vessel-service.js"]
