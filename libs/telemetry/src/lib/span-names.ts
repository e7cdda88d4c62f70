/**
 * What the instrumentations' own span names leave out, worked out as the semantic conventions
 * say: a query's summary (database spans) and a publish's destination (messaging spans).
 */

// A token of SQL: a quoted or plain identifier, schema-qualified or not, or one punctuation mark.
// String literals and comments are removed before, so nothing inside them counts.
const TOKEN = /"(?:[^"]|"")*"(?:\."(?:[^"]|"")*"|\.\w+)*|\w+(?:\.(?:\w+|"(?:[^"]|"")*"))*|[^\s\w]/g;
const LITERALS_AND_COMMENTS = /'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g;
const OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);
/** After these an operation keyword is a clause, not an operation: FOR UPDATE, ON CONFLICT DO UPDATE, ON DELETE. */
const NOT_AN_OPERATION_AFTER = new Set(['FOR', 'KEY', 'DO', 'ON']);
const MAX_SUMMARY = 255;

/**
 * `db.query.summary` of a SQL statement, as the database conventions define it ("Generating a
 * summary of the query"): its operations and the tables each one works on, in the order written,
 * as written (no schema added, no case changed): `SELECT fraud_history`,
 * `INSERT reservation_items SELECT`, `SELECT stock SELECT reservation_items`, `COMMIT`. A function
 * after FROM (`unnest(…)`) or a subquery is no table. A statement that is none of SELECT, INSERT,
 * UPDATE, DELETE, MERGE is its first word (`BEGIN`, `SET`, `ANALYZE`).
 */
export function querySummary(text: string): string {
  // A service runs a few dozen distinct statements, each thousands of times: parsing one costs
  // ~10 µs, looking it up well under one. Bounded, should an app build its SQL with values inline.
  let summary = summaries.get(text);
  if (summary === undefined) {
    if (summaries.size >= MAX_SUMMARIES) summaries.clear();
    summaries.set(text, (summary = summarize(text)));
  }
  return summary;
}

const summaries = new Map<string, string>();
const MAX_SUMMARIES = 1_000;

function summarize(text: string): string {
  const tokens = text.replace(LITERALS_AND_COMMENTS, ' ').match(TOKEN) ?? [];
  const upper = tokens.map((token) => token.toUpperCase());
  const word = (i: number) => upper[i] ?? '';
  const isOperation = (i: number) => OPERATIONS.has(word(i)) && !NOT_AN_OPERATION_AFTER.has(word(i - 1));
  const isTable = (i: number) => {
    if (!/^[\w"]/.test(tokens[i]) || OPERATIONS.has(word(i))) return false;
    if (word(i - 1) === 'INTO') return true; // whatever follows: its column list
    if (word(i - 1) === 'UPDATE') return isOperation(i - 1); // not FOR UPDATE's or DO UPDATE's
    return (word(i - 1) === 'FROM' || word(i - 1) === 'JOIN') && tokens[i + 1] !== '('; // not a function: unnest(…)
  };
  const parts = tokens.filter((_, i) => isOperation(i) || isTable(i));
  if (parts.length === 0) return tokens[0] ?? '';
  let summary = '';
  for (const part of parts) {
    if (summary.length + part.length + 1 > MAX_SUMMARY) break; // never cut inside a name
    summary = summary ? `${summary} ${part}` : part;
  }
  return summary;
}

/** RabbitMQ's direct reply-to and server-named queues: a generated name per channel or queue. */
const GENERATED_QUEUE = /^(amq\.rabbitmq\.reply-to|amq\.gen)[.-]/;

/**
 * Where a RabbitMQ publish goes, as the messaging conventions spell it for RabbitMQ:
 * `messaging.destination.name` is `{exchange}:{routing key}`, or the one of them that is not empty
 * (the default exchange routes to the queue named by the key). A generated queue (a reply's
 * `amq.rabbitmq.reply-to.…`) is temporary: its `template` (the part before the generated suffix)
 * names the span instead, so that names stay few.
 */
export function publishDestination(exchange: string, routingKey: string): { name: string; template?: string } {
  const name = [exchange, routingKey].filter(Boolean).join(':') || 'amq.default';
  const generated = exchange === '' ? GENERATED_QUEUE.exec(routingKey) : null;
  return generated ? { name, template: generated[1] } : { name };
}
