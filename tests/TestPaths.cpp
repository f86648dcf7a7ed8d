#include "TestPaths.hpp"

// Given by tests/CMakeLists.txt to this file alone (kappa_test_paths): see TestPaths.hpp for why.
namespace kappa::test {

QString testDataDir() { return QStringLiteral(KAPPA_TEST_DATA); }
QString peersDir() { return QStringLiteral(KAPPA_PEERS_DIR); }
QString fuzzCorpusDir() { return QStringLiteral(KAPPA_FUZZ_CORPUS); }
QString natsRolesFile() { return QStringLiteral(KAPPA_NATS_ROLES_FILE); }
QString refdataDir() { return QStringLiteral(KAPPA_REFDATA_DIR); }
QString buildDir() { return QStringLiteral(KAPPA_BUILD_DIR); }
QString pluginDir() { return QStringLiteral(KAPPA_PLUGIN_DIR); }
QString kappaBinary() { return QStringLiteral(KAPPA_BINARY); }
QString builtExchangeBinary() { return QStringLiteral(KAPPA_EXCHANGE_BINARY); }
QString quantBinary() { return QStringLiteral(KAPPA_QUANT); }
QString wrongAbiPlugin() { return QStringLiteral(KAPPA_WRONG_ABI_PLUGIN); }

}  // namespace kappa::test
