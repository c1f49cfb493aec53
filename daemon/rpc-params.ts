// How the daemon takes a request's params: by name only (one object, or none), checked against the
// message's zod schema before any handler code runs, so that bad params get -32602 naming the field
// and start nothing (no timer, no in-flight entry).
import {
  Message,
  ParameterStructures,
  RequestType0,
  ResponseError,
  type CancellationToken,
  type MessageReader,
  type MessageWriter,
  type ResponseMessage,
} from 'vscode-languageserver';
import type { z } from 'zod';
import { ErrorCodes } from '../shared/protocol';

/**
 * A request type that takes params by name: vscode-jsonrpc answers positional params (`"params":
 * [...]`) with -32602 itself, instead of spreading them into the handler's arguments (where an
 * element would land in the cancellation token's place). Absent params reach the handler as
 * undefined (see paramsAndToken).
 */
export class NamedParamsRequest<R> extends RequestType0<R, unknown> {
  override get parameterStructures(): ParameterStructures {
    return ParameterStructures.byName;
  }
}

/** A NamedParamsRequest handler's arguments: (params, token), or (token) when params were absent. */
export function paramsAndToken(args: unknown[]): { raw: unknown; token: CancellationToken } {
  return { raw: args.length > 1 ? args[0] : undefined, token: args[args.length - 1] as CancellationToken };
}

/** The params parsed by `schema`, or the -32602 error to answer with. */
export function parseParams<S extends z.ZodType>(
  schema: S,
  method: string,
  raw: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; error: ResponseError<unknown> } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`);
  return {
    ok: false,
    error: new ResponseError(ErrorCodes.InvalidParams, `Invalid params for ${method}: ${issues.join('; ')}`),
  };
}

/**
 * Answers requests of the given methods whose params do not fit their schema with -32602 before
 * the LSP library sees them: its own `initialize` handler reads `params.capabilities` before ours
 * runs, and would answer `{}` with a raw TypeError (-32603).
 */
export function gateRequestParams(
  reader: MessageReader,
  writer: MessageWriter,
  schemas: Readonly<Record<string, z.ZodType>>,
): MessageReader {
  return {
    get onError() {
      return reader.onError;
    },
    get onClose() {
      return reader.onClose;
    },
    get onPartialMessage() {
      return reader.onPartialMessage;
    },
    dispose: () => reader.dispose(),
    listen: (callback) =>
      reader.listen((message) => {
        if (Message.isRequest(message) && Object.hasOwn(schemas, message.method)) {
          const checked = parseParams(schemas[message.method]!, message.method, message.params);
          if (!checked.ok) {
            const answer: ResponseMessage = { jsonrpc: '2.0', id: message.id, error: checked.error.toJson() };
            void writer.write(answer).catch(() => {});
            return;
          }
        }
        callback(message);
      }),
  };
}
