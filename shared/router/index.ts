// Router v1: difficulty estimate + model choice. Pure functions, no I/O.
export { estimateDifficulty, estimateTokens, codeComplexity, hintInText, type Difficulty, type DifficultyInput, type Hint } from './difficulty';
export { route, requiredTierFor, TIER_THRESHOLDS, QUALITY_SHIFT_PER_STEP, type RouteInput } from './route';
