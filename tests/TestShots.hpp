#pragma once
// The screenshots a GUI test saves for a person to look at: the widget as it is now, as
// DIR/name.png when KAPPA_TEST_SHOTS=DIR (nothing otherwise).
#include <QApplication>
#include <QString>
#include <QWidget>

namespace kappa::test {

inline void shot(QWidget* w, const QString& name) {
  if (const QByteArray dir = qgetenv("KAPPA_TEST_SHOTS"); !dir.isEmpty()) {
    QApplication::processEvents();
    w->grab().save(QString::fromUtf8(dir) + "/" + name + ".png");
  }
}

}  // namespace kappa::test
