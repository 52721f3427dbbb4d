import { readFile } from 'node:fs/promises';
import type { ClientFeaturesResponse } from 'unleash-client';
import { z } from 'zod';
import { SHADOW_SUFFIX } from './decide.ts';

type Feature = ClientFeaturesResponse['features'][number];

/** The format the migration team edits: one entry per route flag. */
const friendlyFile = z.strictObject({
  flags: z.record(
    z.string(),
    z.strictObject({
      rollout: z
        .number({ error: 'must be an integer from 0 to 100' })
        .int({ error: 'must be an integer from 0 to 100' })
        .min(0, { error: 'must be an integer from 0 to 100' })
        .max(100, { error: 'must be an integer from 0 to 100' })
        .default(0),
      shadow: z.boolean({ error: 'must be true or false' }).default(false),
      // The kill switch: false turns both the rollout and shadowing off.
      enabled: z.boolean({ error: 'must be true or false' }).default(true),
      description: z.string().optional(),
    }),
    { error: 'must be an object of flag name -> { rollout, shadow, enabled }' },
  ),
});

/** What GET /api/client/features answers (and unleash-client's own backup holds). */
const unleashExport = z.looseObject({
  version: z.number({ error: 'must be a number' }),
  features: z.array(
    z.looseObject({
      name: z.string().min(1),
      enabled: z.boolean(),
      strategies: z
        .array(z.looseObject({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
        .optional(),
    }),
  ),
  segments: z.array(z.looseObject({ id: z.number(), constraints: z.array(z.unknown()) })).optional(),
});

export interface FlagsFileContent {
  text: string;
  data: ClientFeaturesResponse;
}

/** Reads and converts a flags file; every failure is an Error whose message names the file. */
export async function readFlagsFile(file: string): Promise<FlagsFileContent> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`Flags file ${file}: ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}`);
  }
  return { text, data: parseFlagsFile(text, file) };
}

export function parseFlagsFile(text: string, file: string): ClientFeaturesResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Flags file ${file}: is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`Flags file ${file}: must be a JSON object with "flags" (or an Unleash export with "features")`);
  }
  if ('features' in json && !('flags' in json)) {
    const parsed = unleashExport.safeParse(json);
    if (!parsed.success) throw new Error(`Flags file ${file}: ${describeIssues(parsed.error)}`);
    return parsed.data as ClientFeaturesResponse;
  }
  const parsed = friendlyFile.safeParse(json);
  if (!parsed.success) throw new Error(`Flags file ${file}: ${describeIssues(parsed.error)}`);
  const reserved = Object.keys(parsed.data.flags).filter((name) => name === '' || name.endsWith(SHADOW_SUFFIX));
  if (reserved.length > 0) {
    throw new Error(
      `Flags file ${file}: invalid flag name ${JSON.stringify(reserved[0])} (names must be non-empty and not end in "${SHADOW_SUFFIX}", which is the shadow sibling; use "shadow": true)`,
    );
  }
  return { version: 2, features: Object.entries(parsed.data.flags).flatMap(([name, flag]) => toUnleash(name, flag)) };
}

/** A route flag becomes two Unleash features: the sticky rollout and its shadow sibling. */
function toUnleash(name: string, flag: z.infer<typeof friendlyFile>['flags'][string]): Feature[] {
  return [
    {
      name,
      description: flag.description,
      type: 'release',
      enabled: flag.enabled,
      strategies: [
        {
          name: 'flexibleRollout',
          // stickiness 'default' hashes userId, else sessionId; groupId = name keeps each
          // route's share independent of the others, and raising the share only adds users.
          parameters: { rollout: String(flag.rollout), stickiness: 'default', groupId: name },
          constraints: [],
        },
      ],
    },
    {
      name: name + SHADOW_SUFFIX,
      type: 'release',
      enabled: flag.enabled && flag.shadow,
      strategies: [{ name: 'default', parameters: {}, constraints: [] }],
    },
  ];
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const text = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(text)) return i === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}
