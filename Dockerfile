# One Parley node. The same image runs the one-shot migration (`npm run migrate`).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY server/package.json server/
COPY client-sdk/package.json client-sdk/
COPY load-tests/package.json load-tests/
RUN npm ci --omit=dev --no-audit --no-fund
COPY contract contract
COPY server/src server/src
COPY cassandra/migrations cassandra/migrations
USER node
EXPOSE 3000
CMD ["npm", "start"]
