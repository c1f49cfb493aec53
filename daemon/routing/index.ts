// Router: difficulty estimate + model choice + policy rules. Pure functions, no I/O.
export {
  estimateDifficulty,
  estimateTokens,
  codeComplexity,
  extractFeatures,
  hintInText,
  FEATURES,
  MAX_ESCALATION,
  type Difficulty,
  type DifficultyInput,
  type Features,
  type Hint,
} from './difficulty';
export {
  route,
  requiredTierFor,
  budgetExceeded,
  scanRequestSecrets,
  TIER_THRESHOLDS,
  QUALITY_SHIFT_PER_STEP,
  type BudgetState,
  type Decision,
  type RouteInput,
  type SecretFinding,
} from './route';
export { compileGlob, matchGlob, matchPrivatePath, type Glob } from './glob';
export {
  findSecrets,
  redactSecrets,
  isEnvFile,
  type SecretKind,
  type SecretMatch,
  type SecretScanOptions,
} from './secrets';
