// Router: difficulty estimate + model choice + policy rules. Pure functions, no I/O.
export {
  estimateDifficulty,
  estimateTokens,
  codeComplexity,
  extractFeatures,
  hintInText,
  difficultyToTheta,
  FEATURES,
  MAX_ESCALATION,
  type Difficulty,
  type DifficultyInput,
  type Features,
  type Hint,
} from './difficulty';
export {
  route,
  outputReserve,
  requiredTierFor,
  budgetExceeded,
  scanRequestSecrets,
  ESCALATION_STEP,
  type BudgetState,
  type Decision,
  type RequestTokens,
  type RouteInput,
  type SecretFinding,
  type RouteContextItem,
} from './route';
export {
  capabilityOf,
  catalogCapability,
  identifyFromText,
  localCapability,
  quantForFileType,
  successProbability,
  theta,
  tierCapability,
  type CapabilityAdjustments,
  type LocalIdentity,
} from './capability';
export { chooseByExpectedCost, formatUsd, targetForQuality, FALLBACK_MARGIN, type Choice } from './expected-cost';
export { compileGlob, matchGlob, matchPrivatePath, type Glob } from './glob';
export { SecretScanCache } from './secret-cache';
export {
  findSecrets,
  redactFound,
  redactSecrets,
  isEnvFile,
  type SecretKind,
  type SecretMatch,
  type SecretScanOptions,
} from './secrets';
