// Runs every test file under test/unit and test/integration with Node's own test runner;
// TypeScript is loaded through tsx. Pass file paths to run only those.
//
// `--native` runs the family tests on the native TensorFlow backend instead (npm run
// test:native): the install GenLab made (genlab native install), at GENLAB_NATIVE_DIR or the
// per-user folder. Otherwise the tests see no per-user install, so that `auto` means the same on
// every machine; tests of the native backend point GENLAB_NATIVE_DIR at their own folders.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FAMILY_TESTS = ['gaussian', 'mixture', 'pixelcnn', 'realnvp', 'realnvpImages', 'vae', 'gan', 'ddpm', 'imageFolderTraining', 'backend'].map((name) => `test/unit/${name}.test.ts`);
const args = process.argv.slice(2);
const native = args[0] === '--native';
const dirs = ['test/unit', 'test/integration'];
const given = native ? args.slice(1) : args;
const files = given.length ? given : native ? FAMILY_TESTS : dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(d, f)));
const env = native ? { ...process.env, GENLAB_TEST_BACKEND: 'tensorflow' } : { GENLAB_NATIVE_DIR: join(tmpdir(), 'genlab-tests-no-native-backend'), ...process.env };
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'spec', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
