#pragma once
#include <QString>
#include <QStringList>
#include <optional>

namespace kappa::app {

struct Options {
  // --venue NAME, repeatable: sim (the embedded simulator), deribit, binance-futures, evm. One engine
  // holds them all; the simulator, when named, comes first (its instrument ids are its own).
  QStringList venues{"sim"};
  bool uses(const QString& venue) const { return venues.contains(venue); }
  quint64 seed = 1;
  std::optional<qint64> simStartMs;  // simulator clock origin (UTC ms since epoch); none = now
  QString dataDir;            // empty: QStandardPaths::AppDataLocation
  bool headless = false;
  double durationS = 0;       // 0: run until closed / signalled
  QString reportFile;
  QString screenshotFile;
  double screenshotAfterS = 3;
  double feedRate = 2500;     // simulator target L2 updates per second
  bool demo = false;          // place a few example orders at start
  QString view = "chart";     // central view at start: chart, chain, surface, greeks
  struct Plugin {
    QString path;
    QString params;            // "name=value,name=value"
  };
  QList<Plugin> plugins;       // --plugin PATH[:name=value,...], repeatable: loaded and started at launch
  QStringList approvePlugins;  // --approve-plugin PATH: approve a changed binary before loading it
  double pluginBudgetMs = 1.0;  // a plugin callback's time budget; 3 overruns stop the instance
  double pluginHangS = 1.0;     // a callback still running after this trips the watchdog (halt)
  QStringList riskOverrides;    // --risk NAME=VALUE, repeatable: over <data-dir>/risk.json
  QString deribitCredentialsFile;  // --deribit-credentials FILE (0600; format in CredentialSources.hpp)
  QString underlying;           // --underlying BTC|ETH: the per-underlying views' selection at start (else the layout's)
  // --venue deribit
  QString deribitEnv = "testnet";      // --deribit-env testnet|mainnet|URL: mainnet only when named
  QStringList currencies{"BTC", "ETH"};  // --currencies BTC,ETH
  QString deribitCa;                   // --deribit-ca FILE: also trust this CA (a local wss kappa-exchange)
  // --deribit-order-limit RATE/BURST: the account's matching-engine limit (requests per second and
  // burst; Deribit's tiers differ); 0 = Deribit's lowest tier (5/20). Our limiter keeps 90 % of it.
  double deribitOrderRate = 0, deribitOrderBurst = 0;
  // --venue binance-futures
  QString binanceEnv = "testnet";      // --binance-env testnet|mainnet|http://HOST:PORT: mainnet only when named
  QString binanceCredentialsFile;      // --binance-credentials FILE (0600: api_key = ..., api_secret = ...)
  // --venue evm: Uniswap V2 pools on an EVM chain (engine/venue/evm/EvmVenue.hpp).
  QString rpcUrl;                      // --rpc-url http(s)://...: the node's JSON-RPC endpoint (may carry an API key)
  QString evmDeploymentFile;           // --evm-deployment FILE: kappa-exchange --chain --addresses-out's JSON
  QString evmPoolsFile;                // --evm-pools FILE: pair addresses, one a line (# comments)
  QString evmKeyFile;                  // --evm-key-file FILE (0600: the key alone); else KAPPA_EVM_PRIVATE_KEY
  // Edge and desk over NATS (docs/desk.md). User and password from KAPPA_NATS_USER / KAPPA_NATS_PASSWORD
  // unless --nats-creds names a credentials file; never on the command line.
  QString serveUrl;                    // --serve nats://HOST:PORT (or tls://): a headless engine serves itself
  QString engineName;                  // --engine-name NAME: its name on the desk (kappa.NAME.>)
  QString attachUrl;                   // --attach nats://HOST:PORT: this window over a remote engine
  QString attachEngine;                // --engine NAME: which one
  QString natsCredsFile;               // --nats-creds FILE: a NATS credentials file (JWT and NKey seed)
  QString tlsCa, tlsCert, tlsKey;      // --tls-ca / --tls-cert / --tls-key FILE: TLS to the server
  QStringList commandUsers;            // --command-users a,b: users that may send trading commands (served engine)
  QStringList riskUsers;               // --risk-users r: users with the risk role (halt, resume, limits)
  double deskFailClosedS = 10;         // --desk-fail-closed SECONDS: server lost this long -> fail-closed action
  double focusLeaseS = 15;             // --focus-lease SECONDS: an attached window's focus lapses this long after its last renewal
  QString deskFailAction = "reduce";   // --desk-fail-action reduce|halt
  bool serving() const { return !serveUrl.isEmpty(); }
  bool attached() const { return !attachUrl.isEmpty(); }
};

// "PATH[:name=value,...]": the parameters follow the first ':' after the last '/'.
Options::Plugin parsePluginSpec(const QString& spec);

// "" when `url` can be a node's JSON-RPC URL (http:// or https://, a host, no user:password@ part,
// which the RPC client does not send and would print); else why not, never quoting the URL (a
// provider's URL carries the account's API key).
QString rpcUrlProblem(const QString& url);

// "" when `name` can name an engine on the desk (1 to 64 of A-Z a-z 0-9 _ -: it is a subject token);
// else why not.
QString engineNameProblem(const QString& name);
// "" when `url` can be a NATS server URL (nats:// or tls://, a host and a port, no user:password@
// part, which would be shown); else why not.
QString natsUrlProblem(const QString& url);

// Parses argv. On --help/--version prints and returns exit code 0; on a bad or unknown option
// prints the reason and usage and returns 2; otherwise returns -1 and fills `out`. Every number
// is checked for what it becomes (a timer's int milliseconds, nanoseconds in an int64): NaN,
// infinities and values beyond that range are refused, never wrapped or clamped.
int parseOptions(const QStringList& arguments, Options& out);

}  // namespace kappa::app
