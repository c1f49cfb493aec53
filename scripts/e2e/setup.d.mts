// Types for setup.mjs (imported by test/system/e2e/launch.ts).
export declare const NODE_VERSION: string;
export declare const CODE_SERVER_VERSION: string;
export declare const cacheDir: string;
export interface E2EPaths {
  cacheDir: string;
  /** Node 24 binary (code-server's runtime). */
  node: string;
  nodeBinDir: string;
  /** code-server's entry script: run it with `node`. */
  codeServer: string;
  codeServerBin: string;
  /** Chromium for Playwright ($GEARBOX_E2E_CHROMIUM, else /usr/bin/chromium). */
  chromium: string;
  nodeStamp: string;
  codeServerStamp: string;
  nodeDir: string;
  csDir: string;
}
export declare function e2ePaths(): E2EPaths;
export declare function setup(opts?: { check?: boolean }): { paths: E2EPaths; missing: string[] };
