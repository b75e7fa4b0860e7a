# One Parley node, compiled: `node server/dist/main.js` is PID 1, so SIGTERM from `docker stop`
# or a Kubernetes rollout reaches the server and starts its drain (docs/operations.md).
# The same image runs the one-shot migration: `node server/dist/migrate-cli.js`.
# Base: Node 24 (Active LTS) on Debian 13, pinned by full version; bump both stages together.

# --- build: full install (TypeScript, tsup, Vite), compile contract + server to dist/ and
# build the web app (chat + admin console) with the client SDK it uses.
FROM node:24.11.1-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY contract contract
COPY client-sdk client-sdk
COPY web web
COPY server/package.json server/
COPY load-tests/package.json load-tests/
RUN npm ci --no-audit --no-fund
COPY server/src server/src
COPY server/tsup.config.ts server/
RUN npm run build -w contract -w server && npm run build -w web

# --- deps: production dependencies of the server only (no tsx, no TypeScript, no test tools)
FROM node:24.11.1-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY server/package.json server/
COPY client-sdk/package.json client-sdk/
COPY web/package.json web/
COPY load-tests/package.json load-tests/
# Workspace build scripts (the SDK's prepare) need dev tools: skip scripts, then run the one
# install script production needs (argon2's native binding).
RUN npm ci --omit=dev --workspace server --ignore-scripts --no-audit --no-fund \
  && npm rebuild argon2 && npm cache clean --force

# --- runtime
FROM node:24.11.1-trixie-slim AS runtime
ENV NODE_ENV=production
# The compiled server is one bundle in server/dist: say where the built web app is.
ENV WEB_DIR=/app/web/dist
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/contract/package.json contract/
COPY --from=build --chown=root:root /app/contract/dist contract/dist
COPY --from=build --chown=root:root /app/server/package.json server/
COPY --from=build --chown=root:root /app/server/dist server/dist
COPY --from=build --chown=root:root /app/web/dist web/dist
COPY --chown=root:root cassandra/migrations cassandra/migrations
# The files belong to root and are read-only for the app user: a compromised process cannot
# rewrite its own code.
USER node
EXPOSE 3000
# Exec form: node itself is PID 1 and receives SIGTERM (no npm or shell in between).
# Node's default SIGTERM/SIGINT handlers do not apply to PID 1, and main.ts installs its own.
STOPSIGNAL SIGTERM
CMD ["node", "server/dist/main.js"]
