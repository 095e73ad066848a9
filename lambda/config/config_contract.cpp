#include "config/config_contract.hpp"

#include <array>

namespace tsproxy::config {

namespace {
constexpr std::uint64_t day_ms = 86'400'000;
constexpr unsigned both = runtime | extension;
}  // namespace

namespace vars {
// Lambda's.
const variable runtime_api{.name = "AWS_LAMBDA_RUNTIME_API",
                           .kind = value_kind::address,
                           .read_by = both,
                           .default_value = "",
                           .accepts = "host:port of the Runtime API (is this running in Lambda?)",
                           .doc = "set by Lambda: where the Runtime and Extensions APIs listen",
                           .default_note = "set by Lambda"};
const variable max_concurrency{.name = "AWS_LAMBDA_MAX_CONCURRENCY",
                               .kind = value_kind::count,
                               .read_by = runtime,
                               .default_value = "1",
                               .min = 1,
                               .max = 1024,
                               .unit = "invocations",
                               .doc = "set by Lambda: invocations served at once (one invocation loop each)"};
const variable threads{
    .name = "TSPROXY_THREADS",
    .kind = value_kind::count,
    .read_by = runtime,
    .default_value = "",
    .min = 1,
    .max = 256,
    .unit = "threads",
    .doc =
        "event-loop threads, at most the concurrency. Shared-nothing: each runs its share of the loops "
        "(split "
        "evenly) with its own pool and TLS session cache; standard Lambda (concurrency 1) gets one thread",
    .default_note = "min(CPUs the process may run on, `AWS_LAMBDA_MAX_CONCURRENCY`)"};

// The SOCKS5 listener and tailscaled's LocalAPI, shared by both programs.
const variable socks5_address{.name = "TSPROXY_SOCKS5_ADDRESS",
                              .kind = value_kind::address,
                              .read_by = both,
                              .default_value = "127.0.0.1:1055",
                              .accepts = "ip:port, [v6]:port or localhost:port",
                              .doc =
                                  "tailscaled's SOCKS5 listener: the extension starts it there "
                                  "(`--socks5-server`), the runtime connects "
                                  "to it"};
const variable socks5_username{.name = "TSPROXY_SOCKS5_USERNAME",
                               .kind = value_kind::text,
                               .read_by = runtime,
                               .default_value = "",
                               .max = 255,
                               .unit = "bytes",
                               .doc = "RFC 1929 authentication when set"};
const variable socks5_password{.name = "TSPROXY_SOCKS5_PASSWORD",
                               .kind = value_kind::text,
                               .read_by = runtime,
                               .default_value = "",
                               .max = 255,
                               .unit = "bytes",
                               .doc = "RFC 1929 authentication, with the user name"};
const variable socks5_pipeline{
    .name = "TSPROXY_SOCKS5_PIPELINE",
    .kind = value_kind::flag,
    .read_by = runtime,
    .default_value = "false",
    .doc =
        "send greeting and CONNECT in one write; only for listeners that read ahead (tailscaled, dante) - "
        "microsocks drops the CONNECT"};
const variable socks5_not_ready_window{
    .name = "TSPROXY_SOCKS5_NOT_READY_WINDOW_MS",
    .kind = value_kind::milliseconds,
    .read_by = runtime,
    .default_value = "10000",
    .min = 0,
    .max = day_ms,
    .doc =
        "without a LocalAPI answer, how long after start-up a 0x01 may still mean \"Tailscale is starting\" "
        "(until the first successful CONNECT into the tailnet)"};
const variable tailscale_socket{
    .name = "TSPROXY_TAILSCALE_SOCKET",
    .kind = value_kind::text,
    .read_by = both,
    .default_value = "/tmp/tailscale.sock",
    .accepts = "a socket path; `none` (runtime only: the extension needs one) never asks",
    .doc =
        "tailscaled's LocalAPI socket: the extension starts tailscaled with it (`--socket`), the runtime "
        "asks "
        "it whether Tailscale is up when the SOCKS5 listener answers 0x01; `none`: the runtime never asks"};

// Timeouts.
const variable connect_timeout{.name = "TSPROXY_CONNECT_TIMEOUT_MS",
                               .kind = value_kind::milliseconds,
                               .read_by = runtime,
                               .default_value = "1000",
                               .min = 1,
                               .max = day_ms,
                               .doc = "TCP connect to the SOCKS5 listener"};
const variable socks5_timeout{.name = "TSPROXY_SOCKS5_TIMEOUT_MS",
                              .kind = value_kind::milliseconds,
                              .read_by = runtime,
                              .default_value = "10000",
                              .min = 1,
                              .max = day_ms,
                              .doc = "SOCKS5 handshake, including tailscaled dialling the target"};
const variable tls_handshake_timeout{.name = "TSPROXY_TLS_HANDSHAKE_TIMEOUT_MS",
                                     .kind = value_kind::milliseconds,
                                     .read_by = runtime,
                                     .default_value = "10000",
                                     .min = 1,
                                     .max = day_ms,
                                     .doc = "TLS handshake with the target"};
const variable response_head_timeout{.name = "TSPROXY_RESPONSE_HEAD_TIMEOUT_MS",
                                     .kind = value_kind::milliseconds,
                                     .read_by = runtime,
                                     .default_value = "60000",
                                     .min = 1,
                                     .max = day_ms,
                                     .doc = "request sent -> end of response headers"};
const variable body_idle_timeout{.name = "TSPROXY_BODY_IDLE_TIMEOUT_MS",
                                 .kind = value_kind::milliseconds,
                                 .read_by = runtime,
                                 .default_value = "60000",
                                 .min = 1,
                                 .max = day_ms,
                                 .doc = "longest pause between two pieces of the response body"};
const variable request_timeout{.name = "TSPROXY_REQUEST_TIMEOUT_MS",
                               .kind = value_kind::milliseconds,
                               .read_by = runtime,
                               .default_value = "30000",
                               .min = 1,
                               .max = day_ms,
                               .doc = "whole exchange when no Lambda deadline applies"};
const variable deadline_margin{.name = "TSPROXY_DEADLINE_MARGIN_MS",
                               .kind = value_kind::milliseconds,
                               .read_by = runtime,
                               .default_value = "300",
                               .min = 0,
                               .max = day_ms,
                               .doc = "the proxy answers 504 this long before Lambda's deadline"};

// The connection pool.
const variable pool{.name = "TSPROXY_POOL",
                    .kind = value_kind::flag,
                    .read_by = runtime,
                    .default_value = "true",
                    .doc = "keep upstream connections warm across invocations"};
const variable pool_max_idle_per_target{
    .name = "TSPROXY_POOL_MAX_IDLE_PER_TARGET",
    .kind = value_kind::count,
    .read_by = runtime,
    .default_value = "8",
    .min = 0,
    .max = 10000,
    .unit = "connections",
    .doc = "idle connections kept per target, per process: each thread keeps its share (rounded up)",
    .default_note = "`8`, or `AWS_LAMBDA_MAX_CONCURRENCY` when larger"};
const variable pool_max_idle_total{.name = "TSPROXY_POOL_MAX_IDLE_TOTAL",
                                   .kind = value_kind::count,
                                   .read_by = runtime,
                                   .default_value = "64",
                                   .min = 0,
                                   .max = 100000,
                                   .unit = "connections",
                                   .doc = "idle connections kept overall, per process, split like the above",
                                   .default_note = "`64`, or twice the concurrency when larger"};
const variable pool_idle_timeout{
    .name = "TSPROXY_POOL_IDLE_TIMEOUT_MS",
    .kind = value_kind::milliseconds,
    .read_by = runtime,
    .default_value = "4000",
    .min = 1,
    .max = day_ms,
    .doc = "retire idle connections before common 5 s server keep-alive timeouts"};
const variable pool_max_requests{.name = "TSPROXY_POOL_MAX_REQUESTS",
                                 .kind = value_kind::count,
                                 .read_by = runtime,
                                 .default_value = "10000",
                                 .min = 1,
                                 .max = 4'294'967'295,
                                 .unit = "requests",
                                 .doc = "requests per connection before it is retired"};
const variable pool_max_age{.name = "TSPROXY_POOL_MAX_AGE_MS",
                            .kind = value_kind::milliseconds,
                            .read_by = runtime,
                            .default_value = "600000",
                            .min = 1,
                            .max = day_ms,
                            .doc = "age at which a connection is retired"};

// TLS and HTTP limits.
const variable tls_verify{.name = "TSPROXY_TLS_VERIFY",
                          .kind = value_kind::flag,
                          .read_by = runtime,
                          .default_value = "true",
                          .doc = "verify the target's certificate and name"};
const variable node_tls_reject_unauthorized{.name = "NODE_TLS_REJECT_UNAUTHORIZED",
                                            .kind = value_kind::text,
                                            .read_by = runtime,
                                            .default_value = "",
                                            .accepts = "`0`, or anything else",
                                            .doc =
                                                "`0` turns verification off whatever `TSPROXY_TLS_VERIFY` "
                                                "says, as for the Node.js proxy; other values "
                                                "change nothing"};
const variable tls_ca_file{.name = "TSPROXY_TLS_CA_FILE",
                           .kind = value_kind::text,
                           .read_by = runtime,
                           .default_value = "",
                           .doc = "CA bundle for the targets (loaded at the first HTTPS request)",
                           .default_note =
                               "`SSL_CERT_FILE`, `SSL_CERT_DIR`, `/etc/pki/tls/certs/ca-bundle.crt`, "
                               "`/etc/ssl/certs/ca-certificates.crt`: the first that exists"};
const variable ssl_cert_file{
    .name = "SSL_CERT_FILE",
    .kind = value_kind::text,
    .read_by = both,
    .default_value = "",
    .doc =
        "OpenSSL's variable: the CA bundle when `TSPROXY_TLS_CA_FILE` is unset (the extension's Secrets "
        "Manager calls too); ignored when no such file exists"};
const variable ssl_cert_dir{.name = "SSL_CERT_DIR",
                            .kind = value_kind::text,
                            .read_by = both,
                            .default_value = "",
                            .doc =
                                "OpenSSL's variable: a folder of CA certificates, when no bundle above "
                                "exists; ignored when no such folder exists"};
const variable max_header_bytes{.name = "TSPROXY_MAX_HEADER_BYTES",
                                .kind = value_kind::count,
                                .read_by = runtime,
                                .default_value = "65536",
                                .min = 1024,
                                .max = 1024 * 1024,
                                .unit = "bytes",
                                .doc = "largest response head accepted"};
const variable max_header_count{.name = "TSPROXY_MAX_HEADER_COUNT",
                                .kind = value_kind::count,
                                .read_by = runtime,
                                .default_value = "128",
                                .min = 8,
                                .max = 10000,
                                .unit = "fields",
                                .doc = "most response header fields accepted"};

// The caller contract.
const variable invoke_mode{.name = "TSPROXY_INVOKE_MODE",
                           .kind = value_kind::choice,
                           .read_by = runtime,
                           .default_value = "buffered",
                           .accepts = "buffered or response_stream",
                           .doc = "must match the Function URL's invoke mode"};
const variable allowed_targets{
    .name = "TSPROXY_ALLOWED_TARGETS",
    .kind = value_kind::text,
    .read_by = runtime,
    .default_value = "",
    .accepts = "an allow-list",
    .doc =
        "allow-list, e.g. `100.64.0.0/10:443,[fd7a:115c:a1e0::/48]:*,db.tailnet.ts.net:5432`; others get "
        "403. "
        "The sandbox's own addresses (where the Runtime API listens) are refused unless an entry inside them "
        "names them, e.g. `127.0.0.1:8080`",
    .default_note = "all but the sandbox"};
const variable prewarm{.name = "TSPROXY_PREWARM",
                       .kind = value_kind::text,
                       .read_by = runtime,
                       .default_value = "",
                       .accepts = "[https://]host:port[,...]",
                       .doc = "targets opened at start-up (after the first `next`) and on warmer events"};
const variable prewarm_connections{
    .name = "TSPROXY_PREWARM_CONNECTIONS",
    .kind = value_kind::count,
    .read_by = runtime,
    .default_value = "2",
    .min = 1,
    .max = 64,
    .unit = "connections",
    .doc =
        "connections per prewarmed target, per process: each thread opens its share (rounded up, at least 1) "
        "into its own pool"};
const variable metrics_namespace{.name = "TSPROXY_METRICS_NAMESPACE",
                                 .kind = value_kind::text,
                                 .read_by = runtime,
                                 .default_value = "tailscale-service",
                                 .doc = "CloudWatch namespace of the EMF metrics"};
const variable caller_policy{
    .name = "TSPROXY_CALLER_POLICY",
    .kind = value_kind::text,
    .read_by = runtime,
    .default_value = "",
    .accepts = "a caller policy",
    .doc =
        "which verified callers may reach which targets: a JSON array of `{\"principal\": <role, user or "
        "session ARN, or account id>, \"allowedTargets\": <allow-list>}`; a caller no entry names gets 403 "
        "`CallerNotAllowed` (section \"Callers\")",
    .default_note = "every caller alike"};
const variable trace_context{.name = "TSPROXY_TRACE_CONTEXT",
                             .kind = value_kind::flag,
                             .read_by = runtime,
                             .default_value = "true",
                             .doc =
                                 "the target gets the invocation's `X-Amzn-Trace-Id` and, unless the caller "
                                 "sent one, a `traceparent` derived from it (docs/PROTOCOLS.md 1.2)"};
const variable metrics_phases{
    .name = "TSPROXY_METRICS_PHASES",
    .kind = value_kind::flag,
    .read_by = runtime,
    .default_value = "false",
    .doc =
        "each metric line also splits the latency: `connectLatency`, `socks5Latency`, "
        "`tlsLatency` (zero over a pooled connection) and `firstByteLatency` "
        "(docs/PROTOCOLS.md 1.5)"};
const variable diagnose{
    .name = "TSPROXY_DIAGNOSE",
    .kind = value_kind::flag,
    .read_by = runtime,
    .default_value = "false",
    .doc =
        "every caller may send `ts-diagnose: true` to get a diagnosis of a target instead "
        "of its answer (docs/PROTOCOLS.md 1.6); otherwise only callers whose "
        "`TSPROXY_CALLER_POLICY` entry says `\"diagnose\": true`"};
const variable lambda_log_level{
    .name = "AWS_LAMBDA_LOG_LEVEL",
    .kind = value_kind::choice,
    .read_by = both,
    .default_value = "",
    .accepts = "TRACE, DEBUG, INFO, WARN, ERROR or FATAL",
    .doc =
        "set by Lambda's advanced logging controls (the function's application log level): `TRACE` is "
        "debug, `FATAL` is error"};
const variable lambda_log_format{
    .name = "AWS_LAMBDA_LOG_FORMAT",
    .kind = value_kind::choice,
    .read_by = both,
    .default_value = "Text",
    .accepts = "JSON or Text",
    .doc =
        "set by Lambda's advanced logging controls: `JSON` starts every line with Lambda's `timestamp`, "
        "`level`, `message` and `requestId`; `Text` keeps tsproxy's lines (`level`, `msg`, `request_id`)"};
const variable log_level{
    .name = "TSPROXY_LOG_LEVEL",
    .kind = value_kind::choice,
    .read_by = both,
    .default_value = "info",
    .accepts = "debug, info, warn or error",
    .doc =
        "log level, over `AWS_LAMBDA_LOG_LEVEL`; the extension logs tailscaled's and the "
        "CLI's lines with `\"from\"` naming them",
    .default_note = "`AWS_LAMBDA_LOG_LEVEL`'s, else `info`; `debug` when `DEBUG` is set"};
const variable debug{
    .name = "DEBUG",
    .kind = value_kind::text,
    .read_by = both,
    .default_value = "",
    .doc = "set to anything: `TSPROXY_LOG_LEVEL` defaults to `debug` (as for the Node.js proxy)"};
const variable runtime_api_patience{
    .name = "TSPROXY_RUNTIME_API_PATIENCE_MS",
    .kind = value_kind::milliseconds,
    .read_by = runtime,
    .default_value = "10000",
    .min = 100,
    .max = day_ms,
    .doc =
        "how long the Runtime API may stay unreachable, without a break and with no invocation in flight, "
        "before the runtime takes Lambda for gone and exits"};
const variable shutdown_grace{.name = "TSPROXY_SHUTDOWN_GRACE_MS",
                              .kind = value_kind::milliseconds,
                              .read_by = runtime,
                              .default_value = "250",
                              .min = 0,
                              .max = day_ms,
                              .doc =
                                  "after SIGTERM, how long invocations in flight may take to finish; the "
                                  "process exits as soon as they have"};
const variable warmer_hold{
    .name = "TSPROXY_WARMER_HOLD_MS",
    .kind = value_kind::milliseconds,
    .read_by = runtime,
    .default_value = "100",
    .min = 0,
    .max = day_ms,
    .doc =
        "a warmer invocation keeps its environment busy this long before it answers, so that the N "
        "invocations of one round land on N environments; billed N x this per round. `0` answers at once"};

// The extension's. TS_* keep the meaning the Node.js Tailscale Lambda extension gave them.
const variable secret_api_key{
    .name = "TS_SECRET_API_KEY",
    .kind = value_kind::text,
    .read_by = extension,
    .default_value = "",
    .doc = "the Secrets Manager secret (name or ARN) holding the key, as for the Node.js extension",
    .default_note = "required, unless `TSPROXY_TAILSCALE_AUTH_KEY_FILE`"};
const variable auth_key_file{
    .name = "TSPROXY_TAILSCALE_AUTH_KEY_FILE",
    .kind = value_kind::text,
    .read_by = extension,
    .default_value = "",
    .doc = "instead of `TS_SECRET_API_KEY`: a file holding the secret's text, for runs outside AWS"};
const variable hostname{.name = "TS_HOSTNAME",
                        .kind = value_kind::text,
                        .read_by = extension,
                        .default_value = "",
                        .max = 253,
                        .unit = "bytes",
                        .accepts = "a hostname (letters, digits and dashes, dot-separated labels)",
                        .doc = "the machine name in the admin console (`--hostname`)",
                        .default_note = "tailscaled's default"};
const variable advertise_tags{
    .name = "TS_ADVERTISE_TAGS",
    .kind = value_kind::text,
    .read_by = extension,
    .default_value = "",
    .accepts = "comma-separated ACL tags like tag:lambda",
    .doc =
        "comma-separated ACL tags, e.g. `tag:lambda` (`--advertise-tags`); required with an OAuth client "
        "secret"};
const variable exit_node{.name = "TS_EXIT_NODE",
                         .kind = value_kind::text,
                         .read_by = extension,
                         .default_value = "",
                         .accepts = "a Tailscale IP, a node name or auto:any",
                         .doc =
                             "exit node: a Tailscale IP, a node name (its MagicDNS name, base name or FQDN, "
                             "set once the peers are "
                             "known) or `auto:any` (not pinged)"};
const variable exit_node_required{
    .name = "TS_EXIT_NODE_REQUIRED",
    .kind = value_kind::flag,
    .read_by = extension,
    .default_value = "false",
    .doc =
        "`true`: an exit node that does not answer fails init (`Extension.ExitNodeUnreachable`); else it is "
        "logged and init goes on"};
const variable exit_node_ping_timeout{.name = "TS_EXIT_NODE_PING_TIMEOUT",
                                      .kind = value_kind::duration,
                                      .read_by = extension,
                                      .default_value = "2000ms",
                                      .min = 1,
                                      .max = 60'000,
                                      .doc = "each ping's timeout, as the CLI reads durations"};
const variable exit_node_ping_retries{.name = "TS_EXIT_NODE_PING_RETRIES",
                                      .kind = value_kind::count,
                                      .read_by = extension,
                                      .default_value = "10",
                                      .min = 1,
                                      .max = 100,
                                      .unit = "pings",
                                      .doc = "pings in all (within the ready timeout)"};
const variable exit_node_allow_lan_access{.name = "TS_EXIT_NODE_ALLOW_LAN_ACCESS",
                                          .kind = value_kind::flag,
                                          .read_by = extension,
                                          .default_value = "false",
                                          .doc = "`--exit-node-allow-lan-access`; only with `TS_EXIT_NODE`"};
const variable accept_routes{.name = "TS_ACCEPT_ROUTES",
                             .kind = value_kind::flag,
                             .read_by = extension,
                             .default_value = "false",
                             .doc = "`--accept-routes`: reach targets behind subnet routers"};
const variable tailscaled_path{.name = "TSPROXY_TAILSCALED_PATH",
                               .kind = value_kind::text,
                               .read_by = extension,
                               .default_value = "",
                               .doc = "the tailscaled binary",
                               .default_note = "the layer's `bin/tailscaled` (`/opt/bin/tailscaled`)"};
const variable tailscale_path{.name = "TSPROXY_TAILSCALE_PATH",
                              .kind = value_kind::text,
                              .read_by = extension,
                              .default_value = "",
                              .doc = "the tailscale CLI",
                              .default_note = "the layer's `bin/tailscale` (`/opt/bin/tailscale`)"};
const variable tailscale_state{.name = "TSPROXY_TAILSCALE_STATE",
                               .kind = value_kind::text,
                               .read_by = extension,
                               .default_value = "mem:",
                               .doc = "`--state`; in memory: an ephemeral node"};
const variable tailscale_state_dir{
    .name = "TSPROXY_TAILSCALE_STATE_DIR",
    .kind = value_kind::text,
    .read_by = extension,
    .default_value = "/tmp/tailscale",
    .doc = "`--statedir`, which the extension creates (0700): tailscaled never creates it with `mem:`"};
const variable logs_dir{
    .name = "TS_LOGS_DIR",
    .kind = value_kind::text,
    .read_by = extension,
    .default_value = "",
    .doc =
        "tailscaled's own variable for its logs folder, created by the extension and passed to tailscaled: "
        "without it tailscaled looks in folders that are read-only in Lambda",
    .default_note = "the state folder"};
const variable ready_timeout{
    .name = "TSPROXY_TAILSCALE_READY_TIMEOUT_MS",
    .kind = value_kind::milliseconds,
    .read_by = extension,
    .default_value = "9000",
    .min = 1,
    .max = day_ms,
    .doc =
        "from the extension's start to Tailscale up, exit-node check included (Lambda bounds init to 10 s)"};
const variable wait_ready{
    .name = "TSPROXY_TAILSCALE_WAIT_READY",
    .kind = value_kind::flag,
    .read_by = extension,
    .default_value = "true",
    .doc =
        "the extension's first `next` once Tailscale is up; `false`: once tailscaled's LocalAPI answers, its "
        "SOCKS5 listener open (see Init order)"};
const variable logout{
    .name = "TSPROXY_TAILSCALE_LOGOUT",
    .kind = value_kind::flag,
    .read_by = extension,
    .default_value = "true",
    .doc = "log out on SHUTDOWN and after a failure, which removes the ephemeral node at once"};
const variable http_proxy{
    .name = "TSPROXY_TAILSCALE_HTTP_PROXY",
    .kind = value_kind::flag,
    .read_by = extension,
    .default_value = "true",
    .doc =
        "tailscaled also serves an HTTP proxy (absolute-URL requests and `CONNECT`) on the SOCKS5 port "
        "(docs/PROTOCOLS.md section 5.2.1)"};
}  // namespace vars

namespace {
using namespace vars;
constexpr std::array all{
    &runtime_api,
    &max_concurrency,
    &threads,
    &socks5_address,
    &socks5_username,
    &socks5_password,
    &socks5_pipeline,
    &socks5_not_ready_window,
    &tailscale_socket,
    &connect_timeout,
    &socks5_timeout,
    &tls_handshake_timeout,
    &response_head_timeout,
    &body_idle_timeout,
    &request_timeout,
    &deadline_margin,
    &pool,
    &pool_max_idle_per_target,
    &pool_max_idle_total,
    &pool_idle_timeout,
    &pool_max_requests,
    &pool_max_age,
    &tls_verify,
    &node_tls_reject_unauthorized,
    &tls_ca_file,
    &ssl_cert_file,
    &ssl_cert_dir,
    &max_header_bytes,
    &max_header_count,
    &invoke_mode,
    &allowed_targets,
    &prewarm,
    &prewarm_connections,
    &metrics_namespace,
    &metrics_phases,
    &caller_policy,
    &trace_context,
    &diagnose,
    &lambda_log_level,
    &lambda_log_format,
    &log_level,
    &debug,
    &runtime_api_patience,
    &shutdown_grace,
    &warmer_hold,
    &secret_api_key,
    &auth_key_file,
    &hostname,
    &advertise_tags,
    &exit_node,
    &exit_node_required,
    &exit_node_ping_timeout,
    &exit_node_ping_retries,
    &exit_node_allow_lan_access,
    &accept_routes,
    &tailscaled_path,
    &tailscale_path,
    &tailscale_state,
    &tailscale_state_dir,
    &logs_dir,
    &ready_timeout,
    &wait_ready,
    &logout,
    &http_proxy,
};
}  // namespace

std::span<const variable* const> contract() {
  return all;
}

const variable* find(std::string_view name) {
  for (const variable* v : all) {
    if (v->name == name) return v;
  }
  return nullptr;
}

}  // namespace tsproxy::config
