import { describe, expect, it } from 'vitest';
import { findMarkers, markerSetter, pinnedBy, valueFor } from '../../../src/gates/promote/markers.js';
import { applyEdits, scalarSource } from '../../../src/gates/promote/rewrite.js';

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const IMAGE = { name: 'ghcr.io/acme/app', tag: 'v1.3.0', digest: NEW };

/** Sets every marker of a file to IMAGE's values, the way the promotion gate does. */
function rewrite(text: string): string {
  const { markers } = findMarkers('file.yaml', text);
  return applyEdits(
    text,
    markers.map((marker) => ({
      start: marker.start,
      end: marker.end,
      style: marker.style,
      value: valueFor(marker.field, IMAGE),
    })),
  );
}

const DEPLOYMENT = `# Production deployment — keep comments, quoting and order as they are.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # trailing comment that is not a marker
  labels: {app: app, tier: "web"}
spec:
  template:
    spec:
      containers:
        - name: app
          image: &app ghcr.io/acme/app:v1.2.0@${OLD} # {"$imagepolicy": "flux-system:app"}
          args:
            - "--sidecar=ghcr.io/acme/other:v9"
            - "ghcr.io/acme/app:v1.2.0"   #{"$imagepolicy":"flux-system:app"}
        - name: copy
          image: *app
      initContainers:
          - image: 'ghcr.io/acme/app:v1.2.0@${OLD}'  # {"$imagepolicy": "flux-system:app"}
            name: init
---
# second document, untouched
apiVersion: v1
kind: ConfigMap
data:
  note: "nothing to see"   # {"not": "a marker"}
`;

const DEPLOYMENT_AFTER = `# Production deployment — keep comments, quoting and order as they are.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # trailing comment that is not a marker
  labels: {app: app, tier: "web"}
spec:
  template:
    spec:
      containers:
        - name: app
          image: &app ghcr.io/acme/app:v1.3.0@${NEW} # {"$imagepolicy": "flux-system:app"}
          args:
            - "--sidecar=ghcr.io/acme/other:v9"
            - "ghcr.io/acme/app:v1.3.0@${NEW}"   #{"$imagepolicy":"flux-system:app"}
        - name: copy
          image: *app
      initContainers:
          - image: 'ghcr.io/acme/app:v1.3.0@${NEW}'  # {"$imagepolicy": "flux-system:app"}
            name: init
---
# second document, untouched
apiVersion: v1
kind: ConfigMap
data:
  note: "nothing to see"   # {"not": "a marker"}
`;

const VALUES = `image:\r
  repository: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}\r
  tag: 'v1.2.0' # {"$imagepolicy": "flux-system:app:tag"}\r
  digest: "${OLD}" # {"$imagepolicy": "flux-system:app:digest"}\r
replicas: 3\r
`;

const VALUES_AFTER = `image:\r
  repository: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}\r
  tag: 'v1.3.0' # {"$imagepolicy": "flux-system:app:tag"}\r
  digest: "${NEW}" # {"$imagepolicy": "flux-system:app:digest"}\r
replicas: 3\r
`;

const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: app
  newName: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}
  newTag: v1.2.0 # {"$imagepolicy": "flux-system:app:tag"}
  digest: ${OLD} # {"$imagepolicy": "flux-system:app:digest"}
- name: untouched
  newTag: "1.0"
`;

const KUSTOMIZATION_AFTER = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: app
  newName: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}
  newTag: v1.3.0 # {"$imagepolicy": "flux-system:app:tag"}
  digest: ${NEW} # {"$imagepolicy": "flux-system:app:digest"}
- name: untouched
  newTag: "1.0"
`;

