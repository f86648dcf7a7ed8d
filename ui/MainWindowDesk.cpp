// MainWindow's desk parts, only in a window attached to a remote engine (kappa --attach): the Desk
// view for the risk role, and File → Attach to engine… (the engines the desk has). Kept apart from
// MainWindow.cpp, which knows nothing of NATS.
#include <QApplication>
#include <QInputDialog>
#include <QMenu>
#include <QMenuBar>
#include <QLayout>
#include <QPointer>
#include <QTabWidget>
#include <QTimer>
#include <thread>

#include "MainWindow.hpp"
#include "desk/DeskView.hpp"

namespace kappa::ui {

namespace {
QMenu* fileMenuOf(QWidget* menuWidget) {
  if (auto* bar = qobject_cast<QMenuBar*>(menuWidget->layout()->itemAt(0)->widget()))
    for (QMenu* m : bar->findChildren<QMenu*>())
      if (m->title() == "&File") return m;
  return nullptr;
}
}  // namespace

void MainWindow::setDesk(remote::DeskFeed& feed, const std::string& user) {
  if (desk_) return;
  desk_ = new DeskView(feed, user, centralTabs_);
  centralTabs_->addTab(desk_, "Desk");
  centralTabs_->setTabToolTip(centralTabs_->indexOf(desk_), "Every engine of the desk, the desk totals and DESK HALT (Ctrl+8)");
  auto* show = new QAction(this);
  show->setShortcut(QKeySequence("Ctrl+8"));
  connect(show, &QAction::triggered, this, [this] { centralTabs_->setCurrentWidget(desk_); });
  addAction(show);
  // A few times a second: the summaries change at most once a second per engine, a halt at once.
  auto* timer = new QTimer(desk_);
  connect(timer, &QTimer::timeout, desk_, [this] {
    if (centralTabs_->currentWidget() == desk_) desk_->refresh();
  });
  timer->start(100);
}

void MainWindow::setEngineList(std::function<std::vector<std::string>(std::string*)> listEngines) {
  QMenu* file = fileMenuOf(menuWidget());
  if (!file || attachAction_) return;
  attachAction_ = new QAction("Attach to engine…", this);
  attachAction_->setToolTip("The engines the desk has: open this window over another one");
  file->insertAction(file->actions().value(0), attachAction_);
  connect(attachAction_, &QAction::triggered, this, [this, listEngines] {
    // Reading the desk's bucket waits for the server: off the window's thread.
    QPointer<MainWindow> self(this);
    std::thread([self, listEngines] {
      std::string error;
      std::vector<std::string> engines = listEngines(&error);
      QMetaObject::invokeMethod(qApp, [self, engines = std::move(engines), error] {
        if (!self) return;
        QStringList items;
        for (const std::string& e : engines) items << QString::fromStdString(e);
        auto* dialog = new QInputDialog(self);
        dialog->setObjectName("attachDialog");
        dialog->setWindowTitle("Attach to engine");
        dialog->setLabelText(items.isEmpty() ? "The desk lists no engine" + (error.empty() ? QString() : ": " + QString::fromStdString(error))
                                             : "Engines of the desk:");
        dialog->setComboBoxItems(items);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QInputDialog::textValueSelected, self, [self](const QString& engine) {
          if (self && !engine.isEmpty()) emit self->attachRequested(engine);
        });
        dialog->open();
      });
    }).detach();
  });
}

}  // namespace kappa::ui
