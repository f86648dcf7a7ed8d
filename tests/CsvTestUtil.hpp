#pragma once
// Reads the small reference CSVs of tests/data into maps of column name -> text.
#include <QFile>
#include <QHash>
#include <QString>
#include <QStringList>
#include <vector>

namespace kappa::test {

inline std::vector<QHash<QString, QString>> readCsv(const QString& path) {
  std::vector<QHash<QString, QString>> rows;
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return rows;
  const QStringList header = QString::fromUtf8(f.readLine()).trimmed().split(',');
  while (!f.atEnd()) {
    const QString line = QString::fromUtf8(f.readLine()).trimmed();
    if (line.isEmpty()) continue;
    const QStringList cells = line.split(',');
    QHash<QString, QString> row;
    for (int i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace kappa::test