describe('setter markers', () => {
  it('finds every marker with its setter, field, current value and position', () => {
    const { markers, warnings } = findMarkers('deploy.yaml', DEPLOYMENT);
    expect(warnings).toEqual([]);
    expect(
      markers.map((m) => [m.setter, m.field, m.value, m.style, `${m.location.line}:${m.location.column}`]),
    ).toEqual([
      ['flux-system:app', 'full', `ghcr.io/acme/app:v1.2.0@${OLD}`, 'plain', '12:23'],
      ['flux-system:app', 'full', 'ghcr.io/acme/app:v1.2.0', 'double', '15:15'],
      ['flux-system:app', 'full', `ghcr.io/acme/app:v1.2.0@${OLD}`, 'single', '19:20'],
    ]);
    expect(markers.every((m) => m.policyKey === 'flux-system/app')).toBe(true);
    expect(pinnedBy(markers[0]!)).toEqual({ tag: 'v1.2.0', digest: OLD });
    expect(pinnedBy(markers[1]!)).toEqual({ tag: 'v1.2.0' });
  });

  it('rewrites two files and a kustomization byte for byte, touching only the marked values', () => {
    expect(rewrite(DEPLOYMENT)).toBe(DEPLOYMENT_AFTER);
    expect(rewrite(VALUES)).toBe(VALUES_AFTER);
    expect(rewrite(KUSTOMIZATION)).toBe(KUSTOMIZATION_AFTER);
  });

  it('the full form always writes name:tag@digest', () => {
    expect(valueFor('full', IMAGE)).toBe(`ghcr.io/acme/app:v1.3.0@${NEW}`);
    expect(valueFor('digest', IMAGE)).toBe(NEW);
  });

  it('reads markers as Flux does: a JSON object of strings after the #', () => {
    expect(markerSetter('{"$imagepolicy": "ns:app"}')).toBe('ns:app');
    expect(markerSetter('## {"$imagepolicy":"ns:app:tag","note":"x"}')).toBe('ns:app:tag');
    expect(markerSetter('{"$imagepolicy": "ns:app", "n": 1}')).toBeUndefined();
    expect(markerSetter('{"$imagepolicy": ""}')).toBeUndefined();
    expect(markerSetter('$imagepolicy: ns:app')).toBeUndefined();
    expect(markerSetter('["$imagepolicy"]')).toBeUndefined();
  });

  it('ignores malformed setters and block scalars with a located warning, and files without the token', () => {
    const text = `a: x # {"$imagepolicy": "just-a-name"}
b: y # {"$imagepolicy": "ns:app:sha"}
c: |  # {"$imagepolicy": "ns:app"}
  multi
d: ok # {"$imagepolicy": "ns:app"}
`;
    const { markers, warnings } = findMarkers('f.yaml', text);
    expect(markers.map((m) => m.value)).toEqual(['ok']);
    expect(warnings).toEqual([
      expect.stringMatching(/^f\.yaml:1:4: marker "just-a-name" ignored: expected <namespace>:<name>/),
      expect.stringMatching(/^f\.yaml:2:4: marker "ns:app:sha" ignored/),
      expect.stringMatching(/^f\.yaml:3:4: marker "ns:app" ignored: only single-line scalar values/),
    ]);
    // Valid JSON naming $imagepolicy, but without the literal token Flux screens files for.
    expect(findMarkers('g.yaml', 'a: b # {"\\u0024imagepolicy": "ns:app"}\n').markers).toEqual([]);
    expect(findMarkers('g.yaml', 'a: b # {"$imagepolicy" : "ns:app"}\n').markers).toHaveLength(1);
  });

  it('skips a file with markers that is not valid YAML', () => {
    const { markers, warnings } = findMarkers(
      't.yaml',
      'image: {{ .Values.image }} # {"$imagepolicy": "ns:app"}\n  x: [\n',
    );
    expect(markers).toEqual([]);
    expect(warnings[0]).toMatch(/^skipped t\.yaml: it has image policy markers but is not valid YAML/);
  });

  it('warns when a tag is set without the digest that pins it', () => {
    const tagOnly = 'image:\n  repository: app\n  tag: v1 # {"$imagepolicy": "ns:app:tag"}\n';
    expect(findMarkers('v.yaml', tagOnly).warnings).toEqual([
      expect.stringMatching(
        /^v\.yaml:3:8: "ns:app:tag" sets only the tag, so Git will not pin the verified digest here/,
      ),
    ]);
    const staleDigest = `images:\n- name: app\n  newTag: v1 # {"$imagepolicy": "ns:app:tag"}\n  digest: ${OLD}\n`;
    expect(findMarkers('k.yaml', staleDigest).warnings).toEqual([
      expect.stringMatching(/"digest" field beside it is not marked, so the old digest stays in force/),
    ]);
    expect(findMarkers('k.yaml', KUSTOMIZATION).warnings).toEqual([]);
  });
});

describe('writing values', () => {
  it('quotes plain values that YAML would not read as strings, as Flux does', () => {
    expect(scalarSource('1.10', 'plain')).toBe('"1.10"');
    expect(scalarSource('20240101', 'plain')).toBe('"20240101"');
    // Date-like tags, which Flux writes unquoted (its issue #713) and YAML 1.1 reads as timestamps.
    expect(scalarSource('2024-01-01', 'plain')).toBe('"2024-01-01"');
    expect(scalarSource('2024-01-01T10:00:00Z', 'plain')).toBe('"2024-01-01T10:00:00Z"');
    expect(scalarSource('true', 'plain')).toBe('"true"');
    expect(scalarSource('yes', 'plain')).toBe('"yes"'); // a boolean in YAML 1.1
    expect(scalarSource('0o17', 'plain')).toBe('"0o17"'); // an integer in YAML 1.2
    expect(scalarSource('v1.10', 'plain')).toBe('v1.10');
    expect(scalarSource(`app:1.10@${NEW}`, 'plain')).toBe(`app:1.10@${NEW}`);
    expect(scalarSource("it's", 'single')).toBe("'it''s'");
    expect(scalarSource('1.10', 'single')).toBe("'1.10'");
  });

  it('keeps a numeric-looking tag a string when rewriting', () => {
    const text = 'newTag: 1.9 # {"$imagepolicy": "ns:app:tag"}\n';
    const [marker] = findMarkers('k.yaml', text).markers;
    expect(marker?.value).toBe('1.9');
    expect(
      applyEdits(text, [{ start: marker!.start, end: marker!.end, style: marker!.style, value: '1.10' }]),
    ).toBe('newTag: "1.10" # {"$imagepolicy": "ns:app:tag"}\n');
  });
});
