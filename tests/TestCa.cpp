#include "TestCa.hpp"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStringList>

namespace kappa::test {

QString makeTestCa(const QString& dir, TestCa& out) {
  const QDir d(dir);
  auto openssl = [&](const QStringList& args) {
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start("openssl", args);
    return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
  };
  QFile ext(d.filePath("ext.cnf"));
  if (!ext.open(QIODevice::WriteOnly)) return "cannot write " + ext.fileName();
  ext.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  ext.close();
  if (!openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=Kappa test CA"}))
    return "openssl could not make the CA";
  if (!openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"}))
    return "openssl could not make the server key";
  if (!openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "ext.cnf"}))
    return "openssl could not sign the server certificate";
  out.caFile = d.filePath("ca.pem");
  out.certFile = d.filePath("server.pem");
  out.keyFile = d.filePath("server.key");
  return {};
}

}  // namespace kappa::test
