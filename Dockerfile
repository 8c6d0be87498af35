# The service image: one image, two roles (API: dist/server.js, worker: dist/worker.js).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patch-package (postinstall) applies patches/ to the installed driver.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# The workers' build id (docs/workflow-versions.md): docker build --build-arg BUILD_ID=0.1.0+$(git rev-parse --short HEAD) .
ARG BUILD_ID=""
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 TEMPORAL_BUILD_ID=${BUILD_ID}
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
USER node
EXPOSE 3000
CMD ["node", "dist/server.js"]
