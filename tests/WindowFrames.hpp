#pragma once
// Attached-window tests: pumps a MainWindow's frames (and the event loop) until a condition holds
// or the timeout passes, as the window's own display timer would, without a fixed sleep.
#include <QElapsedTimer>
#include <QtTest>

#include "MainWindow.hpp"

namespace kappa::test {

template <class F>
bool frameUntil(ui::MainWindow& w, F done, int timeoutMs) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    w.frame();
    if (done()) return true;
    QTest::qWait(20);
  }
  return false;
}

}  // namespace kappa::test
