#include "Theme.hpp"

#include <QApplication>
#include <QFile>
#include <QPalette>
#include <QStyleFactory>

namespace kappa::ui {

void applyDarkTheme(QApplication& app) {
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
  if (qss.open(QIODevice::ReadOnly)) app.setStyleSheet(QString::fromUtf8(qss.readAll()));
}

}  // namespace kappa::ui
