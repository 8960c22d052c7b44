// `flotilla help`.
export const USAGE = `flotilla: a replicated key-value store (etcd v3 API) on Raft

Server:
  flotilla start [--name n1] [--data-dir DIR] [--listen-peer URL] [--listen-client URL]
                 [--initial-cluster n1=URL,n2=URL,...] [--initial-cluster-state new|existing]
                 [--advertise-client URL] [--cluster-token T] [--log-level info]
                 [--tick-ms 10] [--election-ticks 15] [--heartbeat-ticks 2] [--config FILE.json]
                 [--force-new-cluster] [--backup-dir DIR --backup-interval MS [--backup-retain 8]]
                 [--peer-route NAME=URL[,NAME=URL...]]
      Settings: flags > environment (FLOTILLA_NAME, FLOTILLA_DATA_DIR, ...) > --config file.
      Member ids derive from names (stable across restarts). Logs: JSON on stderr.
      --peer-route: dial member NAME at URL instead of the peer URL announced for it (in --initial-cluster
        or by member add), e.g. through a proxy or NAT; local to this member, never replicated.
      --force-new-cluster: a lone survivor becomes a one-voter cluster; remove the flag on later restarts.
      TEST ONLY (fault suite; flags only, never env or file; never in production):
        --test-clock-rate R          this member's clock runs at R times real time (> 0)
        --test-clock-offset-ms MS    and is shifted by MS (negative: --test-clock-offset-ms=-500)
        --test-fsync-delay-ms MS     wait MS after every synced write (a slow disk)

Client (global: --endpoints URL[,URL] or FLOTILLA_ENDPOINTS; --command-timeout MS):
  put KEY VALUE [--lease HEX] [--prev-kv]
  get KEY [END] [--prefix|--from-key] [--limit N] [--rev N] [--keys-only] [--count-only]
          [--print-value-only] [--order ASCEND|DESCEND] [--sort-by KEY|VERSION|CREATE|MODIFY|VALUE]
          [--consistency l|s] [-w simple|json]
  del KEY [END] [--prefix|--from-key] [--prev-kv]
  watch KEY [END] [--prefix] [--rev N] [--prev-kv] [--max-events N]
  txn                      reads compares, success and failure requests from stdin, e.g.
                             mod("k") > "0"
                             <blank line>
                             put k "v2"
                             <blank line>
                             get k
  lease grant TTL | revoke HEX | keepalive HEX [--once] | list | timetolive HEX [--keys]
  member list [-w table] | add NAME --peer-urls URL [--learner] | remove HEX | promote HEX
  endpoint status [--cluster] [-w json] | endpoint health [--cluster]
  move-leader HEX
  snapshot save FILE [--no-verify]        download a backup from the first endpoint, then verify it
  snapshot verify FILE [--scratch-dir DIR] restore it into a scratch store and check it (exit 1 if bad)
  snapshot restore FILE --name N --initial-cluster N=URL,... --data-dir DIR [--cluster-token T] [--force]
                           seed one member of a NEW cluster (run once per member, same flags but
                           --name/--data-dir); default token <old token>-restored-<8 hex of the file>
  version | help
`;
