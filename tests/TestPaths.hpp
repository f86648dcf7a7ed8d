#pragma once
// Where the tests find what the build made and what the source tree holds: the kappa, kappa-exchange
// and kappa-quant executables, the plugins folder, tests/data, tests/peers, the fuzz corpus, the desk's
// roles file, the shared reference data. Absolute paths, so only TestPaths.cpp is given them (as
// compile definitions): every other test object is then the same in every clone directory, and
// ccache (with CCACHE_BASEDIR) hits it there; a path inside a -D value is never rewritten.
#include <QString>

namespace kappa::test {

QString testDataDir();          // tests/data
QString peersDir();             // tests/peers (its scripts; node_modules once ./dev installed it)
QString fuzzCorpusDir();        // tests/fuzz/corpus
QString natsRolesFile();        // docs/desk/nats-server-roles.conf
QString refdataDir();           // the shared reference data (KAPPA_REFDATA_DIR in CMake)
QString buildDir();             // the CMake build tree
QString pluginDir();            // the build's plugins folder
QString kappaBinary();          // the kappa executable built with the tests
QString builtExchangeBinary();  // the kappa-exchange built with the tests (exchangeBinary() lets the environment choose)
QString quantBinary();          // the kappa-quant executable built with the tests
QString wrongAbiPlugin();       // the build's kappa-test-wrong-abi plugin

}  // namespace kappa::test
