#include "ColumnFit.hpp"

#include <QFontDatabase>
#include <QFontMetrics>
#include <QHeaderView>
#include <QTableView>
#include <algorithm>

namespace kappa::ui {
namespace {
constexpr int kCellPadding = 12;    // the view's item margins on both sides, with room to spare
constexpr int kHeaderPadding = 16;  // dark.qss: "padding: 3px 6px" and a 1 px border, plus slack
}  // namespace

int cellTextWidth(const QTableView* view, const QString& text, bool bold) {
  QFont f = view->font();
  f.setBold(bold);
  // Numbers are drawn in the fixed font by the models: measure with the wider of the two.
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setBold(bold);
  const int w = std::max(QFontMetrics(f).horizontalAdvance(text), QFontMetrics(mono).horizontalAdvance(text));
  return w + kCellPadding;
}

int headerTextWidth(const QTableView* view, int column) {
  const QHeaderView* h = view->horizontalHeader();
  const QString text = view->model() ? view->model()->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString() : QString();
  return QFontMetrics(h->font()).horizontalAdvance(text) + kHeaderPadding;
}

void fitColumns(QTableView* view, const std::map<int, QStringList>& samples) {
  if (!view->model()) return;
  for (int c = 0; c < view->model()->columnCount(); ++c) {
    int need = headerTextWidth(view, c);
    if (auto it = samples.find(c); it != samples.end())
      for (const QString& s : it->second) need = std::max(need, cellTextWidth(view, s));
    if (view->columnWidth(c) < need) view->setColumnWidth(c, need);
  }
}

void fitColumnsToRows(QTableView* view, std::initializer_list<int> columns) {
  const QAbstractItemModel* m = view->model();
  if (!m) return;
  for (int c : columns) {
    int need = headerTextWidth(view, c);
    for (int r = 0; r < m->rowCount(); ++r) {
      const QModelIndex i = m->index(r, c);
      const QVariant f = i.data(Qt::FontRole);
      const QFont font = f.isValid() ? f.value<QFont>() : view->font();
      need = std::max(need, QFontMetrics(font).horizontalAdvance(i.data(Qt::DisplayRole).toString()) + kCellPadding);
    }
    if (view->columnWidth(c) < need) view->setColumnWidth(c, need);
  }
}

}  // namespace kappa::ui
