import { loadConfig } from '../../src/config.js';
import { configureLogger } from '../../src/lib/logger.js';

// The logger takes its level from the typed config, as a backend does at boot (LOG_LEVEL=error here).
const config = loadConfig();
configureLogger({ instanceId: config.instanceId, level: config.logs.level });
