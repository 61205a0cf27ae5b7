# Lifeline platform image: ingest, alert manager, API, Socket.IO and the built
# dashboard in one process (`npm start`). The simulator runs from the same
# image (docker-compose.yml, profile "simulator").

# --- build: install everything, compile, then drop dev dependencies ----------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused until they change.
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY ingest/package.json ingest/
COPY server/package.json server/
COPY simulators/package.json simulators/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime -----------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Volumes mounted here come up owned by node: the data dir, Mosquitto's
# generated passwd/acl, the simulator's credentials file.
RUN mkdir -p /app/.run/data /var/lib/lifeline/mosquitto-auth /var/lib/lifeline/simulator \
 && chown -R node:node /app/.run /var/lib/lifeline
USER node
# HTTP (dashboard, API, Socket.IO); 1883 only matters for the embedded broker,
# used when MQTT_URL is unset.
EXPOSE 8080 1883
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "start"]
