// Display names of document URIs (the model sees a file name, never a full local path).
export function fileNameOf(uri: string): string {
  const clean = uri.split(/[?#]/)[0] ?? uri;
  const i = clean.lastIndexOf('/');
  return decodeURIComponent(i >= 0 ? clean.slice(i + 1) : clean);
}
