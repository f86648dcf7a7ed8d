#pragma once
// "The secret appears nowhere": scans every byte of every file under a directory (hidden files,
// SQLite databases and their -wal / -journal files, logs, reports, settings) and any captured
// output (stdout, stderr, a report) for a secret — as plain bytes, and in the forms it could take on
// the way: UTF-16 (QString memory, some Windows formats), base64 (QtKeychain's binary mode, JSON
// blobs), percent-encoding and hex. Findings name the place and the form, never the secret itself,
// so a failing test's output is safe to keep.
//
//   const auto hits = kappa::test::findSecretInTree(dataDir, secret);
//   QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
//   QVERIFY(kappa::test::findSecretInBytes(stderrBytes, secret, "kappa stderr").isEmpty());
#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace kappa::test {

struct SecretForm {
  QString name;      // "plain", "utf-16le", "base64", ...
  QByteArray bytes;  // what to look for
};

// Every form worth looking for; base64 in the three alignments a secret can have inside a longer
// base64 text (only the characters that do not depend on the neighbours).
QList<SecretForm> secretForms(const QByteArray& secret);

// One line per finding: "<label>: <form> at byte <offset>". Empty if the secret is not there.
QStringList findSecretInBytes(const QByteArray& haystack, const QByteArray& secret, const QString& label);

// Every regular file under `dir`, recursively (symbolic links are not followed: what they point at
// is someone else's file). Unreadable files are findings too (a scan that could not look is no proof).
QStringList findSecretInTree(const QString& dir, const QByteArray& secret);

}  // namespace kappa::test
