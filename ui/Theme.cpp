#include "Theme.hpp"

#include <QApplication>
#include <QFile>
#include <QPalette>
#include <QStyleFactory>

// The stylesheet is compiled into a static library: referencing its initializer here is what makes
// the linker keep it (without this the theme silently falls back to plain Fusion).
static void initKappaResources() { Q_INIT_RESOURCE(kappa); }

namespace kappa::ui {

void applyDarkTheme(QApplication& app) {
  initKappaResources();
  app.setStyle(QStyleFactory::create("Fusion"));
  QPalette p;
  p.setColor(QPalette::Window, colors::panel);
  p.setColor(QPalette::WindowText, colors::text);
  p.setColor(QPalette::Base, colors::background);
  p.setColor(QPalette::AlternateBase, colors::panel);
  p.setColor(QPalette::ToolTipBase, colors::panel);
  p.setColor(QPalette::ToolTipText, colors::text);
  p.setColor(QPalette::Text, colors::text);
  p.setColor(QPalette::Button, colors::panel);
  p.setColor(QPalette::ButtonText, colors::text);
  p.setColor(QPalette::Highlight, QColor(0x2b, 0x4a, 0x6f));
  p.setColor(QPalette::HighlightedText, colors::text);
  p.setColor(QPalette::PlaceholderText, colors::dimText);
  p.setColor(QPalette::Disabled, QPalette::Text, colors::dimText);
  p.setColor(QPalette::Disabled, QPalette::ButtonText, colors::dimText);
  app.setPalette(p);
  QFile qss(":/kappa/dark.qss");
  if (!qss.open(QIODevice::ReadOnly)) qFatal("Kappa theme resource :/kappa/dark.qss is missing from the build");
  app.setStyleSheet(QString::fromUtf8(qss.readAll()));
}

}  // namespace kappa::ui
