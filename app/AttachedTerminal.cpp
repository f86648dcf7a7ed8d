#include "AttachedTerminal.hpp"

#include <QTimer>
#include <cstdio>
#include <memory>

#include "MainWindow.hpp"
#include "NatsAccess.hpp"
#include "Theme.hpp"
#include "core/Log.hpp"
#include "remote/DeskFeed.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "remote/RemoteEvmView.hpp"

namespace kappa::app {

int runAttachedTerminal(const Options& opt, QApplication& app, const QString& dataDir) {
  const nats::NatsSettings settings = natsSettings(opt);
  ui::applyDarkTheme(app);
  QString engine = opt.attachEngine;
  bool first = true;
  // File → Attach to engine… closes this window and opens one over the chosen engine (another
  // engine lists other venues and instruments: the window is built anew).
  for (;;) {
    auto link = std::make_unique<remote::RemoteEngineLink>();
    if (std::string error = link->connect(settings, engine.toStdString()); !error.empty()) {
      std::fprintf(stderr, "kappa: --attach %s --engine %s: %s\n", qPrintable(opt.attachUrl), qPrintable(engine), error.c_str());
      return 1;
    }
    log::info("app", "attached to engine '" + engine.toStdString() + "' on " + settings.describe());
    std::unique_ptr<remote::DeskFeed> desk;
    if (link->probeRiskRole()) {
      desk = std::make_unique<remote::DeskFeed>();
      if (std::string error = desk->start(link->connection()); !error.empty()) {
        log::error("app", "the Desk view is not available: " + error);
        desk.reset();
      }
    }
    // A layout of its own per engine: an attached window is not the local terminal's.
    auto window = std::make_unique<ui::MainWindow>(*link, dataDir + "/layout-attached-" + engine + ".ini");
    if (desk) window->setDesk(*desk, link->user());
    window->setEngineList([settings](std::string* error) { return remote::RemoteEngineLink::listEngines(settings, error); });
    // The engine's on-chain venue, if it has one: the On-chain dock and the ticket's swap preview,
    // as in a local window. Its part is in the bucket by now (the engine publishes it within a
    // quarter second of starting); an engine still starting sends it a moment later.
    remote::RemoteEvmView evmView(*link);
    QTimer evmWatch;
    auto addEvm = [&] {
      if (!link->hasEvmVenue()) return;
      window->setEvmVenue(evmView);
      evmWatch.stop();
    };
    QObject::connect(&evmWatch, &QTimer::timeout, window.get(), addEvm);
    addEvm();
    if (!window->onChainPanel()) evmWatch.start(500);
    QString next;
    QObject::connect(window.get(), &ui::MainWindow::attachRequested, &app, [&](const QString& chosen) {
      next = chosen;
      QCoreApplication::quit();
    });
    if (first) {
      window->showView(opt.view);
      if (!opt.underlying.isEmpty() && !window->selectUnderlying(opt.underlying))
        std::fprintf(stderr, "kappa: --underlying %s is not listed by the engine; showing %s\n", qPrintable(opt.underlying),
                     qPrintable(window->selectedUnderlying()));
    }
    window->show();
    if (first && !opt.screenshotFile.isEmpty()) {
      QTimer::singleShot(int(opt.screenshotAfterS * 1000), window.get(), [&] {
        window->frame();
        if (!window->grab().save(opt.screenshotFile))
          std::fprintf(stderr, "kappa: cannot write screenshot %s\n", qPrintable(opt.screenshotFile));
        QCoreApplication::quit();
      });
    }
    if (first && opt.durationS > 0)
      QTimer::singleShot(int(opt.durationS * 1000), Qt::PreciseTimer, &app, &QCoreApplication::quit);
    first = false;
    const int rc = app.exec();
    window->close();
    window.reset();
    desk.reset();
    link->close();
    if (next.isEmpty()) return rc;
    engine = next;
  }
}

}  // namespace kappa::app
