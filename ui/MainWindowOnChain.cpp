// MainWindow's on-chain parts (setEvmVenue): the On-chain dock and the ticket's swap preview, only
// when an evm venue is configured. Kept apart from MainWindow.cpp, which knows no venue kind.
#include <QDockWidget>
#include <QLayout>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>

#include "MainWindow.hpp"
#include "OrderTicket.hpp"
#include "onchain/OnChainPanel.hpp"
#include "onchain/OnChainTicketSection.hpp"
#include "venue/evm/EvmVenue.hpp"

namespace kappa::ui {

void MainWindow::setEvmVenue(evm::EvmVenue& venue) {
  if (onChain_) return;
  onChain_ = new onchain::OnChainPanel(engine_, venue, this);
  connect(onChain_, &onchain::OnChainPanel::speedUpRequested, this, [&venue](OrderId id) { venue.speedUp(id); });
  auto* dock = new QDockWidget("On-chain", this);
  dock->setObjectName("onChainDock");
  dock->setWidget(onChain_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::BottomDockWidgetArea, dock);
  // Beside the orders (a tab of the same area), raised: with an on-chain venue it is the place
  // where a pending swap is followed. A saved layout that has the dock puts it back where it was.
  if (docks_.size() > 3) tabifyDockWidget(docks_[3], dock);
  QSettings settings(settingsFile_, QSettings::IniFormat);
  const bool restored = restoreDockWidget(dock);
  if (!restored) dock->raise();
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
