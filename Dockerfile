# One image for the proxy, the legacy stand-in and the dev identity provider; the command picks.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY proxy proxy
COPY migrated-routes migrated-routes
COPY legacy-stub legacy-stub
USER node
EXPOSE 8080
CMD ["node", "--import", "tsx", "proxy/src/main.ts"]
