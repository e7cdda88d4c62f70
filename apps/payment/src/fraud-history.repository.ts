import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

/** How often a card was used within one window of its history, and for how much. */
export interface CardVelocity {
  /** `1h`, `24h`, `7d`, `30d` or `90d`. */
  window: string;
  attempts: number;
  totalCents: number;
}

/**
 * The card-activity archive behind the fraud check's velocity rule: 90 days of payments
 * (FRAUD_HISTORY_ROWS rows, generated at first start-up) with no index on card_fingerprint: see
 * the migration.
 */
@Injectable()
export class FraudHistoryRepository implements OnModuleInit {
  private readonly logger = new Logger(FraudHistoryRepository.name);
  private readonly rows: number;

  constructor(@Inject(PG_POOL) private readonly pool: Pool, config: ConfigService) {
    this.rows = config.getOrThrow<number>('FRAUD_HISTORY_ROWS');
  }

  /**
   * Fills an empty archive once, in one statement, before the service reports ready: 100,000
   * cards (SHA-256 fingerprints, like payment's own) taking turns, spread evenly over 90 days.
   */
  async onModuleInit() {
    const { rows } = await this.pool.query('SELECT EXISTS (SELECT 1 FROM fraud_history) AS seeded');
    if (rows[0].seeded || this.rows === 0) return;
    const started = Date.now();
    await this.pool.query(
      `INSERT INTO fraud_history (card_fingerprint, amount_cents, country, recorded_at)
       WITH cards AS MATERIALIZED (
         SELECT c, encode(sha256(('card-' || c)::bytea), 'hex') AS fingerprint FROM generate_series(0, 99999) AS c
       )
       SELECT cards.fingerprint,
              100 + (i::bigint * 7919) % 50000,
              (ARRAY['DE', 'FR', 'NL', 'US', 'GB'])[1 + i % 5],
              now() - interval '90 days' * (i::float8 / $1::int)
       FROM generate_series(1, $1::int) AS i JOIN cards ON cards.c = i % 100000`,
      [this.rows],
    );
    await this.pool.query('ANALYZE fraud_history');
    this.logger.log(`seeded ${this.rows} rows of card history in ${Date.now() - started} ms`);
  }

  /**
   * The velocity rule's question: how often, and for how much, was this card used in the last
   * hour, day, week, 30 days, and in all 90 days the archive keeps (its baseline)? One subquery
   * per window, so each window reads the card's rows again: with the slow-checkout lab's index
   * that is five short index scans; without it, five sequential scans of the whole archive.
   */
  static readonly VELOCITY_SQL = `SELECT w.name AS "window", v.attempts, v."totalCents"
       FROM (VALUES ('1h', interval '1 hour'), ('24h', interval '24 hours'), ('7d', interval '7 days'), ('30d', interval '30 days'), ('90d', interval '90 days')) AS w (name, span)
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS attempts, coalesce(sum(amount_cents), 0)::int AS "totalCents"
         FROM fraud_history
         WHERE card_fingerprint = $1 AND recorded_at > now() - w.span
       ) AS v`;

  async velocity(cardFingerprint: string): Promise<CardVelocity[]> {
    const { rows } = await this.pool.query<CardVelocity>(FraudHistoryRepository.VELOCITY_SQL, [cardFingerprint]);
    return rows;
  }
}
