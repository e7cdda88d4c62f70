# syntax=docker/dockerfile:1
#
# TraceShop's six services as small Node images, all from this one file:
#
#   docker build --build-arg APP=payment -t traceshop-payment .      (docker compose does this)
#
#   build  the workspace's full dependencies and the production build of every app, the same Nx
#          target the tests run: dist/apps/<app>/{main.js, telemetry.js, migrations/}
#   deps   production dependencies only (webpack leaves node_modules out of the bundle, so that
#          the OpenTelemetry instrumentations can patch them when they are required)
#   app    one service: deps + its build output, run as the unprivileged `node` user
#
# Node's version is the one in .nvmrc (a test keeps them equal).
#
# `npm install` with the lockfile, not `npm ci`: the lockfile lacks other platforms' optional
# binaries (sass-embedded-*, see tools/traceshop.sh), which makes `npm ci` refuse it. The locked
# versions are installed either way.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-alpine AS base
WORKDIR /app

FROM base AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
# The whole workspace (minus .dockerignore), so Nx sees the project graph the host sees.
COPY . .
RUN npx nx run-many -t build -p gateway,auth,cart,inventory,payment,payment-provider --output-style=static

FROM base AS deps
COPY package.json package-lock.json ./
# No install scripts: no production dependency builds anything natively. Type declarations,
# TypeScript sources, source maps and docs are half of node_modules and never loaded at run time.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) ! -iname 'license*' -delete \
 && npm cache clean --force

FROM base AS app
ARG APP
# The same layout as the workspace, so main.js finds node_modules the way it does on a host.
COPY --from=deps /app/node_modules /app/node_modules
WORKDIR /app/dist/apps/${APP}
COPY --from=build /app/dist/apps/${APP} ./
RUN test -n "${APP}" -a -f main.js || { echo "build with --build-arg APP=<service> (gateway, auth, cart, inventory, payment, payment-provider)" >&2; exit 1; }
LABEL org.opencontainers.image.title="traceshop-${APP}"
USER node
# Exec form: node is PID 1 and gets SIGTERM itself. Nest's shutdown hooks close the app, then the
# telemetry preload flushes the last spans and exits. The preload must come first, so that http,
# express, pg, ioredis and amqplib are patched before main.js loads them.
CMD ["node", "--require", "./telemetry.js", "main.js"]
