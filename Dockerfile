# One image for both the api and the worker (docker-compose.yml picks the command). Development
# tools stay out (.dockerignore): the VAPI simulator, tests, benchmarks; devDependencies are not
# installed, so production code imports @vapi-ai/server-sdk for its types only (`import type`,
# erased at run time; test/server/productionImports.test.ts checks it).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY db ./db
COPY sql ./sql
COPY server ./server
COPY scripts ./scripts
COPY tsconfig.json ./
RUN npm run dashboard:build
ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "server/main.ts", "all"]
