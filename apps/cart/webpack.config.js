// The build every service shares: main.js, the telemetry.js preload, migrations (tools/webpack).
module.exports = require('../../tools/webpack/app.config.js')(__dirname);
