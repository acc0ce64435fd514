#!/usr/bin/env node
// Drives the official `openai` SDK against a base URL (a Sluice data plane, or the mock LLM
// directly) and prints one JSON line with what it got back. See README.md.
import OpenAI, { AzureOpenAI } from 'openai';

import { TOOL_SCHEMA, UsageError, headersFrom, run } from './cli.mjs';

const USAGE = `usage: node openai_client.mjs --base-url URL --op OP [options]
  OP: chat | chat-stream | embeddings | models
  --api-key KEY            (default "sk-sluice-test"; env SLUICE_SDK_API_KEY)
  --model NAME             (default "mock-gpt-4o-mini"; env SLUICE_SDK_MODEL)
  --header 'Name: value'   extra request header, repeatable (x-mock-* faults, consumer keys...)
  --prompt TEXT --system TEXT --max-tokens N --stop S (repeatable)
  --tool NAME (repeatable; schema {city: string, days: integer}) --tool-choice auto|none|required|NAME
  --include-usage          chat-stream: stream_options.include_usage
  --input TEXT (repeatable) --dimensions N        embeddings
  --timeout-ms N (default 10000) --max-retries N (default 0)
  --azure-api-version V [--azure-deployment D]    use AzureOpenAI with --base-url as the endpoint`;

function makeClient(args) {
  const common = {
    apiKey: args['api-key'] ?? 'sk-sluice-test',
    timeout: args['timeout-ms'] ?? 10000,
    maxRetries: args['max-retries'] ?? 0,
    defaultHeaders: headersFrom(args.header),
  };
  if (args['azure-api-version']) {
    return new AzureOpenAI({
      ...common,
      endpoint: args['base-url'],
      apiVersion: args['azure-api-version'],
      deployment: args['azure-deployment'],
    });
  }
  return new OpenAI({ ...common, baseURL: args['base-url'] });
}

function chatParams(args) {
  const messages = [];
  if (args.system !== undefined) messages.push({ role: 'system', content: args.system });
  messages.push({ role: 'user', content: args.prompt ?? 'Say hello.' });
  const params = { model: args.model ?? 'mock-gpt-4o-mini', messages };
  if (args['max-tokens'] !== undefined) params.max_tokens = args['max-tokens'];
  if (args.stop.length > 0) params.stop = args.stop;
  if (args.tool.length > 0) {
    params.tools = args.tool.map((name) => ({
      type: 'function',
      function: { name, description: `test tool ${name}`, parameters: TOOL_SCHEMA },
    }));
  }
  const choice = args['tool-choice'];
  if (choice !== undefined) {
    params.tool_choice = ['auto', 'none', 'required'].includes(choice)
      ? choice
      : { type: 'function', function: { name: choice } };
  }
  return params;
}

function toolCallsOut(calls) {
  return (calls ?? []).map((c) => ({
    id: c.id,
    name: c.function?.name,
    arguments: c.function?.arguments,
    // Parsed, so a test can compare objects without caring about whitespace.
    input: (() => {
      try {
        return JSON.parse(c.function?.arguments ?? '');
      } catch {
        return null;
      }
    })(),
  }));
}

async function chat(client, args) {
  const { data, response } = await client.chat.completions.create(chatParams(args)).withResponse();
  const choice = data.choices[0];
  return {
    id: data.id,
    model: data.model,
    content: choice.message.content,
    finish_reason: choice.finish_reason,
    tool_calls: toolCallsOut(choice.message.tool_calls),
    usage: data.usage ?? null,
    headers: selectedHeaders(response.headers),
  };
}

async function chatStream(client, args) {
  const params = { ...chatParams(args), stream: true };
  if (args['include-usage']) params.stream_options = { include_usage: true };
  const { data: stream, response } = await client.chat.completions.create(params).withResponse();
  let content = '';
  let finishReason = null;
  let usage = null;
  let chunks = 0;
  let model = null;
  let id = null;
  const calls = [];
  for await (const chunk of stream) {
    chunks++;
    id ??= chunk.id;
    model ??= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) content += choice.delta.content;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      for (const tc of choice.delta?.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { id: null, function: { name: '', arguments: '' } });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.function.name += tc.function.name;
        if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
      }
    }
  }
  return {
    id,
    model,
    content,
    finish_reason: finishReason,
    tool_calls: toolCallsOut(calls),
    usage,
    chunks,
    headers: selectedHeaders(response.headers),
  };
}

async function embeddings(client, args) {
  const input = args.input.length === 0 ? 'hello' : args.input.length === 1 ? args.input[0] : args.input;
  const params = { model: args.model ?? 'mock-embed', input };
  if (args.dimensions !== undefined) params.dimensions = args.dimensions;
  const { data, response } = await client.embeddings.create(params).withResponse();
  return {
    model: data.model,
    count: data.data.length,
    dimensions: data.data.map((d) => d.embedding.length),
    norms: data.data.map((d) => Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0))),
    first: data.data[0]?.embedding ?? null,
    usage: data.usage ?? null,
    headers: selectedHeaders(response.headers),
  };
}

async function models(client) {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  return { models: ids };
}

// Response headers a test may want to see (what served the call), lower-case names.
function selectedHeaders(headers) {
  const out = {};
  for (const [name, value] of headers.entries()) {
    if (name.startsWith('x-sluice-') || name === 'content-type' || name === 'retry-after') {
      out[name] = value;
    }
  }
  return out;
}

run(USAGE, async (args) => {
  const client = makeClient(args);
  switch (args.op) {
    case 'chat': return chat(client, args);
    case 'chat-stream': return chatStream(client, args);
    case 'embeddings': return embeddings(client, args);
    case 'models': return models(client);
    default: throw new UsageError(`unknown --op '${args.op}'`);
  }
});
