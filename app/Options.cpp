#include "Options.hpp"

#include <QCommandLineParser>
#include <QDateTime>
#include <cstdio>

namespace kappa::app {

int parseOptions(const QStringList& arguments, Options& out) {
  QCommandLineParser p;
  p.setApplicationDescription("Kappa — crypto options and derivatives trading terminal");
  p.addHelpOption();
  p.addVersionOption();
  const QCommandLineOption venue("venue", "Trading venue: sim (the embedded simulated exchange).", "NAME", "sim");
  const QCommandLineOption seed("seed", "Seed of the simulated market (same seed, same market).", "N", "1");
  const QCommandLineOption simStart("sim-start", "Start the simulated market at this UTC time (ISO 8601, e.g. 2026-11-23T09:00:00Z): with --seed, the same market on any day.", "TIME");
  const QCommandLineOption dataDir("data-dir", "Data directory (layout, logs). Default: the per-user app data folder.", "DIR");
  const QCommandLineOption headless("headless", "Run the engine only, without a window.");
  const QCommandLineOption duration("duration", "Exit cleanly after SECONDS.", "SECONDS");
  const QCommandLineOption report("report", "On exit, write a JSON report to FILE.", "FILE");
  const QCommandLineOption screenshot("screenshot", "GUI: save the main window as PNG to FILE, then exit.", "FILE");
  const QCommandLineOption after("after", "Delay before --screenshot, in seconds (default 3).", "SECONDS", "3");
  const QCommandLineOption feedRate("feed-rate", "Simulator book updates per second (default 2500; stress: 200000).",
                                    "N", "2500");
  const QCommandLineOption demo("demo", "Place a few example orders at start (demos and screenshots).");
  const QCommandLineOption view("view", "Central view at start: chart (default), chain, surface, greeks, strategies, risk or audit.", "NAME", "chart");
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
  p.addOptions({venue, seed, simStart, dataDir, headless, duration, report, screenshot, after, feedRate, demo, view,
                plugin, approvePlugin, budget, hang, risk});

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

  out.venue = p.value(venue);
  if (out.venue != "sim") return fail("unknown venue '" + out.venue + "' (available: sim)");
  bool ok = false;
  out.seed = p.value(seed).toULongLong(&ok);
  if (!ok) return fail("--seed must be a non-negative integer, got '" + p.value(seed) + "'");
  if (p.isSet(simStart)) {
    const QDateTime at = QDateTime::fromString(p.value(simStart), Qt::ISODate);
    if (!at.isValid()) return fail("--sim-start must be an ISO 8601 time such as 2026-11-23T09:00:00Z, got '" + p.value(simStart) + "'");
    out.simStartMs = at.toMSecsSinceEpoch();
  }
  out.dataDir = p.value(dataDir);
  out.headless = p.isSet(headless);
  out.demo = p.isSet(demo);
  out.view = p.value(view);
  if (!QStringList{"chart", "chain", "surface", "greeks", "strategies", "audit", "risk"}.contains(out.view))
    return fail("--view must be chart, chain, surface, greeks, strategies, risk or audit, got '" + out.view + "'");
  if (p.isSet(duration)) {
    out.durationS = p.value(duration).toDouble(&ok);
    if (!ok || out.durationS <= 0) return fail("--duration must be a positive number of seconds");
  }
  out.reportFile = p.value(report);
  out.screenshotFile = p.value(screenshot);
  out.screenshotAfterS = p.value(after).toDouble(&ok);
  if (!ok || out.screenshotAfterS < 0) return fail("--after must be a number of seconds >= 0");
  out.feedRate = p.value(feedRate).toDouble(&ok);
  if (!ok || out.feedRate < 0 || out.feedRate > 5e6) return fail("--feed-rate must be between 0 and 5000000");
  if (out.headless && !out.screenshotFile.isEmpty()) return fail("--screenshot needs the GUI (drop --headless)");
  for (const QString& spec : p.values(plugin)) {
    const Options::Plugin pl = parsePluginSpec(spec);
    if (pl.path.isEmpty()) return fail("--plugin needs a path, got '" + spec + "'");
    out.plugins << pl;
  }
  out.approvePlugins = p.values(approvePlugin);
  out.riskOverrides = p.values(risk);
  out.pluginBudgetMs = p.value(budget).toDouble(&ok);
  if (!ok || out.pluginBudgetMs < 0.1 || out.pluginBudgetMs > 10000)
    return fail("--plugin-budget-ms must be between 0.1 and 10000, got '" + p.value(budget) + "'");
  out.pluginHangS = p.value(hang).toDouble(&ok);
  if (!ok || out.pluginHangS < 0.05 || out.pluginHangS > 3600 || out.pluginHangS * 1000 <= out.pluginBudgetMs)
    return fail("--plugin-hang-s must be between 0.05 and 3600 s and above the budget, got '" + p.value(hang) + "'");
  return -1;
}

Options::Plugin parsePluginSpec(const QString& spec) {
  const int colon = spec.indexOf(':', spec.lastIndexOf('/') + 1);
  if (colon < 0) return {spec, {}};
  return {spec.left(colon), spec.mid(colon + 1)};
}

}  // namespace kappa::app
