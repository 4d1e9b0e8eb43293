import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCodeSigningPki, createRoot, PROFILE } from '../../../test/harness/notation-pki.js';
import { CLI, e2eSigner, fixture, fixturePath, LOCALKEYS } from '../../../test/notation/helpers.js';
import { VerifyError } from '../errors.js';
import { loadNotationConfig } from './config.js';
import { readTrustStoreDirectory, trustStoreFromPem } from './trust-store.js';

const notationGoConfig = fixturePath('notation-go/verifier/testdata');
const scratch = mkdtempSync(join(tmpdir(), 'vouch-notation-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function storeError(promise: Promise<unknown>): Promise<VerifyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyError);
    return error as VerifyError;
  }
  throw new Error('expected an error');
}

/** A Notation configuration directory: a trust policy and named stores of PEM files. */
function configDirectory(
  name: string,
  policy: string | Buffer,
  stores: Record<string, Record<string, string | Buffer>>,
): string {
  const directory = join(scratch, name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'trustpolicy.oci.json'), policy);
  for (const [store, files] of Object.entries(stores)) {
    const [type, storeName] = store.split(':') as [string, string];
    const storeDirectory = join(directory, 'truststore', 'x509', type, storeName);
    mkdirSync(storeDirectory, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(storeDirectory, file), content);
  }
  return directory;
}

describe("trust stores in a Notation configuration directory (notation-go's test stores)", () => {
  it('read PEM, DER and .cer files', async () => {
    const store = await readTrustStoreDirectory(notationGoConfig, { type: 'ca', name: 'valid-trust-store' });
    expect(store.certificates.length).toBeGreaterThanOrEqual(6);
    expect(store.source).toMatch(/truststore\/x509\/ca\/valid-trust-store$/);
    const selfSigned = await readTrustStoreDirectory(notationGoConfig, {
      type: 'ca',
      name: 'valid-trust-store-self-signed',
    });
    expect(selfSigned.certificates).toHaveLength(1);
    expect(
      (await readTrustStoreDirectory(notationGoConfig, { type: 'tsa', name: 'test-timestamp' })).certificates,
    ).toHaveLength(1);
  });

  it('refuse what notation refuses: a file that is no certificate, a leaf that is neither CA nor self-signed, a TSA root that is not one', async () => {
    const cases: [Parameters<typeof readTrustStoreDirectory>[1], RegExp][] = [
      [
        { type: 'ca', name: 'trust-store-with-invalid-certs' },
        /invalid is neither PEM nor DER certificates|not a valid X.509/,
      ],
      [
        { type: 'ca', name: 'trust-store-with-leaf-certs' },
        /CN=wabbit-networks.io" is neither a CA certificate nor self-signed/,
      ],
      [
        { type: 'ca', name: 'trust-store-with-leaf-certs-in-single-file' },
        /neither a CA certificate nor self-signed/,
      ],
      [{ type: 'tsa', name: 'test-nonCA' }, /CN=wabbit-networks.io" is self-signed but not a CA certificate/],
      [
        { type: 'tsa', name: 'test-nonSelfIssued' },
        /CN=Notation Test Revokable RSA Chain Cert 2" is not a self-signed root certificate/,
      ],
      [{ type: 'ca', name: 'does-not-exist' }, /trust store ca:does-not-exist does not exist/],
    ];
    for (const [reference, message] of cases) {
      const error = await storeError(readTrustStoreDirectory(notationGoConfig, reference));
      expect(error.code, reference.name).toBe('NOTATION_TRUST_STORE_INVALID');
      expect(error.message, reference.name).toMatch(message);
    }
  });

  it('refuse symlinks (the store directory or a certificate file) and sub-directories', async () => {
    const root = (await createRoot()).pem;
    const directory = configDirectory('links', '{}', { 'ca:real': { 'root.pem': root } });
    const x509 = join(directory, 'truststore', 'x509', 'ca');
    symlinkSync(join(x509, 'real'), join(x509, 'linked'));
    expect(
      (await storeError(readTrustStoreDirectory(directory, { type: 'ca', name: 'linked' }))).message,
    ).toMatch(/symlinks are not supported/);
    mkdirSync(join(x509, 'file-link'));
    symlinkSync(join(x509, 'real', 'root.pem'), join(x509, 'file-link', 'root.pem'));
    expect(
      (await storeError(readTrustStoreDirectory(directory, { type: 'ca', name: 'file-link' }))).message,
    ).toMatch(/root.pem is not a regular file/);
    mkdirSync(join(x509, 'nested', 'sub'), { recursive: true });
    writeFileSync(join(x509, 'nested', 'root.pem'), root);
    expect(
      (await storeError(readTrustStoreDirectory(directory, { type: 'ca', name: 'nested' }))).message,
    ).toMatch(/sub is not a regular file/);
    mkdirSync(join(x509, 'empty'));
    expect(
      (await storeError(readTrustStoreDirectory(directory, { type: 'ca', name: 'empty' }))).message,
    ).toMatch(/holds no certificate/);
  });

  it('refuse a PEM block that is not a certificate, and read certificates with text around them', async () => {
    const root = await createRoot();
    const directory = configDirectory('pem', '{}', {
      'ca:key': { 'k.pem': e2eSigner().keyPem },
      'ca:chatty': {
        'bundle.pem': `Bag Attributes\n subject=whatever\n${root.pem}trailing words\n${(await createRoot()).pem}`,
      },
      'ca:der': { 'root.cer': Buffer.concat([Buffer.from(root.der), Buffer.from((await createRoot()).der)]) },
    });
    expect(
      (await storeError(readTrustStoreDirectory(directory, { type: 'ca', name: 'key' }))).message,
    ).toMatch(/PEM PRIVATE KEY/);
    expect(
      (await readTrustStoreDirectory(directory, { type: 'ca', name: 'chatty' })).certificates,
    ).toHaveLength(2);
    expect((await readTrustStoreDirectory(directory, { type: 'ca', name: 'der' })).certificates).toHaveLength(
      2,
    );
  });
});

describe('inline trust stores (PEM in a policy)', () => {
  it('hold CA roots, or a self-signed signing certificate', async () => {
    const pki = await createCodeSigningPki();
    expect(trustStoreFromPem({ type: 'ca', name: 'acme' }, pki.root.pem, 'policy acme').certificates).toEqual(
      [Buffer.from(pki.root.der)],
    );
    const selfSigned = await createRoot({ ...PROFILE.codeSigning() });
    expect(
      trustStoreFromPem({ type: 'ca', name: 'self' }, selfSigned.pem, 'policy').certificates,
    ).toHaveLength(1);
    expect(() => trustStoreFromPem({ type: 'ca', name: 'leaf' }, pki.leaf.pem, 'policy acme')).toThrow(
      /policy acme\): certificate .* is neither a CA certificate nor self-signed/,
    );
    expect(() =>
      trustStoreFromPem({ type: 'tsa', name: 'tsa' }, pki.intermediates[0]!.pem, 'policy'),
    ).toThrow(/not a self-signed root certificate/);
    expect(() => trustStoreFromPem({ type: 'ca', name: 'x' }, 'no pem here', 'policy x')).toThrow(
      /policy x holds no PEM certificate/,
    );
  });
});

