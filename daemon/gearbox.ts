// Entry of the `gearbox` bin (bundled to dist/daemon/gearbox.mjs).
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a library left a handle open.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err: unknown) => {
    console.error(`gearbox: ${(err as Error)?.message ?? String(err)}`);
    process.exitCode = 1;
  },
);
