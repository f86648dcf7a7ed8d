#include "Report.hpp"

#include <QDateTime>
#include <QFile>
#include <algorithm>
#include <map>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "JsonRawInteger.hpp"
#include "UiMetrics.hpp"
#include "core/Clock.hpp"

namespace kappa::app {
namespace {
QJsonObject percentiles(const ui::Percentiles& p) {
  return QJsonObject{{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}, {"mean", p.mean}, {"samples", qint64(p.count)}};
}
// Mean of the first and last quarter of a series: shows whether a lag grows over the run.
QJsonObject trend(const std::vector<double>& v) {
  if (v.size() < 8) return {};
  const std::size_t q = v.size() / 4;
  double first = 0, last = 0;
  for (std::size_t i = 0; i < q; ++i) {
    first += v[i];
    last += v[v.size() - 1 - i];
  }
  return QJsonObject{{"first_quarter_mean", first / double(q)}, {"last_quarter_mean", last / double(q)}};
}
QString q(const std::string& s) { return QString::fromStdString(s); }

// Per instance: state, orders, fills, PnL, faults; plugins with their hash; risk events; and the
// tick-to-order latency distribution (market data in -> plugin -> risk gate -> venue adapter).
void strategyReport(const StrategyHost& host, QJsonArray& strategies, QJsonArray& plugins, QJsonArray& events,
                    QJsonObject& tickToOrder) {
  std::vector<PluginRow> pluginRows;
  std::vector<StrategyRow> rows;
  host.rows(&pluginRows, &rows);
  for (const StrategyRow& r : rows) {
    QJsonObject params;
    for (const ParamRow& p : r.params) params[q(p.name)] = q(p.value);
    strategies.append(QJsonObject{{"id", qint64(r.id)},
                                  {"name", q(r.name)},
                                  {"plugin", q(r.pluginPath)},
                                  {"strategy_id", q(r.strategyId)},
                                  {"version", q(r.version)},
                                  {"state", nameOf(r.state)},
                                  {"parameters", params},
                                  {"orders", qint64(r.ordersSent)},
                                  {"orders_refused", qint64(r.ordersRefused)},
                                  {"working_orders", qint64(r.workingOrders)},
                                  {"fills", qint64(r.fills)},
                                  {"realized_pnl", r.realizedPnl},
                                  {"unrealized_pnl", r.unrealizedPnl},
                                  {"pnl_currency", q(r.pnlCurrency)},  // "BTC"; "USD" when it traded several coins
                                  {"faults", qint64(r.faults)},
                                  {"overruns", qint64(r.overruns)},
                                  {"last_error", q(r.lastError)}});
  }
  for (const PluginRow& p : pluginRows) {
    QJsonArray ids;
    for (const StrategyDescriptionRow& d : p.strategies) ids.append(q(d.id));
    plugins.append(QJsonObject{{"path", q(p.path)},
                               {"sha256", q(p.sha256)},
                               {"approval", nameOf(p.approval)},
                               {"loaded", p.loaded},
                               {"error", q(p.error)},
                               {"strategies", ids}});
  }
  for (const RiskEventRow& e : host.riskEvents())
    events.append(QJsonObject{{"time", QDateTime::fromMSecsSinceEpoch(e.ts / 1'000'000, Qt::UTC).toString(Qt::ISODateWithMs)},
                              {"source", q(e.source)},
                              {"subject", q(e.subject)},
                              {"message", q(e.message)}});
  const LatencyHistogram& h = host.tickToOrder();
  tickToOrder = QJsonObject{{"samples", qint64(h.count())},     {"p50", qint64(h.percentile(0.50))},
                            {"p90", qint64(h.percentile(0.90))}, {"p99", qint64(h.percentile(0.99))},
                            {"max", qint64(h.max())},            {"mean", h.mean()},
                            {"from_book_or_trade", qint64(host.tickToOrderFromBook())},
                            {"from_chain", qint64(host.tickToOrderFromChain())}};
}
}  // namespace

bool writeReport(const QString& file, Engine& engine, double durationS, const ui::UiMetrics* ui, QString* error,
                 const std::function<void(QJsonObject& root)>& extend) {
  struct Counts {
    std::uint64_t events = 0, orders = 0, fills = 0, rejects = 0, stale = 0, refused = 0, anomalies = 0;
    QJsonArray positions, strategies, plugins, riskEvents, breaches, underlyings, absentVenues;
    QString riskSource;
    QJsonObject tickToOrder;
    std::uint64_t halts = 0;
    std::vector<std::uint64_t> positionChecks, positionMismatches;  // per venue
    std::vector<double> venueLag;
  };
  const Counts c = engine.call([&engine] {
    Counts c;
    const auto& md = engine.marketData();
    const auto& oms = engine.orders();
    c.events = md.eventsTotal();
    c.orders = oms.ordersTotal();
    c.fills = oms.fillsTotal();
    c.rejects = oms.rejectsTotal();
    c.stale = md.staleEpisodes();
    c.refused = oms.refusedTransitions();
    c.anomalies = oms.fillAnomalies();
    for (VenueId v = 0; v < engine.venueCount(); ++v) {
      c.positionChecks.push_back(engine.positionChecks(v));
      c.positionMismatches.push_back(engine.positionMismatches(v));
    }
    // Positions with their venue and their Greeks (the latest analytics), and per underlying the
    // totals across venues with each venue's part: Deribit's BTC options and Binance's BTCUSDT are
    // one BTC book.
    const auto analytics = engine.analytics();
    auto greeksJson = [](const analytics::GreekTotals& g) {
      return QJsonObject{{"delta_coin", g.deltaCoin}, {"gamma_coin", g.gammaCoin}, {"vega_coin", g.vegaCoin},
                         {"theta_coin", g.thetaCoin}, {"delta_usd", g.deltaUsd},   {"gamma_usd", g.gammaUsd},
                         {"vega_usd", g.vegaUsd},     {"theta_usd", g.thetaUsd}};
    };
    auto add = [](analytics::GreekTotals& to, const analytics::GreekTotals& g) {
      to.deltaCoin += g.deltaCoin, to.gammaCoin += g.gammaCoin, to.vegaCoin += g.vegaCoin, to.thetaCoin += g.thetaCoin;
      to.deltaUsd += g.deltaUsd, to.gammaUsd += g.gammaUsd, to.vegaUsd += g.vegaUsd, to.thetaUsd += g.thetaUsd;
    };
    struct Book {
      double pnlUsd = 0;
      std::map<std::string, std::pair<double, analytics::GreekTotals>> byVenue;  // venue -> PnL USD, Greeks
    };
    std::map<std::string, Book> books;  // by underlying
    auto indexOf = [&](const std::string& coin) {
      for (InstrumentId id = 0; id < engine.knownInstruments(); ++id) {
        const Instrument& i = engine.instruments()[id];
        if (i.kind == InstrumentKind::Index && i.baseCurrency == coin && md.stats(i.id).last > 0)
          return toDouble(md.stats(i.id).last);
      }
      return 0.0;
    };
    for (const Position& p : oms.positions()) {
      if (p.flat() && p.boughtQty == 0 && p.soldQty == 0) continue;
      const Instrument& inst = engine.instruments()[p.instrument];
      const std::string venue = engine.venueName(inst.venue);
      const double mark = toDouble(md.markPrice(p.instrument));
      const double pnl = p.realizedPnl + p.unrealizedPnl(inst, mark) - p.fees;
      const bool coin = inst.settleCurrency == inst.baseCurrency;
      const double pnlUsd = coin ? pnl * indexOf(inst.baseCurrency) : pnl;  // USDT/USD at par
      QJsonObject row{{"instrument", QString::fromStdString(inst.name)},
                      {"venue", QString::fromStdString(venue)},
                      {"underlying", QString::fromStdString(inst.baseCurrency)},
                      {"qty", p.qty},
                      {"average_price", p.averagePrice(inst)},
                      {"mark", mark},
                      {"realized_pnl", p.realizedPnl},
                      {"unrealized_pnl", p.unrealizedPnl(inst, mark)},
                      {"fees", p.fees},
                      {"currency", QString::fromStdString(inst.settleCurrency)},
                      {"pnl_usd", pnlUsd}};
      analytics::GreekTotals g;
      if (const analytics::ChainAnalytics* chain = analytics ? analytics->chain(inst.baseCurrency) : nullptr)
        for (const analytics::PositionRisk& r : chain->positions)
          if (r.instrument == inst.id) g = r.greeks;
      if (!p.flat()) row["greeks"] = greeksJson(g);
      c.positions.append(row);
      Book& b = books[inst.baseCurrency];
      b.pnlUsd += pnlUsd;
      b.byVenue[venue].first += pnlUsd;
      add(b.byVenue[venue].second, g);
    }
    for (const auto& [coin, b] : books) {
      analytics::GreekTotals total;
      QJsonObject venues;
      for (const auto& [venue, part] : b.byVenue) {
        add(total, part.second);
        QJsonObject v = greeksJson(part.second);
        v["pnl_usd"] = part.first;
        venues[QString::fromStdString(venue)] = v;
      }
      QJsonObject u = greeksJson(total);
      u["underlying"] = QString::fromStdString(coin);
      u["index"] = indexOf(coin);
      u["pnl_usd"] = b.pnlUsd;
      u["by_venue"] = venues;
      c.underlyings.append(u);
    }
    strategyReport(engine.strategies(), c.strategies, c.plugins, c.riskEvents, c.tickToOrder);
    // The breach history: limits that refused orders (with counts) and triggers that fired; the
    // triggers are risk events too.
    for (const Breach& b : engine.breaches().entries()) {
      const QJsonObject row{{"what", QString::fromStdString(b.what)},      {"scope", QString::fromStdString(b.scope)},
                            {"count", qint64(b.count)},                    {"action", QString::fromStdString(b.action)},
                            {"trigger", b.trigger},                        {"last", QString::number(b.last)},
                            {"detail", QString::fromStdString(b.detail)}};
      c.breaches.append(row);
      if (b.trigger)
        c.riskEvents.append(QJsonObject{{"source", "trigger"},
                                        {"subject", QString::fromStdString(b.what)},
                                        {"message", QString::fromStdString(b.detail) + " -> " + QString::fromStdString(b.action)}});
    }
    c.riskSource = QString::fromStdString(engine.riskSource());
    // What the journal holds on venues this run does not have: kept out of trading, said here.
    for (const std::string& h : engine.holdingsOnAbsentVenues()) c.absentVenues.append(QString::fromStdString(h));
    c.halts = engine.halts();
    c.venueLag = engine.venueLagSamples();
    return c;
  });
  QJsonArray expiries;  // option expiries, ascending, UTC
  {
    std::vector<Nanos> seen;
    for (const Instrument& inst : engine.instruments().all())
      if (inst.isOption() && std::find(seen.begin(), seen.end(), inst.expiry) == seen.end()) seen.push_back(inst.expiry);
    std::sort(seen.begin(), seen.end());
    for (Nanos e : seen)
      expiries.append(QDateTime::fromMSecsSinceEpoch(e / 1'000'000, Qt::UTC).toString(Qt::ISODate));
  }
  // One entry per venue: its connection, the underlyings it lists, the counters a trader asks about
  // after a bad hour, and the account as the venue reported it.
  auto venueNames = [](const Engine& e) {
    QStringList names;
    for (VenueId v = 0; v < e.venueCount(); ++v) names << QString::fromStdString(e.venueName(v));
    return names.join("+");
  };
  QJsonArray venues;
  for (VenueId id = 0; id < engine.venueCount(); ++id) {
    const VenueSummary v = engine.venueSummary(id);
    QJsonArray underlyings, accounts;
    qint64 listed = 0;
    for (const Instrument& inst : engine.instruments().all()) {
      if (inst.venue != id) continue;
      ++listed;
      if (inst.kind == InstrumentKind::Index && !underlyings.contains(QString::fromStdString(inst.baseCurrency)))
        underlyings.append(QString::fromStdString(inst.baseCurrency));
    }
    for (const VenueAccount& a : v.accounts)
      accounts.append(QJsonObject{{"currency", QString::fromStdString(a.currency)}, {"equity", a.equity},
                                  {"balance", a.balance}, {"initial_margin", a.initialMargin},
                                  {"maintenance_margin", a.maintenanceMargin}, {"available_funds", a.availableFunds}});
    venues.append(QJsonObject{{"name", QString::fromStdString(engine.venueName(id))},
                              {"environment", QString::fromStdString(v.environment)},
                              {"endpoint", QString::fromStdString(v.endpoint)},
                              {"state", nameOf(v.state)},
                              {"underlyings", underlyings},
                              {"instruments", listed},
                              {"reconnects", qint64(v.reconnects)},
                              {"resyncs", qint64(v.resyncs)},
                              {"rate_limited", qint64(v.rateLimited)},
                              {"too_many_requests", qint64(v.tooManyRequests)},
                              {"heartbeat_latency_us", qint64(v.heartbeatLatency)},
                              {"position_checks", qint64(c.positionChecks[id])},
                              {"position_mismatches", qint64(c.positionMismatches[id])},
                              {"account", accounts}});
  }
  QJsonObject root{
      {"kappa_version", KAPPA_VERSION},
      {"venues", venues},
      {"venue", venueNames(engine)},  // "deribit", or "deribit+binance-futures" with several
      {"duration_s", durationS},
      {"events_total", qint64(c.events)},
      {"events_per_second", durationS > 0 ? double(c.events) / durationS : 0.0},
      {"instruments", qint64(engine.instruments().size())},
      {"orders_total", qint64(c.orders)},
      {"fills_total", qint64(c.fills)},
      {"rejects_total", qint64(c.rejects)},
      {"stale_book_episodes", qint64(c.stale)},
      {"refused_transitions", qint64(c.refused)},
      {"fill_anomalies", qint64(c.anomalies)},
      {"positions", c.positions},
      {"underlyings", c.underlyings},
      {"holdings_on_absent_venues", c.absentVenues},
      {"halted", engine.halted()},
      {"state", nameOf(engine.tradingState())},
      {"halts", qint64(c.halts)},
      {"strategies", c.strategies},
      {"plugins", c.plugins},
      {"risk_events", c.riskEvents},
      {"breaches", c.breaches},
      {"risk_limits", c.riskSource},
      {"tick_to_order_ns", c.tickToOrder},
      {"option_expiries", expiries},
  };
  {
    // The feed's lag at every beat (market data's age when the engine applied it, queueing only):
    // the trend shows whether the engine keeps up over the run or falls behind.
    ui::SampleSeries series;
    for (double v : c.venueLag) series.add(v);
    QJsonObject lag = percentiles(series.summary());
    const QJsonObject t = trend(c.venueLag);
    for (auto it = t.begin(); it != t.end(); ++it) lag[it.key()] = it.value();
    root["venue_lag_ms"] = lag;
  }
  if (const Journal* j = engine.journal()) {
    j->flush();  // what this run wrote, all of it committed
    root["journal_records"] = qint64(j->committed());
    root["journal_failure"] = QString::fromStdString(j->failure());
  }
  if (ui) {
    root["ui_frame_ms"] = percentiles(ui->frameMs.summary());
    root["ui_frame_update_ms"] = percentiles(ui->updateMs.summary());
    root["ui_frame_interval_ms"] = percentiles(ui->intervalMs.summary());
    QJsonObject lag = percentiles(ui->lagMs.summary());
    const QJsonObject t = trend(ui->lagMs.values());
    for (auto it = t.begin(); it != t.end(); ++it) lag[it.key()] = it.value();
    root["engine_to_gui_lag_ms"] = lag;
  }
  if (extend) extend(root);
  QFile f(file);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    if (error) *error = f.errorString();
    return false;
  }
  f.write(expandRawIntegers(QJsonDocument(root).toJson(QJsonDocument::Indented)));
  return true;
}

bool writeStuckReport(const QString& file, const Engine& engine, double durationS, QString* error) {
  const QJsonObject root{{"kappa_version", KAPPA_VERSION},
                         {"duration_s", durationS},
                         {"halted", engine.halted()},
                         {"engine_stuck", true},
                         {"watchdog_alarm", QString::fromStdString(engine.watchdogAlarm())}};
  QFile f(file);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    if (error) *error = f.errorString();
    return false;
  }
  f.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
  return true;
}

}  // namespace kappa::app
