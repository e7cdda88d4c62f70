import type { Lab } from '../lab.types';
import { backlog } from './backlog';
import { brokenPropagation } from './broken-propagation';
import { cacheStampede } from './cache-stampede';
import { lockContention } from './lock-contention';
import { nPlusOne } from './n-plus-one';
import { orphanedWork } from './orphaned-work';
import { paymentDeclines } from './payment-declines';
import { poisonMessage } from './poison-message';
import { providerUnreachable } from './provider-unreachable';
import { retryStorm } from './retry-storm';
import { samplingBlindSpot } from './sampling-blind-spot';
import { slowCheckout } from './slow-checkout';
import { splitTraces } from './split-traces';

/** Every lab, in the order of docs/labs/README.md. */
export const LABS: Lab[] = [slowCheckout, brokenPropagation, paymentDeclines, retryStorm, nPlusOne, cacheStampede, lockContention, poisonMessage, backlog, orphanedWork, samplingBlindSpot, providerUnreachable, splitTraces];

export function labNamed(name: string | undefined): Lab {
  const lab = LABS.find((l) => l.name === name);
  if (!lab) throw new UsageError(`unknown lab "${name ?? ''}": one of ${LABS.map((l) => l.name).join(', ')}`);
  return lab;
}

/** A wrong command line: exit 2. */
export class UsageError extends Error {}
