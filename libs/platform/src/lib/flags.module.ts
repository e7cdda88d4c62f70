import { Global, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { FlagdProvider } from '@openfeature/flagd-provider';
import { SpanEventHook } from '@openfeature/open-telemetry-hooks';
import { Client, OpenFeature } from '@openfeature/server-sdk';
import { unwatchFile, watchFile } from 'node:fs';
import { fixFlag, type ScenarioName } from '@traceshop/contracts';

/** How often the flag file is checked for changes (flagd's provider alone checks every 5 s). */
const FLAG_FILE_POLL_MS = 1_000;

/**
 * The fault-scenario switches, and each fault's fix switch: OpenFeature with flagd's in-process
 * provider reading the flag file (FLAGS_FILE, flagd's JSON format). The provider polls the file,
 * so `scenario on/off` takes effect in every service within about a second, without a restart.
 */
@Injectable()
export class Flags implements OnModuleInit, OnApplicationShutdown {
  private client?: Client;

  constructor(private readonly config: ConfigService) {}

  async onModuleInit() {
    const file = this.config.getOrThrow<string>('FLAGS_FILE');
    // The provider watches the file with fs.watchFile at Node's default 5 s, and Node keeps one
    // watcher per file whose interval is set by the first caller: watching it first, every
    // second, makes the provider's listener fire within ~1 s of `scenario on`.
    watchFile(file, { interval: FLAG_FILE_POLL_MS, persistent: false }, () => undefined);
    const provider = new FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: file });
    await OpenFeature.setProviderAndWait(provider);
    // Every evaluation as the semantic conventions' `feature_flag.evaluation` event on the active
    // span (OpenFeature's own hook), so the trace itself tells which scenario was on where the
    // decision was taken. A failed evaluation falls back to off: no exception event for it.
    OpenFeature.addHooks(new SpanEventHook({ excludeExceptions: true }));
    this.client = OpenFeature.getClient();
  }

  /** Whether a scenario is switched on (off when the flag file cannot be read). */
  isOn(scenario: ScenarioName): Promise<boolean> {
    return this.client?.getBooleanValue(scenario, false) ?? Promise.resolve(false);
  }

  /** Whether the fix of a scenario (`fix.<scenario>`) is switched on (off when unreadable). */
  fixOn(scenario: ScenarioName): Promise<boolean> {
    return this.client?.getBooleanValue(fixFlag(scenario), false) ?? Promise.resolve(false);
  }

  /** A scenario's number (e.g. a percentage), 0 when off or unreadable. */
  number(scenario: ScenarioName): Promise<number> {
    return this.client?.getNumberValue(scenario, 0) ?? Promise.resolve(0);
  }

  onApplicationShutdown() {
    unwatchFile(this.config.getOrThrow<string>('FLAGS_FILE'));
    return OpenFeature.close();
  }
}

/** Provides `Flags` to the whole app. */
@Global()
@Module({ providers: [Flags], exports: [Flags] })
export class FlagsModule {}
