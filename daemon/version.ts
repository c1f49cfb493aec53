// The daemon's version, from package.json: the build injects it (esbuild `define` in
// scripts/build.mjs) so the bundles carry no copy of package.json; run from source (tsx: tests,
// benches), it is read from package.json itself.
import pkg from '../package.json' with { type: 'json' };

declare const __GEARBOX_VERSION__: string | undefined;

export const VERSION: string = typeof __GEARBOX_VERSION__ === 'string' ? __GEARBOX_VERSION__ : pkg.version;
