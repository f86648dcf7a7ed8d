#pragma once
// A table view that says why it is empty ("No open orders") instead of showing a blank widget.
#include <QPainter>
#include <QTableView>

#include "Theme.hpp"

namespace kappa::ui {

class PlaceholderTableView : public QTableView {
 public:
  PlaceholderTableView(QString emptyText, QWidget* parent) : QTableView(parent), emptyText_(std::move(emptyText)) {}

 protected:
  void paintEvent(QPaintEvent* event) override {
    QTableView::paintEvent(event);
    if (emptyText_.isEmpty() || !model() || model()->rowCount() > 0) return;
    QPainter p(viewport());
    p.setPen(colors::dimText);
    p.drawText(viewport()->rect(), Qt::AlignCenter, emptyText_);
  }

 private:
  QString emptyText_;
};

}  // namespace kappa::ui
