#include "Options.hpp"

#include <QCommandLineParser>
#include <QDateTime>
#include <QRegularExpression>
#include <QUrl>
#include <cmath>
#include <cstdio>
#include <limits>

#include "venue/binance/BinanceCredentials.hpp"
#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::app {

namespace {

// A Qt timer takes int milliseconds: the longest delay it can wait.
constexpr double kMaxTimerSeconds = double(std::numeric_limits<int>::max()) / 1000.0;  // 24.8 days

// The simulated market's clock is int64 nanoseconds since 1970, with option expiries up to a
// year ahead of the start: 2200 leaves decades of room before int64 ends (2262-04-11). At the
// other end, time 0 means "unset" to the simulator (its default start) and to the engine's
// counters: the range starts well clear of it, in 2000.
bool simStartInRange(const QDateTime& at) {
  return at >= QDateTime(QDate(2000, 1, 1), QTime(0, 0), Qt::UTC) && at < QDateTime(QDate(2200, 1, 1), QTime(0, 0), Qt::UTC);
}

// `text` as a number in [lo, hi]: false for text that is not a number, NaN (which every range
// comparison lets through), infinities and values outside.
bool numberIn(const QString& text, double lo, double hi, double* out) {
  bool ok = false;
  const double v = text.toDouble(&ok);
  if (!ok || !std::isfinite(v) || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

}  // namespace

int parseOptions(const QStringList& arguments, Options& out) {
  QCommandLineParser p;
  p.setApplicationDescription("Kappa — crypto options and derivatives trading terminal");
  p.addHelpOption();
  p.addVersionOption();
  const QCommandLineOption venue("venue",
                                 "Trading venue, repeatable for several at once: sim (the embedded simulated exchange, "
                                 "the default), deribit, binance-futures, evm (Uniswap V2 pools on an EVM chain; e.g. "
                                 "--venue deribit --venue evm).",
                                 "NAME");
  const QCommandLineOption seed("seed", "Seed of the simulated market (same seed, same market).", "N", "1");
  const QCommandLineOption simStart("sim-start", "Start the simulated market at this UTC time (ISO 8601, e.g. 2026-11-23T09:00:00Z; 2000 to 2199): with --seed, the same market on any day.", "TIME");
  const QCommandLineOption dataDir("data-dir", "Data directory (layout, logs). Default: the per-user app data folder.", "DIR");
  const QCommandLineOption headless("headless", "Run the engine only, without a window.");
  const QCommandLineOption duration("duration", "Exit cleanly after SECONDS (at most 2147483).", "SECONDS");
  const QCommandLineOption report("report", "On exit, write a JSON report to FILE.", "FILE");
  const QCommandLineOption screenshot("screenshot", "GUI: save the main window as PNG to FILE, then exit.", "FILE");
  const QCommandLineOption after("after", "Delay before --screenshot, in seconds (default 3).", "SECONDS", "3");
  const QCommandLineOption feedRate("feed-rate", "Simulator book updates per second (default 2500; stress: 200000).",
                                    "N", "2500");
  const QCommandLineOption demo("demo", "Place a few example orders at start (demos and screenshots).");
  const QCommandLineOption view("view", "Central view at start: chart (default), chain, surface, greeks, strategies, risk, audit or desk (an attached window of the risk role).", "NAME", "chart");
  const QCommandLineOption plugin("plugin",
                                  "Load the strategy plugin at PATH and start an instance with the given parameters "
                                  "(repeatable; headless too). A changed binary needs --approve-plugin.",
                                  "PATH[:name=value,...]");
  const QCommandLineOption approvePlugin("approve-plugin",
                                         "Approve the current binary at PATH (its SHA-256) before loading it (repeatable).",
                                         "PATH");
  const QCommandLineOption budget("plugin-budget-ms",
                                  "Time budget of one plugin callback (default 1 ms); 3 overruns stop the instance.", "MS", "1");
  const QCommandLineOption hang("plugin-hang-s",
                                "A plugin callback still running after this trips the watchdog, which halts all "
                                "automation (default 1 s).", "SECONDS", "1");
  const QCommandLineOption risk("risk",
                                "Override one risk limit or trigger of <data-dir>/risk.json for this run (repeatable), "
                                "e.g. max_open_orders=20, instruments/@option/max_position=off, "
                                "triggers/daily_loss/action=reduce. See docs/risk.md.",
                                "NAME=VALUE");
  const QCommandLineOption deribitEnv("deribit-env",
                                      "With --venue deribit: testnet (default), mainnet (real money: only when named) "
                                      "or a ws:// / wss:// URL (a local kappa-exchange). API key from "
                                      "KAPPA_DERIBIT_CLIENT_ID / KAPPA_DERIBIT_CLIENT_SECRET, never the command line.",
                                      "ENV", "testnet");
  const QCommandLineOption currencies("currencies",
                                      "With --venue deribit or binance-futures: the underlyings to trade (default BTC,ETH).",
                                      "LIST", "BTC,ETH");
  const QCommandLineOption deribitCa("deribit-ca", "With --venue deribit: also trust this CA certificate (PEM) for wss.",
                                     "FILE");
  const QCommandLineOption orderLimit(
      "deribit-order-limit",
      "With --venue deribit: your account's matching-engine rate limit as RATE/BURST (requests per second / burst, "
      "e.g. 20/50: Deribit shows it on the account's API page; default 5/20, the lowest tier). Kappa holds its "
      "orders to 90 % of it, so the exchange never ends the session for too many requests.",
      "RATE/BURST");
  p.addOptions({venue, seed, simStart, dataDir, headless, duration, report, screenshot, after, feedRate, demo, view,
                plugin, approvePlugin, budget, hang, risk, deribitEnv, currencies, deribitCa, orderLimit});
  // Headless API key (the GUI keeps it in the OS keychain): a file, never the secret itself on the
  // command line, where `ps` and shell history would show it.
  const QCommandLineOption deribitCredentials(
      "deribit-credentials",
      "Deribit API key file (client_id = ..., client_secret = ..., optional environment = ...), readable only by "
      "you (chmod 600). Wins over KAPPA_DERIBIT_CLIENT_ID / KAPPA_DERIBIT_CLIENT_SECRET.",
      "FILE");
  p.addOption(deribitCredentials);
  const QCommandLineOption underlying("underlying",
                                      "Underlying the option chain, volatility and Greeks views show at start (BTC, ETH; "
                                      "default: the one saved with the layout).", "COIN");
  p.addOption(underlying);
  const QCommandLineOption binanceEnv("binance-env",
                                      "With --venue binance-futures: testnet (default), mainnet (real money: only when "
                                      "named) or an http:// / https:// base URL (a local kappa-exchange). API key from "
                                      "KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET, never the command line.",
                                      "ENV", "testnet");
  const QCommandLineOption binanceCredentials(
      "binance-credentials",
      "Binance API key file (api_key = ..., api_secret = ..., optional environment = ...), readable only by you "
      "(chmod 600). Wins over KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET.",
      "FILE");
  p.addOptions({binanceEnv, binanceCredentials});
  const QCommandLineOption rpcUrl("rpc-url",
                                  "With --venue evm: the chain node's JSON-RPC URL (http:// or https://; e.g. "
                                  "http://127.0.0.1:8545 from kappa-exchange --chain, or your provider's URL). "
                                  "Wins over the deployment file's rpc_url.",
                                  "URL");
  const QCommandLineOption evmDeployment("evm-deployment",
                                         "With --venue evm: the pools (and tokens, chain id, RPC URL) from the JSON "
                                         "kappa-exchange --chain --addresses-out FILE writes.",
                                         "FILE");
  const QCommandLineOption evmPools("evm-pools",
                                    "With --venue evm: a file of Uniswap V2 pair addresses, one a line (# comments); "
                                    "tokens, symbols and decimals are read from the chain.",
                                    "FILE");
  const QCommandLineOption evmKeyFile("evm-key-file",
                                      "With --venue evm: the wallet's private key file (64 hex digits alone), readable "
                                      "only by you (chmod 600). Wins over KAPPA_EVM_PRIVATE_KEY; never put the key "
                                      "on the command line.",
                                      "FILE");
  p.addOptions({rpcUrl, evmDeployment, evmPools, evmKeyFile});
  const QCommandLineOption serve("serve",
                                 "With --headless: serve this engine to attached GUIs and the desk through the NATS "
                                 "server at URL (nats://HOST:PORT, or tls:// with --tls-ca). User and password from "
                                 "KAPPA_NATS_USER / KAPPA_NATS_PASSWORD unless --nats-creds. See docs/desk.md.",
                                 "URL");
  const QCommandLineOption engineName("engine-name", "With --serve: this engine's name on the desk (A-Z a-z 0-9 _ -).",
                                      "NAME");
  const QCommandLineOption attach("attach",
                                  "Open the window over a remote engine (kappa --headless --serve) through the NATS "
                                  "server at URL; with --engine NAME. No venue runs in this process.",
                                  "URL");
  const QCommandLineOption attachEngine("engine", "With --attach: the engine's name (kappa --engine-name).", "NAME");
  const QCommandLineOption natsCreds("nats-creds", "NATS credentials file (JWT and NKey seed, chmod 600) instead of a user and password; the user's name is its JWT's.",
                                     "FILE");
  const QCommandLineOption tlsCa("tls-ca", "Trust only this CA certificate (PEM) for the NATS server's TLS.", "FILE");
  const QCommandLineOption tlsCert("tls-cert", "Client certificate (PEM) for the NATS server, when it asks for one.", "FILE");
  const QCommandLineOption tlsKey("tls-key", "The client certificate's private key (PEM, chmod 600).", "FILE");
  const QCommandLineOption commandUsers("command-users",
                                        "With --serve: the NATS users that may send this engine trading commands "
                                        "(comma-separated; the server's permissions decide who can reach it at all).",
                                        "LIST");
  const QCommandLineOption riskUsers("risk-users",
                                     "With --serve: the NATS users with the risk role (they may also halt, resume "
                                     "and change limits; the desk halt is theirs).",
                                     "LIST");
  const QCommandLineOption failClosed("desk-fail-closed",
                                      "With --serve: after SECONDS without the NATS server (default 10), go to "
                                      "--desk-fail-action.", "SECONDS", "10");
  const QCommandLineOption failAction("desk-fail-action",
                                      "With --serve: reduce (default: only orders that reduce a position) or halt, "
                                      "when the NATS server has been lost for --desk-fail-closed seconds.",
                                      "ACTION", "reduce");
  const QCommandLineOption focusLease("focus-lease",
                                      "With --serve: an attached window's focus (the books sent for it) lapses SECONDS "
                                      "after the window last renewed it (default 15; windows renew every 5).",
                                      "SECONDS", "15");
  p.addOptions({serve, engineName, attach, attachEngine, natsCreds, tlsCa, tlsCert, tlsKey, commandUsers, riskUsers,
                failClosed, failAction, focusLease});

  const QString usage = p.helpText().replace("<executable_name>", "kappa");
  auto fail = [&](const QString& why) {
    std::fprintf(stderr, "kappa: %s\n\n%s", qPrintable(why), qPrintable(usage));
    return 2;
  };
  if (!p.parse(arguments)) return fail(p.errorText());
  if (p.isSet("help")) {
    std::printf("%s", qPrintable(usage));
    return 0;
  }
  if (p.isSet("version")) {
    std::printf("kappa %s\n", KAPPA_VERSION);
    return 0;
  }
  if (!p.positionalArguments().isEmpty()) return fail("unexpected argument: " + p.positionalArguments().first());

  out.venues.clear();
  for (const QString& v : p.values(venue)) {
    if (v != "sim" && v != "deribit" && v != "binance-futures" && v != "evm")
      return fail("unknown venue '" + v + "' (available: sim, deribit, binance-futures, evm)");
    if (out.venues.contains(v)) return fail("--venue " + v + " is named twice");
    if (v == "sim") out.venues.prepend(v);  // its instrument ids are its own: it lists first
    else out.venues << v;
  }
  if (out.venues.isEmpty()) out.venues << "sim";
  out.deribitEnv = p.value(deribitEnv);
  {
    kappa::deribit::DeribitEndpoint endpoint;
    std::string error;
    if (!kappa::deribit::parseDeribitEndpoint(out.deribitEnv.toStdString(), endpoint, error))
      return fail("--deribit-env: " + QString::fromStdString(error));
  }
  out.currencies.clear();
  for (const QString& c : p.value(currencies).split(',', Qt::SkipEmptyParts)) {
    const QString up = c.trimmed().toUpper();
    if (up != "BTC" && up != "ETH") return fail("--currencies takes BTC and/or ETH, got '" + c + "'");
    if (!out.currencies.contains(up)) out.currencies << up;
  }
  if (out.currencies.isEmpty()) return fail("--currencies needs at least one of BTC, ETH");
  out.deribitCa = p.value(deribitCa);
  if (!out.uses("deribit") && (p.isSet(deribitEnv) || p.isSet(deribitCa) || p.isSet(orderLimit)))
    return fail("--deribit-env, --deribit-ca and --deribit-order-limit need --venue deribit");
  if (!out.uses("deribit") && !out.uses("binance-futures") && p.isSet(currencies))
    return fail("--currencies needs an exchange venue (--venue deribit or --venue binance-futures)");
  if (p.isSet(orderLimit)) {
    const QStringList parts = p.value(orderLimit).split('/');
    bool rateOk = false, burstOk = false;
    const double rate = parts.size() == 2 ? parts[0].toDouble(&rateOk) : 0.0;
    const double burst = parts.size() == 2 ? parts[1].toDouble(&burstOk) : 0.0;
    // Finite, positive and at most what any Deribit tier grants (the rate's bound keeps a typo
    // such as 2000/50 from disabling the protection).
    if (!rateOk || !burstOk || !(rate >= 0.1 && rate <= 1000) || !(burst >= 1 && burst <= 10000) || burst < rate / 10)
      return fail("--deribit-order-limit must be RATE/BURST such as 20/50 (requests per second from 0.1 to 1000, "
                  "burst from 1 to 10000), got '" + p.value(orderLimit) + "'");
    out.deribitOrderRate = rate;
    out.deribitOrderBurst = burst;
  }
  bool ok = false;
  out.seed = p.value(seed).toULongLong(&ok);
  if (!ok) return fail("--seed must be a non-negative integer, got '" + p.value(seed) + "'");
  if (p.isSet(simStart)) {
    const QDateTime at = QDateTime::fromString(p.value(simStart), Qt::ISODate);
    if (!at.isValid()) return fail("--sim-start must be an ISO 8601 time such as 2026-11-23T09:00:00Z, got '" + p.value(simStart) + "'");
    if (!simStartInRange(at))
      return fail("--sim-start must be from 2000-01-01T00:00:00Z and before 2200-01-01T00:00:00Z (the simulator's "
                  "clock range), got '" + p.value(simStart) + "'");
    out.simStartMs = at.toMSecsSinceEpoch();
  }
  out.dataDir = p.value(dataDir);
  out.headless = p.isSet(headless);
  out.demo = p.isSet(demo);
  out.view = p.value(view);
  if (!QStringList{"chart", "chain", "surface", "greeks", "strategies", "audit", "risk", "desk"}.contains(out.view))
    return fail("--view must be chart, chain, surface, greeks, strategies, risk, audit or desk (--attach, risk role), got '" +
                out.view + "'");
  if (p.isSet(duration)) {
    if (!numberIn(p.value(duration), 0, kMaxTimerSeconds, &out.durationS) || out.durationS <= 0)
      return fail("--duration must be a number of seconds above 0 and at most 2147483 (24.8 days; leave it out to run "
                  "until stopped), got '" + p.value(duration) + "'");
  }
  out.reportFile = p.value(report);
  out.screenshotFile = p.value(screenshot);
  if (!numberIn(p.value(after), 0, kMaxTimerSeconds, &out.screenshotAfterS))
    return fail("--after must be a number of seconds from 0 to 2147483, got '" + p.value(after) + "'");
  if (!numberIn(p.value(feedRate), 0, 5e6, &out.feedRate))
    return fail("--feed-rate must be a number from 0 to 5000000, got '" + p.value(feedRate) + "'");
  if (out.headless && !out.screenshotFile.isEmpty()) return fail("--screenshot needs the GUI (drop --headless)");
  for (const QString& spec : p.values(plugin)) {
    const Options::Plugin pl = parsePluginSpec(spec);
    if (pl.path.isEmpty()) return fail("--plugin needs a path, got '" + spec + "'");
    out.plugins << pl;
  }
  out.approvePlugins = p.values(approvePlugin);
  out.riskOverrides = p.values(risk);
  if (!numberIn(p.value(budget), 0.1, 10000, &out.pluginBudgetMs))
    return fail("--plugin-budget-ms must be a number from 0.1 to 10000, got '" + p.value(budget) + "'");
  if (!numberIn(p.value(hang), 0.05, 3600, &out.pluginHangS) || !(out.pluginHangS * 1000 > out.pluginBudgetMs))
    return fail("--plugin-hang-s must be a number from 0.05 to 3600 s and above the budget, got '" + p.value(hang) + "'");
  out.deribitCredentialsFile = p.value(deribitCredentials);
  if (p.isSet(deribitCredentials) && out.deribitCredentialsFile.isEmpty()) return fail("--deribit-credentials needs a file");
  if (!out.deribitCredentialsFile.isEmpty() && !out.uses("deribit"))
    return fail("--deribit-credentials is for a Deribit venue (--venue deribit); the simulator needs no key");
  out.binanceEnv = p.value(binanceEnv);
  out.binanceCredentialsFile = p.value(binanceCredentials);
  if (!out.uses("binance-futures") && (p.isSet(binanceEnv) || p.isSet(binanceCredentials)))
    return fail("--binance-env and --binance-credentials need --venue binance-futures");
  if (p.isSet(binanceCredentials) && out.binanceCredentialsFile.isEmpty()) return fail("--binance-credentials needs a file");
  {
    kappa::binance::BinanceEndpoint endpoint;
    std::string error;
    if (!kappa::binance::parseBinanceEndpoint(out.binanceEnv.toStdString(), endpoint, error))
      return fail("--binance-env: " + QString::fromStdString(error));
  }
  // --venue evm: where the pools are, which node to ask, the wallet's key file (the key itself never here).
  out.rpcUrl = p.value(rpcUrl);
  out.evmDeploymentFile = p.value(evmDeployment);
  out.evmPoolsFile = p.value(evmPools);
  out.evmKeyFile = p.value(evmKeyFile);
  if (!out.uses("evm") && (p.isSet(rpcUrl) || p.isSet(evmDeployment) || p.isSet(evmPools) || p.isSet(evmKeyFile)))
    return fail("--rpc-url, --evm-deployment, --evm-pools and --evm-key-file need --venue evm");
  if (out.uses("evm")) {
    if (p.isSet(evmDeployment) == p.isSet(evmPools))
      return fail("--venue evm needs the pools from exactly one of --evm-deployment FILE (kappa-exchange --chain "
                  "--addresses-out) or --evm-pools FILE (pair addresses, one a line)");
    if ((p.isSet(evmDeployment) && out.evmDeploymentFile.isEmpty()) || (p.isSet(evmPools) && out.evmPoolsFile.isEmpty()))
      return fail("--evm-deployment / --evm-pools need a file");
    if (p.isSet(evmKeyFile) && out.evmKeyFile.isEmpty()) return fail("--evm-key-file needs a file");
    if (!p.isSet(rpcUrl) && p.isSet(evmPools))
      return fail("--venue evm with --evm-pools needs --rpc-url URL (the node's JSON-RPC endpoint)");
    if (p.isSet(rpcUrl))
      if (const QString problem = rpcUrlProblem(out.rpcUrl); !problem.isEmpty()) return fail("--rpc-url " + problem);
  }
  out.serveUrl = p.value(serve);
  out.engineName = p.value(engineName);
  out.attachUrl = p.value(attach);
  out.attachEngine = p.value(attachEngine);
  out.natsCredsFile = p.value(natsCreds);
  out.tlsCa = p.value(tlsCa);
  out.tlsCert = p.value(tlsCert);
  out.tlsKey = p.value(tlsKey);
  auto userList = [](const QString& text) {
    QStringList users;
    for (const QString& u : text.split(',', Qt::SkipEmptyParts))
      if (!users.contains(u.trimmed())) users << u.trimmed();
    return users;
  };
  out.commandUsers = userList(p.value(commandUsers));
  out.riskUsers = userList(p.value(riskUsers));
  out.deskFailAction = p.value(failAction);
  if (p.isSet(serve) && p.isSet(attach)) return fail("--serve and --attach exclude each other");
  if (p.isSet(serve)) {
    if (!out.headless) return fail("--serve runs a headless engine: add --headless");
    if (const QString problem = natsUrlProblem(out.serveUrl); !problem.isEmpty()) return fail("--serve " + problem);
    if (!p.isSet(engineName)) return fail("--serve needs --engine-name NAME (the engine's name on the desk)");
    if (const QString problem = engineNameProblem(out.engineName); !problem.isEmpty())
      return fail("--engine-name " + problem);
    if (!numberIn(p.value(failClosed), 0.1, 86400, &out.deskFailClosedS))
      return fail("--desk-fail-closed must be a number of seconds from 0.1 to 86400, got '" + p.value(failClosed) + "'");
    if (!numberIn(p.value(focusLease), 1, 3600, &out.focusLeaseS))
      return fail("--focus-lease must be a number of seconds from 1 to 3600, got '" + p.value(focusLease) + "'");
    if (out.deskFailAction != "reduce" && out.deskFailAction != "halt")
      return fail("--desk-fail-action must be reduce or halt, got '" + out.deskFailAction + "'");
    for (const QString& u : out.commandUsers + out.riskUsers)
      if (const QString problem = engineNameProblem(u); !problem.isEmpty())
        return fail("--command-users / --risk-users: user '" + u + "' " + problem);
  } else if (p.isSet(engineName) || p.isSet(commandUsers) || p.isSet(riskUsers) || p.isSet(failClosed) ||
             p.isSet(failAction) || p.isSet(focusLease)) {
    return fail("--engine-name, --command-users, --risk-users, --desk-fail-closed, --desk-fail-action and --focus-lease need --serve");
  }
  if (p.isSet(attach)) {
    if (out.headless) return fail("--attach opens a window: drop --headless");
    if (const QString problem = natsUrlProblem(out.attachUrl); !problem.isEmpty()) return fail("--attach " + problem);
    if (!p.isSet(attachEngine)) return fail("--attach needs --engine NAME (which engine of the desk)");
    if (const QString problem = engineNameProblem(out.attachEngine); !problem.isEmpty()) return fail("--engine " + problem);
    if (p.isSet(venue) || !out.plugins.isEmpty() || !out.riskOverrides.isEmpty() || out.demo)
      return fail("--attach runs no engine here: --venue, --plugin, --risk and --demo belong to the engine's host");
  } else if (p.isSet(attachEngine)) {
    return fail("--engine needs --attach");
  }
  if (!out.serving() && !out.attached() && (p.isSet(natsCreds) || p.isSet(tlsCa) || p.isSet(tlsCert) || p.isSet(tlsKey)))
    return fail("--nats-creds, --tls-ca, --tls-cert and --tls-key need --serve or --attach");
  if (p.isSet(tlsCert) != p.isSet(tlsKey)) return fail("--tls-cert and --tls-key go together");
  out.underlying = p.value(underlying).trimmed().toUpper();
  if (p.isSet(underlying) && !QRegularExpression("^[A-Z0-9_]{2,12}$").match(out.underlying).hasMatch())
    return fail("--underlying must be a coin such as BTC or ETH, got '" + p.value(underlying) + "'");
  return -1;
}

QString rpcUrlProblem(const QString& text) {
  // Never echo the URL: a provider's URL often carries the account's API key in its path.
  const QUrl url(text, QUrl::StrictMode);
  if (!url.isValid() || (url.scheme() != "http" && url.scheme() != "https") || url.host().isEmpty())
    return "must be an http:// or https:// URL with a host, such as http://127.0.0.1:8545";
  if (url.port() == 0) return "must not name port 0";
  if (!url.userInfo().isEmpty())
    return "must not carry user:password@ (not sent to the node, and it would be shown): use the provider's URL with "
           "the key in its path";
  return {};
}

QString engineNameProblem(const QString& name) {
  if (!QRegularExpression("^[A-Za-z0-9_-]{1,64}$").match(name).hasMatch())
    return "must be 1 to 64 of A-Z a-z 0-9 _ - (it is a NATS subject token), got '" + name + "'";
  return {};
}

QString natsUrlProblem(const QString& text) {
  const QUrl url(text, QUrl::StrictMode);
  if (!url.isValid() || (url.scheme() != "nats" && url.scheme() != "tls") || url.host().isEmpty() || url.port() <= 0)
    return "must be a nats:// or tls:// URL with a host and a port, such as nats://127.0.0.1:4222";
  if (!url.userInfo().isEmpty())
    return "must not carry user:password@ (it would be shown): use KAPPA_NATS_USER / KAPPA_NATS_PASSWORD or --nats-creds";
  if (!url.path().isEmpty() && url.path() != "/") return "must not have a path";
  return {};
}

Options::Plugin parsePluginSpec(const QString& spec) {
  const int colon = spec.indexOf(':', spec.lastIndexOf('/') + 1);
  if (colon < 0) return {spec, {}};
  return {spec.left(colon), spec.mid(colon + 1)};
}

}  // namespace kappa::app
