#!/usr/bin/env node
// Drives the official `@anthropic-ai/sdk` against a base URL (a Sluice data plane, or the mock
// LLM directly) and prints one JSON line with what it got back. See README.md.
import Anthropic from '@anthropic-ai/sdk';

import { TOOL_SCHEMA, UsageError, headersFrom, run } from './cli.mjs';

const USAGE = `usage: node anthropic_client.mjs --base-url URL --op OP [options]
  OP: messages | messages-stream
  --api-key KEY            (default "sk-ant-sluice-test"; env SLUICE_SDK_API_KEY)
  --model NAME             (default "mock-claude"; env SLUICE_SDK_MODEL)
  --header 'Name: value'   extra request header, repeatable (x-mock-* faults, consumer keys...)
  --prompt TEXT --system TEXT --max-tokens N (default 1024) --stop S (repeatable)
  --tool NAME (repeatable; schema {city: string, days: integer}) --tool-choice auto|any|none|NAME
  --key-header x-api-key   send the key in x-api-key instead of the SDK's own choice
                           (@anthropic-ai/sdk 1.x sends Authorization: Bearer KEY)
  --timeout-ms N (default 10000) --max-retries N (default 0)`;

function makeClient(args) {
  const apiKey = args['api-key'] ?? 'sk-ant-sluice-test';
  let defaultHeaders = headersFrom(args.header);
  const keyHeader = args['key-header'];
  if (keyHeader === 'x-api-key') {
    // Default headers override the SDK's auth headers; null removes one.
    defaultHeaders = { 'x-api-key': apiKey, authorization: null, ...defaultHeaders };
  } else if (keyHeader !== undefined && keyHeader !== 'authorization') {
    throw new UsageError(`--key-header must be x-api-key or authorization, got '${keyHeader}'`);
  }
  return new Anthropic({
    apiKey,
    baseURL: args['base-url'],
    timeout: args['timeout-ms'] ?? 10000,
    maxRetries: args['max-retries'] ?? 0,
    defaultHeaders,
  });
}

function messageParams(args) {
  const params = {
    model: args.model ?? 'mock-claude',
    max_tokens: args['max-tokens'] ?? 1024,
    messages: [{ role: 'user', content: args.prompt ?? 'Say hello.' }],
  };
  if (args.system !== undefined) params.system = args.system;
  if (args.stop.length > 0) params.stop_sequences = args.stop;
  if (args.tool.length > 0) {
    params.tools = args.tool.map((name) => ({
      name,
      description: `test tool ${name}`,
      input_schema: TOOL_SCHEMA,
    }));
  }
  const choice = args['tool-choice'];
  if (choice !== undefined) {
    params.tool_choice = ['auto', 'any', 'none'].includes(choice)
      ? { type: choice }
      : { type: 'tool', name: choice };
  }
  return params;
}

function messageOut(message) {
  return {
    id: message.id,
    model: message.model,
    content: message.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    blocks: message.content.map((b) => b.type),
    tool_use: message.content
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: b.id, name: b.name, input: b.input })),
    stop_reason: message.stop_reason,
    stop_sequence: message.stop_sequence,
    usage: { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens },
  };
}

function selectedHeaders(headers) {
  const out = {};
  for (const [name, value] of headers.entries()) {
    if (name.startsWith('x-sluice-') || name === 'content-type' || name === 'retry-after') {
      out[name] = value;
    }
  }
  return out;
}

async function messages(client, args) {
  const { data, response } = await client.messages.create(messageParams(args)).withResponse();
  return { ...messageOut(data), headers: selectedHeaders(response.headers) };
}

// Uses the SDK's stream helper, so its event accumulation (finalMessage) is exercised too, and
// counts the raw events by type.
async function messagesStream(client, args) {
  const stream = client.messages.stream(messageParams(args));
  const events = {};
  let eventCount = 0;
  let text = '';
  stream.on('streamEvent', (event) => {
    eventCount++;
    events[event.type] = (events[event.type] ?? 0) + 1;
  });
  stream.on('text', (delta) => {
    text += delta;
  });
  const message = await stream.finalMessage();
  const out = messageOut(message);
  const { response } = await stream.withResponse();
  return {
    ...out,
    streamed_text: text,
    events,
    event_count: eventCount,
    headers: selectedHeaders(response.headers),
  };
}

run(USAGE, async (args) => {
  const client = makeClient(args);
  switch (args.op) {
    case 'messages': return messages(client, args);
    case 'messages-stream': return messagesStream(client, args);
    default: throw new UsageError(`unknown --op '${args.op}'`);
  }
});
