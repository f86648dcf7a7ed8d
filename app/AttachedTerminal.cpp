#include "AttachedTerminal.hpp"

#include <QTimer>
#include <cstdio>

#include "MainWindow.hpp"
#include "NatsAccess.hpp"
#include "Theme.hpp"
#include "core/Log.hpp"
#include "remote/RemoteEngineLink.hpp"

namespace kappa::app {

int runAttachedTerminal(const Options& opt, QApplication& app, const QString& dataDir) {
  const nats::NatsSettings settings = natsSettings(opt);
  remote::RemoteEngineLink link;
  if (std::string error = link.connect(settings, opt.attachEngine.toStdString()); !error.empty()) {
    std::fprintf(stderr, "kappa: --attach %s --engine %s: %s\n", qPrintable(opt.attachUrl), qPrintable(opt.attachEngine),
                 error.c_str());
    return 1;
  }
  log::info("app", "attached to engine '" + opt.attachEngine.toStdString() + "' on " + settings.describe());
  ui::applyDarkTheme(app);
  // A layout of its own per engine: an attached window is not the local terminal's.
  ui::MainWindow window(link, dataDir + "/layout-attached-" + opt.attachEngine + ".ini");
  window.showView(opt.view);
  if (!opt.underlying.isEmpty() && !window.selectUnderlying(opt.underlying))
    std::fprintf(stderr, "kappa: --underlying %s is not listed by the engine; showing %s\n", qPrintable(opt.underlying),
                 qPrintable(window.selectedUnderlying()));
  window.show();
  if (!opt.screenshotFile.isEmpty()) {
    QTimer::singleShot(int(opt.screenshotAfterS * 1000), &window, [&] {
      window.frame();
      if (!window.grab().save(opt.screenshotFile))
        std::fprintf(stderr, "kappa: cannot write screenshot %s\n", qPrintable(opt.screenshotFile));
      QCoreApplication::quit();
    });
  }
  if (opt.durationS > 0) QTimer::singleShot(int(opt.durationS * 1000), Qt::PreciseTimer, &app, &QCoreApplication::quit);
  const int rc = app.exec();
  window.close();
  link.close();
  return rc;
}

}  // namespace kappa::app
