// Writes docs/CONFIGURATION.md from the key tables (npm run gen:config-doc). Runs compiled, from dist/scripts/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../src/config/config-doc';

const root = path.resolve(__dirname, '..', '..');
const target = path.join(root, CONFIGURATION_DOC);
fs.writeFileSync(target, renderConfigurationDoc());
process.stdout.write(`wrote ${path.relative(process.cwd(), target) || target}\n`);
