#pragma once
// Column widths that fit their text: a header clipped to "Worki…" or a "+0." where "+0.12%" is
// meant reads as a different number. Live tables never use ResizeToContents (it measures every
// row on every change); these helpers measure once, from the header and a few sample values that
// are as wide as the column will ever show.
#include <QStringList>
#include <map>

class QTableView;

namespace kappa::ui {

// Pixels a cell or header needs for `text` in `view` (font of the viewport or, for a header, of the
// header; bold as the model may draw it), padding and the header's border included.
int cellTextWidth(const QTableView* view, const QString& text, bool bold = false);
int headerTextWidth(const QTableView* view, int column);

// Widens every column of `view` (never narrows) to its header text and to the widest of
// `samples[column]`.
void fitColumns(QTableView* view, const std::map<int, QStringList>& samples = {});
// Widens `columns` to the rows the model holds now (their display text in their font). For short
// tables whose rows change rarely (the risk triggers), called when they do — never per frame.
void fitColumnsToRows(QTableView* view, std::initializer_list<int> columns);

}  // namespace kappa::ui
