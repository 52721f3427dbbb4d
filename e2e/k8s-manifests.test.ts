import { describe, it, expect, afterAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../proxy/src/config.ts';
import { createProxy, type Proxy } from '../proxy/src/app.ts';
import { createLogger } from '../proxy/src/edge/logging.ts';
import { generateDevKeyPair } from '../proxy/src/identity/legacy-jwt/mint-legacy-token.ts';
import { until } from '../test-support/until.ts';

/**
 * No cluster on the build machines, so the manifests in deploy/k8s are kept honest here, as
 * docker-compose.yml is: every variable they set is one the proxy reads, the ConfigMap is a
 * configuration it accepts (and the shipped Secret one it refuses), the probes answer on a real
 * proxy, the grace period covers the drain, and the objects select and target each other.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = path.join(root, 'deploy/k8s');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface Probe {
  httpGet: { path: string; port: string | number };
  timeoutSeconds?: number;
}
interface Container {
  name: string;
  command?: string[];
  ports: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Manifest;
  }),
);
function one(kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

const configMap = one('ConfigMap') as Manifest & { data: Record<string, string> };
const secret = one('Secret') as Manifest & { stringData: Record<string, string> };
const deployment = one('Deployment') as Manifest & {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: { rollingUpdate: { maxUnavailable: number | string } };
    template: { metadata: { labels: Record<string, string> }; spec: { terminationGracePeriodSeconds: number; securityContext?: Record<string, unknown>; containers: Container[] } };
  };
};
const pod = deployment.spec.template;
const container = pod.spec.containers[0]!;

/** What the operator puts in the Secret; plausible values of the right shape. */
async function realSecrets(): Promise<Record<string, string>> {
  return {
    SESSION_SECRET: 'k8s-test-session-secret-0123456789abcdef',
    MINT_PRIVATE_KEY: (await generateDevKeyPair('k8s-test')).privateKeyPem,
    STATUS_TOKEN: 'k8s-test-status-token-0123456789abcdef',
    UNLEASH_TOKEN: 'default:production.k8s-test-token',
    REDIS_URL: 'rediss://:password@redis.example:6379',
  };
}

describe('deploy/k8s', () => {
  it('parses, and kustomization.yaml lists every manifest', () => {
    const kustomization = manifests.find((m) => m.kind === 'Kustomization') as (Manifest & { resources: string[] }) | undefined;
    expect(kustomization).toBeDefined();
    expect([...kustomization!.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml'));
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Kustomization', 'PodDisruptionBudget', 'Secret', 'Service']);
  });

  it('sets only variables the proxy reads, secrets in the Secret only', () => {
    const names = [...Object.keys(configMap.data), ...Object.keys(secret.stringData), ...(container.env ?? []).map((e) => e.name)];
    for (const name of names) expect(CONFIG_VARIABLES, name).toContain(name);
    for (const name of ['SESSION_SECRET', 'MINT_PRIVATE_KEY', 'STATUS_TOKEN', 'UNLEASH_TOKEN', 'REDIS_URL', 'OIDC_CLIENT_SECRET']) {
      expect(configMap.data, name).not.toHaveProperty(name);
    }
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
  });

  it('has a ConfigMap the proxy accepts with real secrets, and a Secret whose placeholders it refuses', async () => {
    const config = loadConfig({ ...configMap.data, ...(await realSecrets()) });
    expect(config.flags.mode).toBe('unleash');
    expect(config.redisUrl).toBeDefined();
    expect(config.trustedHops).toBeGreaterThan(0);

    let refused: unknown;
    try {
      loadConfig({ ...configMap.data, ...secret.stringData });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    for (const name of ['SESSION_SECRET', 'MINT_PRIVATE_KEY', 'STATUS_TOKEN', 'REDIS_URL']) expect((refused as Error).message).toContain(name);
  });

  it('runs the image the Dockerfile builds, as its non-root user, on a read-only filesystem', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(container.command).toEqual(JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!));
    const security = { ...pod.spec.securityContext, ...container.securityContext };
    expect(security).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(security.runAsUser).toBeGreaterThan(0);
    // The HPA's utilisation is a share of the request; without one it cannot scale.
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits).toHaveProperty('memory');
  });

  it('keeps at least three replicas, and a rollout never has fewer ready', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('gives a pod time for the whole drain before the kubelet kills it', () => {
    const drainMs = Number(configMap.data.DRAIN_DELAY_MS ?? 5_000);
    const graceMs = loadConfig(configMap.data).shutdownGraceMs;
    const preStop = container.lifecycle?.preStop;
    const preStopMs = 1_000 * (preStop?.sleep?.seconds ?? Number(preStop?.exec?.command.join(' ').match(/\bsleep (\d+)/)?.[1] ?? 0));
    // SIGTERM comes after preStop; the process then drains and finishes in-flight requests.
    expect(pod.spec.terminationGracePeriodSeconds * 1_000).toBeGreaterThanOrEqual(preStopMs + drainMs + graceMs + 2_000);
  });

  describe('probes', () => {
    let proxy: Proxy | undefined;
    afterAll(() => proxy?.close(1_000));

    it('ask real endpoints under the reserved prefix, on the port the proxy listens on', async () => {
      // The cluster's Redis, Unleash and legacy API are not here: memory, the flags file and a
      // closed port stand in. The probes' paths and the proxy's answers are what is checked.
      const { REDIS_URL: _redis, ...secrets } = await realSecrets();
      const { UNLEASH_URL: _unleash, ...data } = configMap.data;
      const config = loadConfig({ ...data, ...secrets, LEGACY_URL: 'http://127.0.0.1:9' });
      proxy = await createProxy(config, createLogger('silent'));
      const port = await proxy.listen(0, '127.0.0.1');

      const probes = { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe };
      expect(probes.startup?.httpGet.path).toBe(`${config.reservedPrefix}/health/live`);
      expect(probes.liveness?.httpGet.path).toBe(`${config.reservedPrefix}/health/live`);
      expect(probes.readiness?.httpGet.path).toBe(`${config.reservedPrefix}/health/ready`);
      for (const [name, probe] of Object.entries(probes)) {
        expect(containerPort(probe!.httpGet.port), `${name} probe port`).toBe(config.port);
        let status = 0;
        await until(async () => (status = (await fetch(`http://127.0.0.1:${port}${probe!.httpGet.path}`)).status) === 200, 10_000).catch(() => {
          throw new Error(`${name} probe ${probe!.httpGet.path} answered ${status}`);
        });
      }
      // A probe that times out before the store's own deadline would fail a pod whose store is merely slow.
      expect(probes.readiness!.timeoutSeconds! * 1_000).toBeGreaterThan(config.storeTimeoutMs);
    });
  });

  it('has a Service, a PodDisruptionBudget and an autoscaler that find the Deployment', () => {
    const labels = pod.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);

    const service = one('Service') as Manifest & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> } };
    expect(labels).toMatchObject(service.spec.selector);
    for (const p of service.spec.ports) expect(containerPort(p.targetPort)).toBe(Number(configMap.data.PORT));

    const pdb = one('PodDisruptionBudget') as Manifest & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } };
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);

    const hpa = one('HorizontalPodAutoscaler') as Manifest & { spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number; maxReplicas: number } };
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(deployment.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // A disruption never leaves fewer than two serving.
    expect(hpa.spec.minReplicas - (pdb.spec.maxUnavailable ?? 0)).toBeGreaterThanOrEqual(2);
  });
});

/** A port by name or number, as the container declares it. */
function containerPort(port: string | number): number | undefined {
  return typeof port === 'number' ? container.ports.find((p) => p.containerPort === port)?.containerPort : container.ports.find((p) => p.name === port)?.containerPort;
}
