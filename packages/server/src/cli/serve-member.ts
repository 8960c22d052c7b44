// The HTTP side of `flotilla start`: serveNode plus, when configured, a
// BackupScheduler whose metrics go on /metrics and whose newest verified
// backup goes on /flotilla/status.
import { BackupScheduler } from '@flotilla/backup';
import type { FlotillaNode } from '@flotilla/node';
import type { Logger } from 'pino';
import type { MemberDirectory } from '../cluster/directory.js';
import { serveNode } from '../cluster/serve.js';
import type { RunningHttpServer } from '../http/server.js';
import type { StartConfig } from './config.js';

export interface ServedMember {
  readonly server: RunningHttpServer;
  readonly scheduler: BackupScheduler | undefined;
}

export interface ServeMemberOptions {
  readonly node: FlotillaNode;
  readonly config: StartConfig;
  readonly directory: MemberDirectory;
  readonly founders: readonly string[];
  readonly dbSizeBytes: () => number;
  readonly logger: Logger;
}

function startScheduler(
  node: FlotillaNode,
  config: StartConfig,
  logger: Logger,
): BackupScheduler | undefined {
  if (config.backupDir === undefined || config.backupIntervalMs === undefined) return undefined;
  const log = logger.child({ component: 'backup' });
  const scheduler = new BackupScheduler({
    source: node,
    dir: config.backupDir,
    intervalMs: config.backupIntervalMs,
    retainCount: config.backupRetainCount ?? 8,
    onRun: (run) => {
      if (run.ok)
        log.info(
          { file: run.file, revision: run.manifest?.revision, ms: Math.round(run.durationMs) },
          'backup saved and verified',
        );
      else log.error({ file: run.file, error: run.error ?? run.verdict?.line }, 'backup failed');
    },
  });
  scheduler.start();
  return scheduler;
}

export async function serveMember(o: ServeMemberOptions): Promise<ServedMember> {
  const scheduler = startScheduler(o.node, o.config, o.logger);
  try {
    const server = await serveNode({
      node: o.node,
      directory: o.directory,
      dbSizeBytes: o.dbSizeBytes,
      host: o.config.listenClient.hostname,
      port: Number(o.config.listenClient.port),
      logger: o.logger.child({ component: 'http' }),
      founders: o.founders,
      ...(o.config.clientTls ? { tls: o.config.clientTls } : {}),
      ...(o.config.httpLimits ? { limits: o.config.httpLimits } : {}),
      ...(scheduler
        ? {
            extraMetricsText: () => scheduler.prometheusText(),
            extraStatus: () => {
              const s = scheduler.status();
              const age = s.newestVerifiedAgeMs;
              return {
                backup: {
                  newestVerifiedFile: s.newestVerified?.file ?? null,
                  newestVerifiedAgeMs: age === undefined || !Number.isFinite(age) ? null : age,
                  runs: s.runs,
                  failures: s.failures,
                },
              };
            },
          }
        : {}),
    });
    return { server, scheduler };
  } catch (err) {
    await scheduler?.stop();
    throw err;
  }
}