describe('Notation configuration directories', () => {
  const e2eCertificate = fixture(`${LOCALKEYS}e2e.crt`);

  it('read trustpolicy.oci.json and the stores it names', async () => {
    const directory = configDirectory('e2e', fixture(`${CLI}config/trustpolicies/trustpolicy.json`), {
      'ca:e2e': { 'e2e.crt': e2eCertificate },
    });
    const config = await loadNotationConfig(directory);
    expect(config.policyFile).toBe(join(directory, 'trustpolicy.oci.json'));
    expect(config.document.statements.map((s) => s.name)).toEqual(['e2e']);
    expect([...config.stores.keys()]).toEqual(['ca:e2e']);
    expect(config.stores.get('ca:e2e')!.certificates).toEqual([e2eSigner().certificate]);
  });

  it('fall back to the older trustpolicy.json, and prefer trustpolicy.oci.json when both exist', async () => {
    const directory = join(scratch, 'older');
    mkdirSync(join(directory, 'truststore', 'x509', 'ca', 'e2e'), { recursive: true });
    writeFileSync(join(directory, 'truststore', 'x509', 'ca', 'e2e', 'e2e.crt'), e2eCertificate);
    writeFileSync(
      join(directory, 'trustpolicy.json'),
      fixture(`${CLI}config/trustpolicies/audit_trustpolicy.json`),
    );
    expect((await loadNotationConfig(directory)).policyFile).toBe(join(directory, 'trustpolicy.json'));
    writeFileSync(
      join(directory, 'trustpolicy.oci.json'),
      fixture(`${CLI}config/trustpolicies/permissive_trustpolicy.json`),
    );
    const config = await loadNotationConfig(directory);
    expect(config.document.statements[0]!.level).toBe('permissive');
  });

  it('is a configuration error, naming the file, when the policy or a store it names is wrong', async () => {
    const missingStore = configDirectory(
      'missing-store',
      fixture(`${CLI}config/trustpolicies/invalid_trust_store_trustpolicy.json`),
      {},
    );
    const error = await storeError(loadNotationConfig(missingStore));
    expect(error.code).toBe('NOTATION_TRUST_STORE_INVALID');
    expect(error.message).toMatch(/trust store ca:invalid_store does not exist/);

    const malformed = configDirectory(
      'malformed',
      fixture(`${CLI}config/trustpolicies/invalid_format_trustpolicy.json`),
      {},
    );
    const policyError = await storeError(loadNotationConfig(malformed));
    expect(policyError.code).toBe('NOTATION_TRUST_POLICY_INVALID');
    expect(policyError.message).toContain(join(malformed, 'trustpolicy.oci.json'));

    const none = join(scratch, 'none');
    mkdirSync(none);
    expect((await storeError(loadNotationConfig(none))).message).toMatch(
      /no trust policy \(trustpolicy.oci.json or trustpolicy.json\)/,
    );
    expect((await storeError(loadNotationConfig(join(scratch, 'absent')))).code).toBe('FILE_UNREADABLE');

    const linked = join(scratch, 'linked-policy');
    cpSync(join(scratch, 'e2e'), linked, { recursive: true });
    rmSync(join(linked, 'trustpolicy.oci.json'));
    symlinkSync(join(scratch, 'e2e', 'trustpolicy.oci.json'), join(linked, 'trustpolicy.oci.json'));
    expect((await storeError(loadNotationConfig(linked))).message).toMatch(
      /not a regular file \(symlinks are not supported\)/,
    );
  });
});
