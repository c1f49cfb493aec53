// What every API response says about the router's choice: the x-gearbox-model and x-gearbox-route
// headers, and the `gearbox` field of the body (or of the stream's last event).
import type { ChatResult, RouteDecision } from '../../shared/protocol';

export interface GearboxInfo {
  model: string;
  provider: string;
  route: {
    summary: string;
    difficulty: number;
    pinned: boolean;
    fallbacks: string[];
  };
  costUsd: number;
  latencyMs: number;
  /** Models tried first that failed, with their errors. */
  attempts: ChatResult['attempts'];
  /** Whether the request's tools reached the model (local models take none). */
  tools: 'none' | 'passed' | 'not-supported-by-model';
}

/**
 * Header values must be Latin-1 without controls: the summary's symbols are spelled out, anything
 * else outside printable ASCII becomes '?', and it is cut at 500 characters.
 */
export function headerText(text: string): string {
  const spelled = text.replace(/≥/g, '>=').replace(/≤/g, '<=').replace(/—/g, '-').replace(/…/g, '...');
  const ascii = spelled.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 500 ? `${ascii.slice(0, 497)}...` : ascii;
}

export function routeHeaders(model: string, decision: RouteDecision | undefined): Record<string, string> {
  return {
    'x-gearbox-model': headerText(model),
    ...(decision ? { 'x-gearbox-route': headerText(decision.summary) } : {}),
  };
}

export function gearboxInfo(
  result: Pick<ChatResult, 'model' | 'provider' | 'route' | 'costUsd' | 'latencyMs' | 'attempts'>,
  tools: GearboxInfo['tools'],
): GearboxInfo {
  return {
    model: result.model,
    provider: result.provider,
    route: {
      summary: result.route.summary,
      difficulty: result.route.difficulty,
      pinned: result.route.pinned,
      fallbacks: result.route.fallbacks,
    },
    costUsd: result.costUsd,
    latencyMs: result.latencyMs,
    attempts: result.attempts,
    tools,
  };
}
