// Types for build-ext-tests.mjs.
export declare const outDir: string;
export declare function buildExtensionTests(): Promise<{ suites: string[]; outDir: string; ms: number }>;
