// Argument parsing and result printing shared by the SDK client scripts.
//
// Every script prints exactly one JSON line on stdout: {"ok":true,...} with what the SDK
// returned, or {"ok":false,"status":N|null,"error":{...}} when the call failed. Exit code: 0 when
// the call succeeded, 1 when it failed (the JSON line says how), 2 for bad arguments.

const SPEC = {
  // name: [kind, env fallback]; kind "list" may repeat, "flag" takes no value.
  'base-url': ['string', 'SLUICE_SDK_BASE_URL'],
  'api-key': ['string', 'SLUICE_SDK_API_KEY'],
  'model': ['string', 'SLUICE_SDK_MODEL'],
  'op': ['string', 'SLUICE_SDK_OP'],
  'header': ['list'],
  'prompt': ['string'],
  'system': ['string'],
  'max-tokens': ['int'],
  'stop': ['list'],
  'tool': ['list'],
  'tool-choice': ['string'],
  'include-usage': ['flag'],
  'input': ['list'],
  'dimensions': ['int'],
  'timeout-ms': ['int'],
  'max-retries': ['int'],
  'azure-api-version': ['string'],
  'azure-deployment': ['string'],
  'key-header': ['string'],
};

export class UsageError extends Error {}

export function parseArgs(argv, usage) {
  const out = { header: [], stop: [], tool: [], input: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage + '\n');
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = SPEC[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec[0] === 'flag') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (spec[0] === 'list') {
      out[name].push(value);
    } else if (spec[0] === 'int') {
      if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer`);
      out[name] = Number(value);
    } else {
      out[name] = value;
    }
  }
  for (const [name, [, env]] of Object.entries(SPEC)) {
    if (env && out[name] === undefined && process.env[env]) out[name] = process.env[env];
  }
  if (!out['base-url']) throw new UsageError('--base-url (or SLUICE_SDK_BASE_URL) is required');
  if (!out.op) throw new UsageError('--op (or SLUICE_SDK_OP) is required');
  return out;
}

// "Name: value" strings to a headers object.
export function headersFrom(list) {
  const headers = {};
  for (const h of list) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be 'Name: value', got '${h}'`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return headers;
}

// The schema every --tool NAME gets, so the mock's schema-derived arguments are predictable:
// {"city":"mock","days":1}.
export const TOOL_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string' }, days: { type: 'integer' } },
  required: ['city'],
};

export function print(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

// An SDK error (both SDKs share the shape: status, error body, headers) as a result line.
export function errorResult(op, err) {
  const status = typeof err?.status === 'number' ? err.status : null;
  return {
    ok: false,
    op,
    status,
    name: err?.constructor?.name ?? 'Error',
    message: String(err?.message ?? err),
    error: err?.error ?? null,
    request_id: err?.requestID ?? err?.request_id ?? null,
  };
}

export async function run(usage, main) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), usage);
  } catch (err) {
    process.stderr.write(`${err.message}\n${usage}\n`);
    process.exit(2);
  }
  try {
    const result = await main(args);
    print({ ok: true, op: args.op, ...result });
    process.exitCode = 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${usage}\n`);
      process.exit(2);
    }
    print(errorResult(args.op, err));
    process.exitCode = 1;
  }
}
