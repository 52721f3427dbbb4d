# One image for the proxy, the legacy stand-in and the dev identity provider; the command picks:
#   node --disable-warning=DEP0060 dist/proxy/src/main.js   the proxy (the default)
#   node dist/legacy-stub/src/main.js                          the legacy stand-in (demo, compose)
#   node dist/legacy-stub/src/identity-provider/main.js        the dev identity provider (DEV ONLY)
# Node 24 is the LTS line every pinned dependency supports (oidc-provider warns on Node 20).

# Build: dev dependencies (TypeScript, tsx) compile the sources to dist/. No install scripts:
# the only ones are dev-only (esbuild's check, test tools' native extras), and slim has no compiler.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY proxy proxy
COPY migrated-routes migrated-routes
COPY legacy-stub legacy-stub
RUN npm run build

# Run: production dependencies and compiled JavaScript only; no compiler, no tsx, no sources.
FROM node:24-slim
WORKDIR /app
# HOST: a container is reached from outside it; PORT stays the proxy's default, 8080.
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
# The node image's unprivileged user; the files stay root's, so the process cannot rewrite them
# (the proxy writes nothing to disk: it runs with a read-only root filesystem in deploy/k8s).
USER node
EXPOSE 8080
# Readiness, not liveness: an instance that cannot serve (config, flags, storage) shows as
# unhealthy. Slim images have no curl; node's own fetch does it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/_proxy/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form, PID 1): the proxy drains (docs/operations.md).
# DEP0060: http-proxy (under http-proxy-middleware 3) calls util._extend on every request;
# http-proxy-middleware 4 drops it but needs Node 22. Only that one warning is silenced.
CMD ["node", "--disable-warning=DEP0060", "dist/proxy/src/main.js"]
