// The build every service shares: main.js, the telemetry.js preload, migrations (tools/webpack).
// The gateway's adds @nestjs/swagger's compiler plugin: the OpenAPI schemas of its bodies and
// answers (*.dto.ts, libs/contracts' CardDto included) are read from their class-validator rules
// and doc comments, so no DTO carries a second set of decorators, and payment, which shares
// CardDto, never loads @nestjs/swagger.
module.exports = require('../../tools/webpack/app.config.js')(__dirname, {
  transformers: [{ name: '@nestjs/swagger/plugin', options: { classValidatorShim: true, introspectComments: true } }],
});
