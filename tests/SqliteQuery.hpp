#pragma once
// Reading and writing a journal file directly from a test, beside the engine (SQLite's own API):
// what is on disk, independent of the code under test.
#include <QString>
#include <QStringList>
#include <sqlite3.h>
#include <string>

namespace kappa::test {

// Runs `sql` on `file` (read-only) and returns the first column of every row as text ("NULL" for
// null); "<open failed>" or "<error: ...>" in place of rows when it cannot.
inline QStringList query(const QString& file, const QString& sql) {
  sqlite3* db = nullptr;
  QStringList out;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return {"<open failed>"};
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.toUtf8().constData(), -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out << (t ? QString::fromUtf8(reinterpret_cast<const char*>(t)) : QString("NULL"));
    }
  else
    out << QString("<error: %1>").arg(sqlite3_errmsg(db));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// Runs `sql` on `file` (writable): "" or the error.
inline std::string exec(const QString& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "open failed";
  }
  char* msg = nullptr;
  std::string error;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) error = msg ? msg : "failed";
  sqlite3_free(msg);
  sqlite3_close(db);
  return error;
}

}  // namespace kappa::test
