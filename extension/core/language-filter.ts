// Whether inline completion is on for a language, from `gearbox.inlineCompletion.*` settings.
export function completionEnabledFor(
  languageId: string,
  enabled: boolean,
  perLanguage: Record<string, unknown> | undefined,
): boolean {
  if (!enabled) return false;
  const table = perLanguage ?? {};
  if (typeof table[languageId] === 'boolean') return table[languageId] as boolean;
  if (typeof table['*'] === 'boolean') return table['*'] as boolean;
  return true;
}
