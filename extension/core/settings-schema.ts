// The settings only the extension reads (the daemon's per-workspace ones are WorkspaceSettings in
// shared/protocol.ts). package.json's contributes.configuration is generated from both schemas by
// scripts/contributions.ts (`npm run build`); the `scope` meta is VS Code's setting scope.
import { z } from 'zod';

export const ExtensionSettings = z.object({
  inlineCompletion: z.object({
    enabled: z.boolean().default(true).meta({ scope: 'window', description: 'Show inline completions (ghost text).' }),
    languages: z
      .record(z.string(), z.boolean())
      .default({ '*': true, plaintext: false, markdown: false, scminput: false })
      .meta({
        scope: 'window',
        markdownDescription: 'Enable or disable inline completion per language id; `*` is the default.',
      }),
    debounceMs: z
      .number()
      .min(0)
      .max(2000)
      .default(75)
      .meta({ scope: 'window', description: 'Wait this long after a keystroke before asking for a completion.' }),
  }),
  daemon: z.object({
    runtimeDir: z.string().default('').meta({
      scope: 'machine',
      description: 'Runtime directory of the daemon (lock, token, discovery). Empty: the per-user default.',
    }),
    configPath: z
      .string()
      .default('')
      .meta({
        scope: 'machine',
        markdownDescription:
          'Daemon config file. Empty: `~/.config/gearbox/config.json`. **Gearbox: Open Daemon Configuration** ' +
          'opens it.',
      }),
  }),
});
export type ExtensionSettings = z.infer<typeof ExtensionSettings>;
