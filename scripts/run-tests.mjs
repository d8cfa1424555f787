// Runs every test file under test/unit and test/integration with Node's own test runner;
// TypeScript is loaded through tsx. Pass file paths to run only those.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dirs = ['test/unit', 'test/integration'];
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(d, f)));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
