// MainWindow's on-chain parts (setEvmVenue): the On-chain dock and the ticket's swap preview, only
// when an evm venue is configured. Kept apart from MainWindow.cpp, which knows no venue kind.
#include <QDockWidget>
#include <QLayout>
#include <QMenu>
#include <QMenuBar>
#include <QTimer>

#include "MainWindow.hpp"
#include "OrderTicket.hpp"
#include "onchain/OnChainPanel.hpp"
#include "onchain/OnChainTicketSection.hpp"
#include "venue/evm/EvmView.hpp"

namespace kappa::ui {

void MainWindow::setEvmVenue(evm::EvmView& venue) {
  if (onChain_) return;
  onChain_ = new onchain::OnChainPanel(engine_, venue, this);
  connect(onChain_, &onchain::OnChainPanel::speedUpRequested, this, [&venue](OrderId id) { venue.speedUp(id); });
  auto* dock = new QDockWidget("On-chain", this);
  dock->setObjectName("onChainDock");
  dock->setWidget(onChain_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
  // Below the bottom row (ticket, orders, time & sales), across its whole width: the transactions
  // table needs the columns. A saved layout that has the dock puts it back where it was.
  addDockWidget(Qt::BottomDockWidgetArea, dock, Qt::Vertical);
  if (!restoreDockWidget(dock)) {
    // After the first start's default sizes (queued by the constructor, so run before this).
    QTimer::singleShot(0, this, [this, dock] {
      if (docks_.size() > 3) resizeDocks({docks_[3], dock}, {300, 310}, Qt::Vertical);
    });
  }
  docks_.push_back(dock);

  QAction* toggle = dock->toggleViewAction();
  toggle->setShortcut(QKeySequence("Ctrl+Shift+O"));
  toggle->setToolTip("Show the on-chain panel: wallet, pools, transactions (Ctrl+Shift+O)");
  addAction(toggle);
  if (auto* bar = qobject_cast<QMenuBar*>(menuWidget()->layout()->itemAt(0)->widget()))
    for (QMenu* m : bar->template findChildren<QMenu*>())
      if (m->title() == "&View") {
        QAction* before = nullptr;
        for (QAction* a : m->actions())
          if (a->isSeparator()) before = a;
        m->insertAction(before, toggle);
      }

  onChainTicket_ = new onchain::OnChainTicketSection(instruments_, venue, *ticket_, ticket_);
  ticket_->addSection(onChainTicket_);
}

}  // namespace kappa::ui
