/**
 * A registry that serves content that is not what was asked for — a manifest or blob that does not
 * match its digest, a signature manifest too large or with 10,000 layers, a body that stalls — has
 * failed, whatever the image is: these are registry errors, and registry errors deny in every mode,
 * `--audit` and `--warn-namespaces` included (issue 15, item 5). Only a statement about the image
 * (unsigned, wrong signer, a policy said no) may be turned into a warning.
 *
 * The faults come from a real HTTP server on loopback: no real registry produces them on demand.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnforcementConfig } from '../../../src/gates/admission/enforcement.js';
import { AdmissionGate } from '../../../src/gates/admission/gate.js';
import { parseAdmissionReview } from '../../../src/gates/admission/review.js';
import { sha256Digest } from '../../../src/reference/index.js';
import { MediaType } from '../../../src/registry/index.js';
import {
  buildLegacyManifest,
  buildSimpleSigningPayload,
  CosignAnnotation,
  CosignMediaType,
  layerDescriptor,
  legacyTag,
  type PrivateKey,
  signBytes,
} from '../../../src/signature/index.js';
import { cip, engineFor, keyAuthority, newKey, policies } from '../../engine/helpers.js';
import { type FakeRegistry, startFakeRegistry } from '../../harness/index.js';
import { podSpec, review, workload } from './reviews.js';

const IMAGE_DIGEST = sha256Digest('an image whose signatures a registry mangles');
const SIG_TAG = legacyTag(IMAGE_DIGEST, 'sig');

type Fault = 'blob-mismatch' | 'manifest-mismatch' | 'oversized-manifest' | 'many-layers' | 'stalled-body';
const FAULTS: Array<[Fault, RegExp]> = [
  ['blob-mismatch', /does not match its digest/],
  ['manifest-mismatch', /does not match its digest/],
  ['oversized-manifest', /larger than the \d+-byte limit/],
  ['many-layers', /has 10000 layers; at most 1000 are read/],
  ['stalled-body', /did not finish in 1\.5 s/],
];

describe('registry integrity faults deny in every enforcement mode', () => {
  let fake: FakeRegistry;
  let key: PrivateKey;

  beforeAll(async () => {
    key = await newKey();
    const payload = buildSimpleSigningPayload({ dockerReference: 'x/y', digest: IMAGE_DIGEST });
    const layer = layerDescriptor(payload, CosignMediaType.SIMPLE_SIGNING, {
      [CosignAnnotation.SIGNATURE]: signBytes(key, payload).toString('base64'),
    });
    const one = buildLegacyManifest([layer]);
    const many = buildLegacyManifest(Array.from({ length: 10_000 }, () => layer));
    const manifest = (response: ServerResponse, bytes: Uint8Array, digest = sha256Digest(bytes)) => {
      response
        .writeHead(200, {
          'content-type': MediaType.OCI_MANIFEST,
          'content-length': bytes.byteLength,
          'docker-content-digest': digest,
        })
        .end(bytes);
    };

    fake = await startFakeRegistry((request, response) => {
      const url = request.url ?? '';
      if (url === '/v2/') return void response.writeHead(200).end('{}');
      const fault = /^\/v2\/([^/]+)\/app\//.exec(url)?.[1] as Fault | undefined;
      if (url.endsWith(`/manifests/${SIG_TAG}`)) {
        if (fault === 'blob-mismatch') return manifest(response, one.manifest);
        if (fault === 'manifest-mismatch')
          return manifest(response, one.manifest, sha256Digest('what the registry claims it sent'));
        if (fault === 'many-layers') return manifest(response, many.manifest);
        if (fault === 'oversized-manifest')
          return void response
            .writeHead(200, { 'content-type': MediaType.OCI_MANIFEST, 'content-length': 64 * 1024 * 1024 })
            .end();
        if (fault === 'stalled-body') {
          response.writeHead(200, {
            'content-type': MediaType.OCI_MANIFEST,
            'content-length': one.manifest.byteLength,
          });
          response.write(one.manifest.subarray(0, 10));
          return; // the rest never comes
        }
      }
      if (url.endsWith(`/blobs/${layer.digest}`))
        return void response.writeHead(200).end(Buffer.from(payload.toString().replace('x/y', 'x/z')));
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const modes: Array<[string, Partial<EnforcementConfig>]> = [
    ['--audit', { audit: true }],
    ['--warn-namespaces', { warnNamespaces: ['shop'] }],
    ['the policies’ own mode', {}],
  ];

  describe.each(modes)('%s', (_mode, enforcement) => {
    it.each(FAULTS)('%s: denied as a registry failure, never warned away', async (fault, reason) => {
      const set = await policies(
        cip('signed', { images: [{ glob: `${fake.host}/**` }], authorities: [keyAuthority(key)] }),
      );
      const { engine, close } = engineFor(set);
      const gate = new AdmissionGate(
        {
          budgetMs: 1500,
          digestMutation: 'pods',
          enforcement: {
            audit: false,
            enforceNamespaces: [],
            warnNamespaces: [],
            excludeNamespaces: [],
            ...enforcement,
          },
        },
        () => ({ checker: engine, fingerprint: engine.fingerprint }),
        engine.trouble,
      );
      try {
        const image = `${fake.host}/${fault}/app@${IMAGE_DIGEST}`;
        const object = workload('Pod', podSpec({ containers: [image] }));
        const outcome = await gate.admit(
          parseAdmissionReview(review({ kind: 'Pod', operation: 'CREATE', object })),
          'validate',
        );
        expect(outcome.allowed).toBe(false);
        expect(outcome.warned).toBe(false);
        expect(outcome.images[0]?.verdict.failure).toMatch(/^(registry|timeout)$/);
        expect(outcome.denialReasons).toEqual([fault === 'stalled-body' ? 'timeout' : 'registry']);
        expect(outcome.message).toMatch(reason);
        if (fault !== 'stalled-body') expect(outcome.message).toMatch(/registry failure while reading/);
      } finally {
        await close();
      }
    });
  });
});
