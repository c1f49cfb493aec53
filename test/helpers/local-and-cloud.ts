// The catalog most routing and privacy tests need: one local model (answered by a FakeModelHost)
// and one keyless cloud model (a fake OpenAI-compatible server), so that a test sees which way a
// request went.
export function localAndCloud(cloudUrl: string, localContextSize?: number) {
  return {
    localModels: [
      {
        id: 'local/tiny',
        source: '/nonexistent/tiny.gguf',
        tier: 0,
        ...(localContextSize ? { contextSize: localContextSize } : {}),
      },
    ],
    providers: [
      {
        id: 'cloud',
        kind: 'openai-compatible' as const,
        baseUrl: cloudUrl,
        noKey: true,
        models: [{ name: 'big', tier: 3, contextWindow: 200_000 }],
      },
    ],
  };
}
