#pragma once
// A certificate authority and a server certificate for 127.0.0.1, made with the openssl command
// in a directory the test owns: a kappa-exchange serves TLS with server.pem / server.key, and a
// client that trusts ca.pem connects while one that trusts only the system store is refused.
#include <QString>

namespace kappa::test {

struct TestCa {
  QString caFile, certFile, keyFile;  // ca.pem, server.pem, server.key in the directory
};

// Writes the files into `dir`; "" on success, else what failed.
QString makeTestCa(const QString& dir, TestCa& out);

}  // namespace kappa::test
