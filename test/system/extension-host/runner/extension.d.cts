// Types for extension.cjs (imported by test/system/extension-host/index.ts).
export interface TestResult {
  title: string;
  fullTitle: string;
  durationMs?: number;
}
export interface TestFailure extends TestResult {
  error: { message: string; stack?: string; actual?: string; expected?: string };
}
export interface SuiteResults {
  suite: string;
  startedAt: string;
  vscodeVersion: string | undefined;
  passes: TestResult[];
  failures: TestFailure[];
  pending: TestResult[];
  durationMs: number;
}
export interface RunSuiteOptions {
  resultsPath?: string;
  /** mocha's package dir; default: resolved from the suite's dir. */
  mochaDir?: string;
  grep?: string;
  timeout?: number;
}
export declare function runSuite(suitePath: string, opts?: RunSuiteOptions): Promise<SuiteResults>;
export declare function activate(): void;
export declare function deactivate(): void;
