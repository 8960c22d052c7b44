// `flotilla help`.
export const USAGE = `flotilla: a replicated key-value store (etcd v3 API) on Raft

Server:
  flotilla start [--name n1] [--data-dir DIR] [--listen-peer URL] [--listen-client URL]
                 [--initial-cluster n1=URL,n2=URL,...] [--initial-cluster-state new|existing]
                 [--advertise-client URL] [--cluster-token T] [--log-level info]
                 [--tick-ms 10] [--election-ticks 15] [--heartbeat-ticks 2] [--config FILE.json]
      Settings: flags > environment (FLOTILLA_NAME, FLOTILLA_DATA_DIR, ...) > --config file.
      Member ids derive from names (stable across restarts). Logs: JSON on stderr.

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
  version | help
`;
