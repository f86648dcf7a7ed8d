#include "SecretScan.hpp"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

namespace kappa::test {

QList<SecretForm> secretForms(const QByteArray& secret) {
  QList<SecretForm> forms;
  if (secret.isEmpty()) return forms;
  forms.append({"plain", secret});
  QByteArray utf16;
  for (const QChar c : QString::fromUtf8(secret)) {
    utf16.append(char(c.unicode() & 0xff));
    utf16.append(char(c.unicode() >> 8));
  }
  forms.append({"utf-16le", utf16});
  // Base64 of the secret preceded by 0, 1 or 2 other bytes: drop the output characters that mix in
  // a neighbour's bits, at the start (prefix) and at the end (the last group may be padded).
  for (int lead = 0; lead < 3; ++lead) {
    const QByteArray encoded = (QByteArray(lead, '\0') + secret).toBase64(QByteArray::OmitTrailingEquals);
    const int skip = lead == 0 ? 0 : lead + 1;  // characters carrying prefix bits
    const int totalBits = (lead + int(secret.size())) * 8;
    const int exact = totalBits / 6;  // characters made only of known bits
    if (exact - skip >= 4) forms.append({QString("base64 (offset %1)").arg(lead), encoded.mid(skip, exact - skip)});
  }
  const QByteArray percent = secret.toPercentEncoding();
  if (percent != secret) forms.append({"percent-encoded", percent});
  forms.append({"hex", secret.toHex()});
  forms.append({"HEX", secret.toHex().toUpper()});
  return forms;
}

QStringList findSecretInBytes(const QByteArray& haystack, const QByteArray& secret, const QString& label) {
  QStringList hits;
  for (const SecretForm& form : secretForms(secret)) {
    for (qsizetype at = haystack.indexOf(form.bytes); at >= 0; at = haystack.indexOf(form.bytes, at + 1))
      hits << QString("%1: the secret (%2) at byte %3").arg(label, form.name).arg(at);
  }
  return hits;
}

QStringList findSecretInTree(const QString& dir, const QByteArray& secret) {
  QStringList hits;
  if (!QFileInfo(dir).isDir()) return {QString("%1: not a directory, nothing scanned").arg(dir)};
  QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::NoSymLinks, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString path = it.next();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
      hits << QString("%1: could not be read (%2), so not scanned").arg(path, f.errorString());
      continue;
    }
    hits << findSecretInBytes(f.readAll(), secret, path);
  }
  return hits;
}

}  // namespace kappa::test
