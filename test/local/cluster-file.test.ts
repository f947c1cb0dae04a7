// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${workdir} and ${sandbox} are the cluster file's own syntax, not template slips
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClusterFileError,
  type ClusterFileProblem,
  loadClusterFile,
  parseClusterFile,
  taskIdFor,
  validateClusterConfig,
  validateClusterFaults,
} from '../../lib/local/cluster-file.ts';

const REPO_CLUSTER_FILE = path.join(import.meta.dirname, '../../runbooks/local/cluster.yaml');

/** A valid file; each broken case edits a copy of it. */
const VALID = `region: eu-west-1
accountId: "000000000000"
clusters:
  - name: demo
    services:
      - name: api
        count: 2
        containers:
          - name: app
            env: { DATA_DIR: "\${workdir}/data" }
`;

function problemsOf(source: string): readonly ClusterFileProblem[] {
  try {
    parseClusterFile(source, { file: 'c.yaml' });
  } catch (error) {
    if (error instanceof ClusterFileError) return error.problems;
    throw error;
  }
  throw new Error('expected a ClusterFileError');
}

describe('parseClusterFile', () => {
  it('applies defaults when optional keys are omitted', () => {
    // Act
    const file = parseClusterFile(VALID);

    // Assert
    const cluster = file.clusters[0];
    expect(cluster?.services[0]).toEqual({
      name: 'api',
      family: 'api',
      count: 2,
      containers: [{ name: 'app', workdir: 'app', env: { DATA_DIR: '${workdir}/data' } }],
    });
    expect(cluster?.tasks).toEqual([]);
    expect(cluster?.faults).toEqual({
      targetNotConnectedForMs: 0,
      execDisabled: [],
      agentNotRunning: [],
      throttle: null,
      denyContainers: [],
    });
  });

  it('resolves fault task references to task ids when given as <service>/<index> or ids', () => {
    // Arrange
    const id1 = taskIdFor('demo', 'api', 1);
    const source = `${VALID}    tasks: [{ family: batch, containers: [{ name: job }] }]
    faults:
      execDisabled: [api/0, ${id1}]
      agentNotRunning: [batch/0]
      throttle: { perSecond: 5 }
      denyContainers: [job]
`;

    // Act
    const faults = parseClusterFile(source).clusters[0]?.faults;

    // Assert
    expect(faults).toEqual({
      targetNotConnectedForMs: 0,
      execDisabled: [taskIdFor('demo', 'api', 0), id1],
      agentNotRunning: [taskIdFor('demo', 'batch', 0)],
      throttle: { perSecond: 5 },
      denyContainers: ['job'],
    });
  });

  it('defaults a standalone task group to family:<family> and its count to 1', () => {
    const source = `${VALID}    tasks: [{ family: batch, startedBy: nightly, containers: [{ name: app }] }]\n`;
    expect(parseClusterFile(source).clusters[0]?.tasks[0]).toEqual({
      family: 'batch',
      count: 1,
      startedBy: 'nightly',
      group: 'family:batch',
      containers: [{ name: 'app', workdir: 'app', env: {} }],
    });
  });

  it.each([
    {
      name: 'an unknown top-level key',
      source: VALID.replace('region:', 'regoin: x\nregion:'),
      code: 'UNKNOWN_KEY',
      line: 1,
      col: 1,
      text: 'unknown key "regoin"',
    },
    {
      name: 'an unknown container key',
      source: VALID.replace('- name: app', '- name: app\n            image: nginx'),
      code: 'UNKNOWN_KEY',
      line: 10,
      col: 13,
      text: 'accepted: name, workdir, env, docker',
    },
    {
      name: 'a count that is a string',
      source: VALID.replace('count: 2', 'count: two'),
      code: 'INVALID_TYPE',
      line: 7,
      col: 16,
      text: 'received "two" (a string); accepted: an integer from 0 to 10000',
    },
    {
      name: 'a negative count',
      source: VALID.replace('count: 2', 'count: -1'),
      code: 'INVALID_VALUE',
      line: 7,
      col: 16,
      text: 'received -1 (a number)',
    },
    {
      name: 'an unquoted account id',
      source: VALID.replace('"000000000000"', '000000000000'),
      code: 'INVALID_TYPE',
      line: 2,
      col: 12,
      text: 'quoted 12-digit string',
    },
    {
      name: 'a workdir escaping the sandbox',
      source: VALID.replace('- name: app', '- name: app\n            workdir: ../../etc'),
      code: 'WORKDIR_OUTSIDE_SANDBOX',
      line: 10,
      col: 22,
      text: 'received "../../etc" (a string)',
    },
    {
      name: 'an absolute workdir',
      source: VALID.replace('- name: app', '- name: app\n            workdir: /home/me'),
      code: 'WORKDIR_OUTSIDE_SANDBOX',
      line: 10,
      col: 22,
      text: 'workdir leaves the sandbox',
    },
    {
      name: 'duplicate service names',
      source: VALID.replace(
        '    services:\n',
        '    services:\n      - { name: api, count: 1, containers: [{ name: app }] }\n',
      ),
      code: 'DUPLICATE_NAME',
      line: 7,
      col: 15,
      text: 'duplicate service name or standalone task family "api"',
    },
    {
      name: 'a standalone family clashing with a service name',
      source: `${VALID}    tasks: [{ family: api, containers: [{ name: app }] }]\n`,
      code: 'DUPLICATE_NAME',
      line: 11,
      col: 23,
      text: 'first at clusters[0].services[0].name',
    },
    {
      name: 'duplicate container names',
      source: VALID.replace('- name: app', '- name: app\n          - name: app'),
      code: 'DUPLICATE_NAME',
      line: 10,
      col: 19,
      text: 'duplicate container name in a task "app"',
    },
    {
      name: 'missing containers',
      source: VALID.replace(/ {8}containers:[\s\S]*$/, ''),
      code: 'MISSING_KEY',
      line: 6,
      col: 9,
      text: 'missing required key "containers"',
    },
    {
      name: 'an empty container list',
      source: VALID.replace(/containers:[\s\S]*$/, 'containers: []\n'),
      code: 'INVALID_VALUE',
      line: 8,
      col: 21,
      text: 'the list is empty',
    },
    {
      name: 'an unknown variable in env',
      source: VALID.replace('${workdir}/data', '${HOME}/data'),
      code: 'UNKNOWN_VARIABLE',
      line: 10,
      col: 30,
      text: 'unknown variable ${HOME}; received "${HOME}/data" (a string); accepted: ${workdir} and ${sandbox}',
    },
    {
      name: 'a number as an env value',
      source: VALID.replace('DATA_DIR: "${workdir}/data"', 'PORT: 8080'),
      code: 'INVALID_TYPE',
      line: 10,
      col: 26,
      text: 'quote it: "8080"',
    },
    {
      name: 'a fault naming an unknown task',
      source: `${VALID}    faults: { execDisabled: [api/7] }\n`,
      code: 'UNKNOWN_TASK',
      line: 11,
      col: 30,
      text: 'no task "api/7" in cluster demo',
    },
    {
      name: 'a fault naming an unknown container',
      source: `${VALID}    faults: { denyContainers: [sidecar] }\n`,
      code: 'UNKNOWN_CONTAINER',
      line: 11,
      col: 32,
      text: 'no container named sidecar in cluster demo',
    },
    {
      name: 'a zero throttle rate',
      source: `${VALID}    faults: { throttle: { perSecond: 0 } }\n`,
      code: 'INVALID_VALUE',
      line: 11,
      col: 38,
      text: 'accepted: a number above 0',
    },
    {
      name: 'an invalid cluster name',
      source: VALID.replace('name: demo', 'name: "my cluster"'),
      code: 'INVALID_VALUE',
      line: 4,
      col: 11,
      text: 'received "my cluster" (a string); accepted: 1 to 255 letters, digits, hyphens or underscores',
    },
    {
      name: 'a YAML syntax error',
      source: VALID.replace('count: 2', 'count: [2'),
      code: 'YAML_SYNTAX',
      line: 8,
      col: 9,
      text: '',
    },
  ])('reports $name with its line and column', ({ source, code, line, col, text }) => {
    // Act
    const problems = problemsOf(source);

    // Assert
    const problem = problems.find((p) => p.code === code);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect({ line: problem?.line, col: problem?.col }).toEqual({ line, col });
    expect(problem?.message).toContain(text);
  });

  it('reports every problem at once with file:line:col in the error message', () => {
    // Arrange
    const source = VALID.replace('count: 2', 'count: two').replace(
      '- name: app',
      '- name: app\n            colour: red',
    );

    // Act
    const error = (() => {
      try {
        parseClusterFile(source, { file: 'cluster.yaml' });
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(error).toBeInstanceOf(ClusterFileError);
    expect((error as ClusterFileError).problems.map((p) => p.code)).toEqual(['INVALID_TYPE', 'UNKNOWN_KEY']);
    expect((error as Error).message).toContain(
      'cluster.yaml:7:16: clusters[0].services[0].count: expected an integer',
    );
    expect((error as Error).message).toContain(
      'cluster.yaml:10:13: clusters[0].services[0].containers[0].colour',
    );
  });

  it('throws a ClusterFileError when the document is empty', () => {
    expect(() => parseClusterFile('')).toThrow(ClusterFileError);
  });
});

describe('validateClusterConfig', () => {
  it('reports problems by path when the config is an object', () => {
    // Act
    const act = () =>
      validateClusterConfig({
        region: 'eu-west-1',
        accountId: '000000000000',
        clusters: [{ name: 'x', services: 3 }],
      });

    // Assert
    expect(act).toThrow(/<config>: clusters\[0\]\.services: expected a list; received 3 \(a number\)/);
  });
});

describe('validateClusterFaults', () => {
  it('keeps the current values of the fields it is not given', () => {
    // Arrange
    const file = parseClusterFile(`${VALID}    faults: { targetNotConnectedForMs: 500 }\n`);

    // Act
    const faults = validateClusterFaults(file, 'demo', { execDisabled: ['api/1'] });

    // Assert
    expect(faults.targetNotConnectedForMs).toBe(500);
    expect(faults.execDisabled).toEqual([taskIdFor('demo', 'api', 1)]);
  });

  it('throws when the cluster does not exist', () => {
    expect(() => validateClusterFaults(parseClusterFile(VALID), 'prod', {})).toThrow(
      /no cluster named "prod"/,
    );
  });
});

describe('taskIdFor', () => {
  it('returns the first 32 hex digits of the SHA-256 of <cluster>/<name>/<index>', () => {
    // sha256("demo/api/0"), computed independently with sha256sum.
    expect(taskIdFor('demo', 'api', 0)).toBe(SHA256_DEMO_API_0.slice(0, 32));
  });
});

const SHA256_DEMO_API_0 = 'eb3c76c3dc30dfa45f458128185278f335c1ba827f4f616454152aa58aa8b0dd';

describe('loadClusterFile', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('loads the examples cluster file', async () => {
    // Act
    const file = await loadClusterFile(REPO_CLUSTER_FILE);

    // Assert
    expect(file.region).toBe('eu-west-1');
    expect(file.accountId).toBe('000000000000');
    const demo = file.clusters.find((c) => c.name === 'demo');
    expect(demo?.services.map((s) => [s.name, s.count, s.containers.map((c) => c.name)])).toEqual([
      ['api', 3, ['app']],
      ['worker', 2, ['app', 'sidecar']],
      ['web', 2, ['app']],
    ]);
    expect(demo?.services[0]?.containers[0]?.env).toEqual({ DATA_DIR: '${workdir}/data', APP_ENV: 'local' });
    expect(demo?.tasks).toEqual([
      expect.objectContaining({ family: 'batch', startedBy: 'nightly', group: 'nightly', count: 1 }),
    ]);
    const secure = file.clusters.find((c) => c.name === 'secure');
    expect(secure?.kmsKeyId).toBe('alias/exec');
    expect(secure?.services.map((s) => [s.name, s.count])).toEqual([['api', 1]]);
  });

  it('reports the file name and position when a file on disk is broken', async () => {
    // Arrange
    dir = await mkdtemp(path.join(os.tmpdir(), 'cluster-file-test-'));
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, VALID.replace('count: 2', 'count: 2.5'));

    // Act / Assert
    await expect(loadClusterFile(file)).rejects.toThrow(`${file}:7:16: clusters[0].services[0].count`);
  });

  it('rejects with a ClusterFileError when the file does not exist', async () => {
    await expect(loadClusterFile('/nonexistent/cluster.yaml')).rejects.toThrow(
      /cannot read the cluster file/,
    );
  });
});
