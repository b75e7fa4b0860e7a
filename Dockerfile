# One Parley node. The same image runs the one-shot migration (`npm run migrate`).

# Build stage: the client SDK (built by its `prepare` on install) and the web app.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY contract contract
COPY client-sdk client-sdk
COPY web web
COPY server/package.json server/
COPY load-tests/package.json load-tests/
RUN npm ci --no-audit --no-fund && npm run build -w web

# Runtime: production dependencies, the server's sources and the built web app.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY server/package.json server/
COPY client-sdk/package.json client-sdk/
COPY web/package.json web/
COPY load-tests/package.json load-tests/
# Workspace build scripts (the SDK's prepare) need dev tools: skip scripts, then run the one
# install script production needs (argon2's native binding).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild argon2
COPY contract contract
COPY server/src server/src
COPY scripts/ensure-web-build.mjs scripts/
COPY cassandra/migrations cassandra/migrations
COPY --from=web /app/web/dist web/dist
USER node
EXPOSE 3000
CMD ["npm", "start"]
