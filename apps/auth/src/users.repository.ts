import { Inject, Injectable } from '@nestjs/common';
import type { UserView } from '@traceshop/contracts';
import { PG_POOL } from '@traceshop/platform';
import type { Pool } from 'pg';

interface UserRow extends UserView {
  passwordHash: string;
}

/** Users in Postgres (schema auth). Values are always bound parameters, never in the SQL text. */
@Injectable()
export class UsersRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Returns the new user, or undefined when the email is taken. */
  async insert(email: string, passwordHash: string): Promise<UserView | undefined> {
    const { rows } = await this.pool.query<UserView>(
      `INSERT INTO users (email, password_hash) VALUES ($1, $2)
       ON CONFLICT (email) DO NOTHING RETURNING id, email`,
      [email, passwordHash],
    );
    return rows[0];
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      'SELECT id, email, password_hash AS "passwordHash" FROM users WHERE email = $1',
      [email],
    );
    return rows[0];
  }

  async findById(id: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT id, email, password_hash AS "passwordHash" FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.pool.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
  }
}
