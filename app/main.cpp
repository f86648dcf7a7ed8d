// kappa: wires the engine (with its venue) to the trading window, or runs it headless.
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "AttachedTerminal.hpp"
#include "CredentialSources.hpp"
#include "CredentialStore.hpp"
#include "DemoOrders.hpp"
#include "DeskCommands.hpp"
#include "DeskReport.hpp"
#include "EvmReport.hpp"
#include "EvmWalletKey.hpp"
#include "MainWindow.hpp"
#include "NatsAccess.hpp"
#include "Options.hpp"
#include "Report.hpp"
#include "StrategyLog.hpp"
#include "Theme.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "remote/EngineServer.hpp"
#include "core/Log.hpp"
#include "risk/RiskConfigFile.hpp"
#include "sim/SimVenue.hpp"
#include "strategy/PluginLoader.hpp"
#include "venue/deribit/DeribitConnectionTest.hpp"
#include "venue/binance/BinanceConnectionTest.hpp"
#include "venue/binance/BinanceVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/Address.hpp"

#include <nlohmann/json.hpp>

namespace {

std::atomic<bool> g_quitRequested{false};
std::atomic<bool> g_haltRequested{false};
void onSignal(int) { g_quitRequested.store(true); }
// SIGUSR1: HALT ALL, for a headless kappa (or from a script beside the GUI).
void onHaltSignal(int) { g_haltRequested.store(true); }

// The terminal window's Deribit key: the one File → Connections… saved for this environment in the
// OS keychain. Read once at start, before the window and the engine exist (nothing waits on it yet);
// bounded, and a missing or unreachable keychain means market data only, with the reason logged.
kappa::deribit::DeribitCredentials keychainCredentials(const QString& dataDir, const QString& environment) {
  const std::optional<kappa::ui::ConnectionProfile> profile = kappa::ui::ConnectionProfile::forEnvironment(environment);
  if (!profile) return {};
  kappa::ui::CredentialStore store(dataDir + "/connections.ini");
  const std::optional<kappa::ui::ConnectionProfile> saved = store.profile(profile->key());
  if (!saved || !saved->secretStored) {
    kappa::log::info("app", "no API key saved for " + profile->key().toStdString() +
                                " (File → Connections…): market data only");
    return {};
  }
  kappa::deribit::DeribitCredentials found;
  QEventLoop wait;
  QTimer::singleShot(10'000, &wait, &QEventLoop::quit);
  store.loadCredentials(profile->key(), &wait, [&](const kappa::deribit::DeribitCredentials& c, const QString& error) {
    if (!error.isEmpty()) kappa::log::warn("app", "OS keychain: " + error.toStdString() + ": market data only");
    found = c;
    wait.quit();
  });
  wait.exec();
  return found;
}

// The terminal window's wallet key for --venue evm: the one File → Connections… saved in the OS
// keychain (entry evm/wallet), read like keychainCredentials above. Not found (nothing saved, no
// keychain) means market data only, with the reason logged; a stored key that does not match the
// address saved with it is an error (the keychain entry was replaced behind Kappa's back).
kappa::app::EvmWalletKeyResult keychainWalletKey(const QString& dataDir) {
  using Result = kappa::app::EvmWalletKeyResult;
  kappa::ui::CredentialStore store(dataDir + "/connections.ini");
  const std::optional<kappa::ui::ConnectionProfile> saved = store.profile(kappa::ui::kEvmWalletKey);
  if (!saved || !saved->secretStored) {
    kappa::log::info("app", "no wallet key saved (File → Connections… → evm): market data only");
    return {};
  }
  Result found;
  bool answered = false;
  QEventLoop wait;
  QTimer::singleShot(10'000, &wait, &QEventLoop::quit);
  store.readSecret(kappa::ui::kEvmWalletKey, &wait, [&](const QString& secret, const QString& error) {
    answered = true;
    wait.quit();
    if (!error.isEmpty()) {
      kappa::log::warn("app", "OS keychain: " + error.toStdString() + ": market data only");
      return;
    }
    QString normalized;
    QString why;
    const QString address = kappa::ui::evmAddressOfKey(secret, &why, &normalized);
    if (address.isEmpty() || address.compare(saved->clientId.trimmed(), Qt::CaseInsensitive) != 0) {
      found.status = Result::Status::Error;
      found.error = "OS keychain entry " + kappa::ui::kEvmWalletKey.toStdString() + ": " +
                    (address.isEmpty() ? why.toStdString()
                                       : "the key is not the one saved for " + saved->clientId.toStdString()) +
                    " (save the wallet key again in File → Connections…)";
      return;
    }
    QByteArray latin = normalized.toLatin1();
    found.key.emplace(kappa::evm::PrivateKey::fromHex(std::string_view(latin.constData(), std::size_t(latin.size()))));
    latin.fill('\0');
    normalized.fill(QChar(u'0'));
    found.status = Result::Status::Loaded;
    found.origin = "the OS keychain (" + kappa::ui::kEvmWalletKey.toStdString() + ")";
  });
  if (!answered) wait.exec();  // a backend may answer at once (no keychain at all)
  if (!answered) kappa::log::warn("app", "OS keychain: no answer within 10 s: no wallet key, market data only");
  return found;
}

// Log lines go to <data-dir>/logs/kappa.log; warnings and errors also to stderr (everything, if
// the file cannot be opened). Strategy, plugin and watchdog lines are also handed to the strategy
// manager's log when there is one (not headless): the GUI drains it once per frame.
void installLogFile(const QString& dataDir, kappa::ui::StrategyLog* strategyLog) {
  QDir().mkpath(dataDir + "/logs");
  auto file = std::make_shared<QFile>(dataDir + "/logs/kappa.log");
  if (!file->open(QIODevice::Append | QIODevice::Text)) {
    std::fprintf(stderr, "kappa: cannot open log file %s: %s\n", qPrintable(file->fileName()), qPrintable(file->errorString()));
    file.reset();
    if (!strategyLog) return;  // the logger's own stderr output is as good
  }
  kappa::log::setSink([file, strategyLog](kappa::log::Level level, std::string_view component, std::string_view message) {
    if (strategyLog && kappa::ui::StrategyLog::wants(component)) strategyLog->append(level, component, message);
    const QByteArray line = QDateTime::currentDateTimeUtc().toString("yyyy-MM-ddTHH:mm:ss.zzzZ").toUtf8() + " " +
                            kappa::log::nameOf(level) + " " + QByteArray(component.data(), qsizetype(component.size())) +
                            ": " + QByteArray(message.data(), qsizetype(message.size())) + "\n";
    if (file) {
      file->write(line);
      file->flush();
    }
    if (!file || level >= kappa::log::Level::Warn) std::fputs(line.constData(), stderr);
  });
}

// --plugin: load and start each instance. Headless, a plugin that cannot be loaded, configured or
// started ends the run with its reason (exit 2): a batch job must not run without its strategy.
// With the GUI the reasons go to the log and the strategy manager, and the terminal stays up.
// <data-dir>/risk.json (created with the defaults when missing), then each --risk in order. A bad
// value starts the terminal HALTED with the file, key and reason, never with a guess.
void configureRisk(kappa::Engine& engine, const std::string& path, const QStringList& overrides) {
  kappa::RiskConfig config;
  std::string error;
  bool created = false;
  bool ok = kappa::loadRiskConfig(path, &config, &error, &created);
  for (const QString& o : overrides)
    if (ok) ok = kappa::applyRiskOverride(&config, o.toStdString(), &error);
  if (!ok) {
    std::fprintf(stderr, "kappa: %s\nkappa: starting HALTED: fix the limits and restart\n", error.c_str());
    engine.refuseRiskConfig(error);
    return;
  }
  if (created) kappa::log::info("risk", "created " + path + " with the default limits (docs/risk.md)");
  config.source = path + (overrides.isEmpty() ? "" : " + " + overrides.join(" ").prepend("--risk ").toStdString());
  engine.setRiskConfig(std::move(config));
}

int launchPlugins(kappa::Engine& engine, const kappa::app::Options& opt) {
  std::vector<std::pair<QString, std::future<std::string>>> pending;
  for (const auto& pl : opt.plugins) {
    kappa::Engine::StrategyLaunch launch;
    launch.path = pl.path.toStdString();
    std::string error;
    if (!kappa::parseParamAssignments(pl.params.toStdString(), &launch.params, &error)) {
      std::fprintf(stderr, "kappa: --plugin %s: %s\n", qPrintable(pl.path), error.c_str());
      return 2;
    }
    for (const QString& a : opt.approvePlugins)
      if (kappa::PluginLoader::canonicalPath(a.toStdString()) == kappa::PluginLoader::canonicalPath(launch.path))
        launch.approve = true;
    auto done = std::make_shared<std::promise<std::string>>();
    pending.emplace_back(pl.path, done->get_future());
    engine.launchStrategy(std::move(launch), [done](std::string e) { done->set_value(std::move(e)); });
  }
  if (!opt.headless) return 0;
  for (auto& [path, result] : pending) {
    if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      std::fprintf(stderr, "kappa: --plugin %s: no answer within 30 s\n", qPrintable(path));
      return 2;
    }
    if (const std::string e = result.get(); !e.empty()) {
      std::fprintf(stderr, "kappa: --plugin %s: %s\n", qPrintable(path), e.c_str());
      return 2;
    }
  }
  return 0;
}

// --venue evm: the venue's configuration from the options. The pools come from kappa-exchange
// --chain's deployment JSON (--evm-deployment; also its rpc_url and chain id) or from a file of pair
// addresses (--evm-pools: one a line, # comments; everything else is read from the chain). --rpc-url
// wins over the deployment's URL. False with `error` naming the option and why.
bool evmConfigFromOptions(const kappa::app::Options& opt, kappa::evm::EvmVenueConfig& config, std::string& error) {
  auto readFile = [](const QString& path, QByteArray& bytes, std::string& why) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
      why = "cannot read " + path.toStdString() + ": " + f.errorString().toStdString();
      return false;
    }
    bytes = f.read(16 * 1024 * 1024);
    return true;
  };
  QByteArray bytes;
  if (!opt.evmDeploymentFile.isEmpty()) {
    std::string why;
    if (!readFile(opt.evmDeploymentFile, bytes, why)) {
      error = "--evm-deployment: " + why;
      return false;
    }
    const nlohmann::json deployment = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (deployment.is_discarded()) {
      error = "--evm-deployment " + opt.evmDeploymentFile.toStdString() + ": not JSON";
      return false;
    }
    if (!kappa::evm::evmConfigFromDeployment(deployment, config, why)) {
      error = "--evm-deployment " + opt.evmDeploymentFile.toStdString() + ": " + why;
      return false;
    }
  } else {
    std::string why;
    if (!readFile(opt.evmPoolsFile, bytes, why)) {
      error = "--evm-pools: " + why;
      return false;
    }
    int lineNo = 0;
    for (const QByteArray& raw : bytes.split('\n')) {
      ++lineNo;
      const QByteArray line = raw.trimmed();
      if (line.isEmpty() || line.startsWith('#')) continue;
      try {
        (void)kappa::evm::parseAddress(line.toStdString());
      } catch (const std::exception& e) {
        error = "--evm-pools " + opt.evmPoolsFile.toStdString() + " line " + std::to_string(lineNo) +
                ": not a pair address (0x and 40 hex digits, EIP-55 checksum if mixed case): " + e.what();
        return false;
      }
      for (const kappa::evm::EvmPoolConfig& listed : config.pools)
        if (kappa::evm::parseAddress(listed.pair) == kappa::evm::parseAddress(line.toStdString())) {
          error = "--evm-pools " + opt.evmPoolsFile.toStdString() + " line " + std::to_string(lineNo) + ": " +
                  listed.pair + " is listed twice";
          return false;
        }
      kappa::evm::EvmPoolConfig pool;
      pool.pair = line.toStdString();
      config.pools.push_back(std::move(pool));
    }
    if (config.pools.empty()) {
      error = "--evm-pools " + opt.evmPoolsFile.toStdString() + ": no pair address in it";
      return false;
    }
  }
  if (!opt.rpcUrl.isEmpty()) config.rpcUrl = opt.rpcUrl.toStdString();
  if (config.rpcUrl.empty()) {
    error = "--venue evm: no RPC URL (--rpc-url URL, or rpc_url in the deployment file)";
    return false;
  }
  if (const QString problem = kappa::app::rpcUrlProblem(QString::fromStdString(config.rpcUrl)); !problem.isEmpty()) {
    error = (opt.rpcUrl.isEmpty() ? "--evm-deployment's rpc_url " : "--rpc-url ") + problem.toStdString();
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  QStringList args;
  for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
  if (kappa::app::isDeskCommand(args)) return kappa::app::runDeskCommand(args);
  kappa::app::Options opt;
  if (const int code = kappa::app::parseOptions(args, opt); code >= 0) return code;

  QCoreApplication::setOrganizationName("Kappa");
  QCoreApplication::setApplicationName("kappa");
  QCoreApplication::setApplicationVersion(KAPPA_VERSION);
  std::unique_ptr<QCoreApplication> app;
  // Qt reads -plugin/--plugin itself (QPA plugins) and would complain about ours: hand Qt the
  // arguments without kappa's plugin options (Qt keeps pointers into them: they live until exit).
  static std::vector<char*> qtArgv;
  for (int i = 0; i < argc; ++i) {
    const QString a = QString::fromLocal8Bit(argv[i]);
    if (a == "--plugin" || a == "--approve-plugin") {
      ++i;
      continue;
    }
    if (a.startsWith("--plugin=") || a.startsWith("--approve-plugin=")) continue;
    qtArgv.push_back(argv[i]);
  }
  qtArgv.push_back(nullptr);
  static int qtArgc = int(qtArgv.size()) - 1;
  if (opt.headless) app = std::make_unique<QCoreApplication>(qtArgc, qtArgv.data());
  else app = std::make_unique<QApplication>(qtArgc, qtArgv.data());

  const QString dataDir = opt.dataDir.isEmpty()
                              ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
                              : QDir(opt.dataDir).absolutePath();
  if (!QDir().mkpath(dataDir)) {
    std::fprintf(stderr, "kappa: cannot create data directory %s\n", qPrintable(dataDir));
    return 1;
  }
  // Static: the log sink may still be called from engine-side threads until the sink is removed,
  // whichever way main() is left.
  static kappa::ui::StrategyLog strategyLog;
  installLogFile(dataDir, opt.headless ? nullptr : &strategyLog);
  kappa::log::info("app", "kappa " KAPPA_VERSION " starting, data dir " + dataDir.toStdString() + ", seed " +
                              std::to_string(opt.seed));

  if (opt.attached()) {
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QTimer quitPoll;
    QObject::connect(&quitPoll, &QTimer::timeout, app.get(), [] {
      if (g_quitRequested.load()) QCoreApplication::quit();
    });
    quitPoll.start(100);
    const int rc = kappa::app::runAttachedTerminal(opt, *static_cast<QApplication*>(app.get()), dataDir);
    kappa::log::setSink(nullptr);
    return rc;
  }

  QElapsedTimer runTime;
  runTime.start();
  kappa::sim::SimConfig sim;
  sim.seed = opt.seed;
  sim.startTime = opt.simStartMs ? *opt.simStartMs * 1'000'000 : kappa::wallNow() / 1'000'000 * 1'000'000;
  sim.updatesPerSecond = opt.feedRate;
  kappa::StrategyHostConfig strategyConfig;
  strategyConfig.callbackBudget = kappa::Nanos(opt.pluginBudgetMs * 1e6);
  strategyConfig.hangTimeout = kappa::Nanos(opt.pluginHangS * 1e9);
  // Every venue named (--venue, repeatable), in that order: one engine over all of them.
  std::vector<std::unique_ptr<kappa::Venue>> venues;
  kappa::deribit::DeribitVenue* deribit = nullptr;
  kappa::binance::BinanceVenue* binance = nullptr;
  kappa::evm::EvmVenue* evm = nullptr;
  for (const QString& name : opt.venues) {
    if (name == "sim") {
      venues.push_back(std::make_unique<kappa::sim::SimVenue>(sim));
    } else if (name == "deribit") {
      kappa::deribit::DeribitVenueConfig config;
      std::string error;
      kappa::deribit::parseDeribitEndpoint(opt.deribitEnv.toStdString(), config.endpoint, error);  // checked by Options
      config.endpoint.caFile = opt.deribitCa.toStdString();
      if (opt.deribitOrderRate > 0) {
        config.limits.matchingRefillPerS = opt.deribitOrderRate;
        config.limits.matchingCapacity = opt.deribitOrderBurst;
      }
      // The API key: --deribit-credentials FILE (0600), else the environment (app/CredentialSources.hpp).
      const kappa::app::CredentialSourceResult key =
          kappa::app::resolveHeadlessCredentials(opt.deribitCredentialsFile.toStdString());
      std::string refusal = key.failed() ? key.error : kappa::app::checkCredentialsForEndpoint(key, config.endpoint);
      if (!refusal.empty()) {
        std::fprintf(stderr, "kappa: %s\n", refusal.c_str());
        return 2;
      }
      config.credentials = key.credentials;
      if (!key.loaded() && !opt.headless) config.credentials = keychainCredentials(dataDir, opt.deribitEnv);
      config.currencies.clear();
      for (const QString& c : opt.currencies) config.currencies.push_back(c.toStdString());
      kappa::log::info("app", "venue deribit: " + config.endpoint.environment + " " + config.endpoint.url + ", " +
                                  (config.credentials.empty() ? std::string("no API key (market data only)")
                                                              : "API key " + config.credentials.maskedId()));
      auto v = std::make_unique<kappa::deribit::DeribitVenue>(std::move(config));
      deribit = v.get();
      venues.push_back(std::move(v));
    } else if (name == "binance-futures") {
      kappa::binance::BinanceVenueConfig config;
      std::string error;
      if (!kappa::binance::parseBinanceEndpoint(opt.binanceEnv.toStdString(), config.endpoint, error)) {
        std::fprintf(stderr, "kappa: --binance-env: %s\n", error.c_str());
        return 2;
      }
      // The API key: --binance-credentials FILE (0600), else KAPPA_BINANCE_API_KEY / _SECRET.
      const kappa::app::CredentialSourceResult key = kappa::app::resolveHeadlessCredentials(
          opt.binanceCredentialsFile.toStdString(), kappa::app::binanceFormat());
      const std::string refusal = key.failed() ? key.error : kappa::app::checkCredentialsForEndpoint(key, config.endpoint);
      if (!refusal.empty()) {
        std::fprintf(stderr, "kappa: %s\n", refusal.c_str());
        return 2;
      }
      config.credentials = kappa::app::binanceCredentialsOf(key);
      config.baseAssets.clear();
      for (const QString& c : opt.currencies) config.baseAssets.push_back(c.toStdString());
      kappa::log::info("app", "venue binance-futures: " + config.endpoint.environment + " " + config.endpoint.restBase +
                                  ", " + (config.credentials.empty() ? std::string("no API key (market data only)")
                                                                     : "API key " + config.credentials.maskedKey()));
      auto v = std::make_unique<kappa::binance::BinanceVenue>(std::move(config));
      binance = v.get();
      venues.push_back(std::move(v));
    } else if (name == "evm") {
      kappa::evm::EvmVenueConfig config;
      std::string error;
      if (!evmConfigFromOptions(opt, config, error)) {
        std::fprintf(stderr, "kappa: %s\n", error.c_str());
        return 2;
      }
      // The wallet: --evm-key-file FILE (0600), else KAPPA_EVM_PRIVATE_KEY (app/EvmWalletKey.hpp),
      // else (GUI only) the OS keychain,
      // handed to the venue, which signs with it; only its address is shown.
      kappa::app::EvmWalletKeyResult key = kappa::app::resolveEvmWalletKey(opt.evmKeyFile.toStdString());
      // Neither, in the terminal window: the key saved with File → Connections… (as Deribit's).
      if (!key.loaded() && !key.failed() && !opt.headless) key = keychainWalletKey(dataDir);
      if (key.failed()) {
        std::fprintf(stderr, "kappa: %s\n", key.error.c_str());
        return 2;
      }
      const std::string rpc = kappa::evm::EvmVenue::redactedUrl(config.rpcUrl);
      const std::size_t pools = config.pools.size();
      auto v = std::make_unique<kappa::evm::EvmVenue>(std::move(config));
      if (key.key) v->setWalletKey(std::move(*key.key));
      kappa::log::info("app", "venue evm: " + rpc + ", " + std::to_string(pools) + " pool(s), " +
                                  (key.loaded() ? "wallet " + v->walletAddress() + " (key from " + key.origin + ")"
                                                : std::string("no wallet key (market data only)")));
      evm = v.get();
      venues.push_back(std::move(v));
    }
  }
  kappa::app::forgetSecretFromEnvironment();  // processes kappa starts do not inherit the keys
  kappa::Engine engine(std::move(venues), strategyConfig);
  // A venue that listed nothing cannot be traded: say which and why rather than show empty views.
  auto listedNothing = [&engine](const kappa::Venue* v) {
    for (const kappa::Instrument& inst : engine.instruments().all())
      if (inst.venue == v->id()) return false;
    return true;
  };
  if (deribit && listedNothing(deribit)) {
    std::fprintf(stderr, "kappa: no instruments from Deribit (%s): %s\n", opt.deribitEnv.toUtf8().constData(),
                 deribit->listError().c_str());
    return 1;
  }
  if (binance && listedNothing(binance)) {
    std::fprintf(stderr, "kappa: no instruments from Binance USD-M futures (%s): %s\n",
                 opt.binanceEnv.toUtf8().constData(), binance->listError().c_str());
    return 1;
  }
  if (evm && listedNothing(evm)) {
    std::fprintf(stderr, "kappa: no pools from the chain at %s: %s\n",
                 kappa::evm::EvmVenue::redactedUrl(evm->config().rpcUrl).c_str(), evm->listError().c_str());
    return 1;
  }
  engine.setDataDir(dataDir.toStdString());
  configureRisk(engine, dataDir.toStdString() + "/risk.json", opt.riskOverrides);
  engine.start();
  if (const int code = launchPlugins(engine, opt); code != 0) {
    engine.stop();
    return code;
  }
  // --serve: the engine serves itself to attached GUIs and the desk (its server thread is then the
  // snapshot consumer).
  std::unique_ptr<kappa::remote::EngineServer> server;
  if (opt.serving()) {
    kappa::remote::EngineServerConfig config;
    config.engine = opt.engineName.toStdString();
    config.nats = kappa::app::natsSettings(opt);
    for (const QString& u : opt.commandUsers) config.commandUsers.push_back(u.toStdString());
    for (const QString& u : opt.riskUsers) config.riskUsers.push_back(u.toStdString());
    config.failClosedAfter = std::chrono::milliseconds(std::int64_t(opt.deskFailClosedS * 1000));
    config.failClosedHalts = opt.deskFailAction == "halt";
    config.focusLease = std::chrono::milliseconds(std::int64_t(opt.focusLeaseS * 1000));
    server = std::make_unique<kappa::remote::EngineServer>(engine, std::move(config));
    server->setEvmView(evm);  // the On-chain dock of attached windows, and their speed-ups
    if (std::string error = server->start(); !error.empty()) {
      std::fprintf(stderr, "kappa: --serve %s: %s\n", qPrintable(opt.serveUrl), error.c_str());
      server.reset();
      engine.stop();
      return 1;
    }
  }

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  QTimer signalPoll;
  std::signal(SIGUSR1, onHaltSignal);
  QObject::connect(&signalPoll, &QTimer::timeout, app.get(), [&engine] {
    if (g_haltRequested.exchange(false)) engine.haltAll("SIGUSR1");
    if (g_quitRequested.load()) QCoreApplication::quit();
  });
  signalPoll.start(100);
  if (opt.demo) {
    auto* demo = new QTimer(app.get());
    QObject::connect(demo, &QTimer::timeout, app.get(), [&engine, demo] {
      if (kappa::app::placeDemoOrders(engine)) demo->stop();
    });
    demo->start(1200);
    // On chain: one small swap when a wallet key was given (without one, orders are refused).
    if (evm && evm->hasWallet()) {
      auto* swap = new QTimer(app.get());
      QObject::connect(swap, &QTimer::timeout, app.get(), [&engine, swap, venue = evm->id()] {
        if (kappa::app::placeEvmDemoSwap(engine, venue)) swap->stop();
      });
      swap->start(500);
    } else if (evm) {
      kappa::log::info("app", "--demo: no wallet key for the evm venue: no on-chain swap");
    }
  }
  // Precise: a coarse timer may fire up to 5 % early, and --duration is a promise.
  if (opt.durationS > 0) QTimer::singleShot(int(opt.durationS * 1000), Qt::PreciseTimer, app.get(), &QCoreApplication::quit);

  std::unique_ptr<kappa::ui::MainWindow> window;
  if (!opt.headless) {
    kappa::ui::applyDarkTheme(*static_cast<QApplication*>(app.get()));
    window = std::make_unique<kappa::ui::MainWindow>(engine, dataDir + "/layout.ini");
    window->setStrategyLog(&strategyLog);
    window->setConnections(nullptr, kappa::deribit::testDeribitConnection);
    // Binance's "Test connection": its server time, then a signed balance request with the key.
    window->setApiKeyTester("binance-futures", [](const std::string& url, const kappa::ui::ApiKeyCredentials& key,
                                                  std::chrono::milliseconds timeout) {
      kappa::binance::BinanceEndpoint endpoint;
      std::string error;
      if (!kappa::binance::parseBinanceEndpoint(url.empty() ? std::string("testnet") : url, endpoint, error))
        return kappa::deribit::ConnectionTestResult{false, error, 0};
      return kappa::binance::testBinanceConnection(endpoint, {key.apiKey, key.apiSecret}, timeout);
    });
    if (evm) window->setEvmVenue(*evm);  // the On-chain dock and the ticket's swap preview
    window->showView(opt.view);
    if (!opt.underlying.isEmpty() && !window->selectUnderlying(opt.underlying))
      std::fprintf(stderr, "kappa: --underlying %s is not listed by the venue; showing %s\n", qPrintable(opt.underlying),
                   qPrintable(window->selectedUnderlying()));
    window->show();
    if (!opt.screenshotFile.isEmpty()) {
      QTimer::singleShot(int(opt.screenshotAfterS * 1000), window.get(), [&] {
        window->frame();
        if (!window->grab().save(opt.screenshotFile)) {
          std::fprintf(stderr, "kappa: cannot write screenshot %s\n", qPrintable(opt.screenshotFile));
        }
        QCoreApplication::quit();
      });
    }
  } else if (!server) {
    // Headless: this loop is the snapshot consumer (keeps the hand-over moving, no display work).
    auto* pull = new QTimer(app.get());
    QObject::connect(pull, &QTimer::timeout, app.get(), [&engine] { engine.takeSnapshot(); });
    pull->start(100);
  }

  const int rc = app->exec();
  const double seconds = double(runTime.nsecsElapsed()) / 1e9;
  if (engine.stuck()) {
    // A plugin callback never returned: the engine thread cannot answer, so no report can be
    // built from it, and it cannot be joined. Say so and leave at once.
    std::fprintf(stderr, "kappa: %s\n", engine.watchdogAlarm().c_str());
    QString error;
    if (!opt.reportFile.isEmpty() && !kappa::app::writeStuckReport(opt.reportFile, engine, seconds, &error))
      std::fprintf(stderr, "kappa: cannot write report %s: %s\n", qPrintable(opt.reportFile), qPrintable(error));
    kappa::log::setSink(nullptr);
    std::_Exit(3);
  }
  if (window) window->close();
  if (!opt.reportFile.isEmpty()) {
    QString error;
    const std::string wallet = evm ? evm->walletAddress() : std::string();
    auto extend = [&](QJsonObject& root) {
      if (evm) kappa::app::addEvmReport(root, engine, *evm, wallet);
      if (server) kappa::app::addDeskReport(root, *server);
    };
    if (!kappa::app::writeReport(opt.reportFile, engine, seconds, window ? &window->metrics() : nullptr, &error,
                                 extend)) {
      std::fprintf(stderr, "kappa: cannot write report %s: %s\n", qPrintable(opt.reportFile), qPrintable(error));
      server.reset();
      engine.stop();
      return 1;
    }
  }
  window.reset();
  server.reset();  // its last state stays in the desk's bucket
  engine.stop();
  kappa::log::info("app", "kappa stopped after " + std::to_string(seconds) + " s");
  kappa::log::setSink(nullptr);
  return rc;
}
