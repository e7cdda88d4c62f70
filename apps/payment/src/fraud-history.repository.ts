import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

/** What thirty days of a card's history add up to. */
export interface CardHistory {
  attempts: number;
  totalCents: number;
}

/**
 * The card-activity archive behind the fraud check's history rule. It is large (FRAUD_HISTORY_ROWS
 * rows, generated at first start-up) and has no index on card_fingerprint: see the migration.
 */
@Injectable()
export class FraudHistoryRepository implements OnModuleInit {
  private readonly logger = new Logger(FraudHistoryRepository.name);
  private readonly rows: number;

  constructor(@Inject(PG_POOL) private readonly pool: Pool, config: ConfigService) {
    this.rows = config.getOrThrow<number>('FRAUD_HISTORY_ROWS');
  }

  /** Fills an empty archive once, in one statement, before the service reports ready. */
  async onModuleInit() {
    const { rows } = await this.pool.query('SELECT EXISTS (SELECT 1 FROM fraud_history) AS seeded');
    if (rows[0].seeded || this.rows === 0) return;
    const started = Date.now();
    await this.pool.query(
      `INSERT INTO fraud_history (card_fingerprint, amount_cents, country, recorded_at)
       SELECT md5('card-' || (i % 100000)) || md5('fp-' || (i % 100000)),
              100 + (i::bigint * 7919) % 50000,
              (ARRAY['DE', 'FR', 'NL', 'US', 'GB'])[1 + i % 5],
              now() - (i % 2592000) * interval '1 second'
       FROM generate_series(1, $1::int) AS i`,
      [this.rows],
    );
    await this.pool.query('ANALYZE fraud_history');
    this.logger.log(`seeded ${this.rows} rows of card history in ${Date.now() - started} ms`);
  }

  /** The card's last thirty days: without the index, a sequential scan of the whole archive. */
  static readonly LAST_30_DAYS_SQL = `SELECT count(*)::int AS attempts, coalesce(sum(amount_cents), 0)::int AS "totalCents"
       FROM fraud_history
       WHERE card_fingerprint = $1 AND recorded_at > now() - interval '30 days'`;

  async last30Days(cardFingerprint: string): Promise<CardHistory> {
    const { rows } = await this.pool.query<CardHistory>(FraudHistoryRepository.LAST_30_DAYS_SQL, [cardFingerprint]);
    return rows[0];
  }
}
