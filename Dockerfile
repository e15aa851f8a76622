# Our AWS emulator as an image, for compose mode. Node 24 runs the TypeScript sources directly.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY config ./config
COPY services/lib ./services/lib
COPY emulators/aws ./emulators/aws
RUN mkdir /data && chown node:node /data
EXPOSE 4566
USER node
CMD ["node", "emulators/aws/main.ts", "--host", "0.0.0.0", "--port", "4566", "--data-dir", "/data"]
