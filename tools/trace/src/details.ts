import type { JaegerSpan } from '@traceshop/testing';
import { eventName, field, firstTag, isError, tag } from './spans';

/** A span link (FOLLOWS_FROM): where the work that caused this span lives. */
export interface SpanLink {
  traceId: string;
  spanId: string;
}

/**
 * What a person needs next to a span's name to read it without opening its tags: the statement,
 * where a message went, the route and the peer, the errors, the flag decisions, the links.
 * Each note is short; the order is the same on every span so the eye finds them.
 */
export function notesOf(span: JaegerSpan): string[] {
  return [...http(span), ...database(span), ...messaging(span), ...errors(span), ...flags(span)];
}

/** The span's links to other spans (FOLLOWS_FROM: a consumer's producer in TRACESHOP_AMQP_CONSUME_LINKS mode). */
export function linksOf(span: JaegerSpan): SpanLink[] {
  return span.references.filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => ({ traceId: r.traceID, spanId: r.spanID }));
}

/** Cuts `text` to `max` characters on one line: SQL arrives indented over several. */
export function shorten(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function http(span: JaegerSpan): string[] {
  const method = tag(span, 'http.request.method');
  if (method === undefined) return [];
  const kind = tag(span, 'span.kind');
  const notes: string[] = [];
  if (kind === 'server') {
    // The server span's name is usually "METHOD route" already; say the route only when it is not.
    const route = firstTag(span, 'http.route');
    if (route && !span.operationName.includes(route)) notes.push(`route ${route}`);
  } else if (kind === 'client') {
    // A client span is named only "POST": where it went is the point.
    notes.push(`→ ${peerOf(span)}${pathOf(span)}`);
  } else {
    return [];
  }
  const status = Number(tag(span, 'http.response.status_code'));
  if (status >= 400) notes.push(`status ${status}`);
  return notes;
}

/** Who a client span talked to: the peer service if named, else host:port. */
function peerOf(span: JaegerSpan): string {
  const service = firstTag(span, 'peer.service');
  if (service) return service;
  const address = firstTag(span, 'server.address', 'net.peer.name');
  const port = firstTag(span, 'server.port', 'net.peer.port');
  if (address) return port ? `${address}:${port}` : address;
  const url = firstTag(span, 'url.full', 'http.url');
  try {
    return url ? new URL(url).host : '?';
  } catch {
    return '?';
  }
}

function pathOf(span: JaegerSpan): string {
  const path = firstTag(span, 'url.path');
  if (path) return ` ${path}`;
  const url = firstTag(span, 'url.full', 'http.url');
  try {
    return url ? ` ${new URL(url).pathname}` : '';
  } catch {
    return '';
  }
}

function database(span: JaegerSpan): string[] {
  const statement = firstTag(span, 'db.query.text', 'db.statement');
  // A span named by its query's summary is the statement already when there is no more to it (`COMMIT`).
  return statement && shorten(statement, 60) !== span.operationName ? [shorten(statement, 60)] : [];
}

function messaging(span: JaegerSpan): string[] {
  if (tag(span, 'messaging.system') === undefined) return [];
  // The amqplib instrumentation's exchange ('' for the default one), or a span of our own's.
  const exchange = firstTag(span, 'messaging.destination', 'messaging.destination.name');
  const key = firstTag(span, 'messaging.rabbitmq.destination.routing_key', 'messaging.rabbitmq.routing_key');
  // RabbitMQ's default exchange ('') routes by queue name: the key is the queue. A reply-to key
  // is a long generated name: its prefix says enough.
  const replyTo = key?.startsWith('amq.rabbitmq.reply-to.') ? 'amq.rabbitmq.reply-to' : undefined;
  const shortKey = key && shorten(replyTo ? `${replyTo}…` : key, 40);
  // A span named as the conventions name it says where already (`publish orders:order.confirmed`,
  // `process payment.requests`): no note then, but the routing key a queue's message came with.
  const named = span.operationName.split(' ').slice(1).join(' ');
  const said = [exchange, replyTo ?? key].every((part) => !part || named.includes(part));
  const notes = said ? [] : exchange ? [`exchange ${exchange}${shortKey ? ` key ${shortKey}` : ''}`] : shortKey ? [`queue ${shortKey}`] : [];
  const retry = Number(tag(span, 'traceshop.messaging.retry_count'));
  if (retry > 0) notes.push(`retry ${retry}`);
  return notes;
}

function errors(span: JaegerSpan): string[] {
  const exceptions = span.logs
    .filter((l) => eventName(l) === 'exception')
    .map((l) => shorten(`exception ${[field(l, 'exception.type'), field(l, 'exception.message')].filter(Boolean).join(': ')}`, 100));
  if (exceptions.length > 0 || !isError(span)) return exceptions;
  // No exception event: the status description is all there is.
  const description = firstTag(span, 'otel.status_description');
  return [description ? `error: ${shorten(description, 80)}` : 'error'];
}

function flags(span: JaegerSpan): string[] {
  const evaluations = span.logs
    .filter((l) => eventName(l) === 'feature_flag.evaluation')
    .map((l) => `${field(l, 'feature_flag.key')}=${field(l, 'feature_flag.result.variant') ?? field(l, 'feature_flag.variant') ?? '?'}`);
  return evaluations.length > 0 ? [`flag ${evaluations.join(' ')}`] : [];
}
