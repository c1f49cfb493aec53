// A throwaway self-signed certificate for TLS tests, made with openssl (a Debian package on every
// CI machine); a missing openssl is an error that says so, never a skipped test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCert {
  certPath: string;
  keyPath: string;
  pem: string;
}

export function selfSignedCert(dir: string, name: string): TestCert {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${name}`);
  args.push('-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : `${err}`;
    throw new Error(`cannot make a test certificate (${why}); on Debian: apt-get install openssl`);
  }
  return { certPath, keyPath, pem: fs.readFileSync(certPath, 'utf8') };
}
